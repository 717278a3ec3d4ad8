"""Helpers shared by the routers: the documented problem responses."""

from __future__ import annotations

from typing import Any

from ..problems import Problem

_DESCRIPTIONS = {
    401: "No API key, or not a valid one (`WWW-Authenticate: Bearer`)",
    403: "The API key's role does not allow this",
    404: "Not found",
    409: "Conflict: Idempotency-Key reused with a different request",
    412: "Precondition failed: the If-Match ETag is not the current one",
    413: "Request body too large (1 MiB; batch 16 MiB)",
    415: "Body is not application/json",
    422: "Invalid request: `errors` lists each bad field",
    428: "Precondition required: send If-Match with the ETag you read",
    503: "Database or ruleset unavailable",
}
_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": "`Bearer realm=\"assay\"` (with "
                               "`error=\"invalid_token\"` for a key that is not valid)",
                               "schema": {"type": "string"}}},
    412: {"ETag": {"description": "the screening's current ETag",
                   "schema": {"type": "string"}}},
}


def problem_responses(*statuses: int, descriptions: dict[int, str] | None = None
                      ) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for problem+json answers (the app rewrites their content).

    ``descriptions`` overrides the default text of some statuses.
    """
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        text = (descriptions or {}).get(status, _DESCRIPTIONS[status])
        entry: dict[str, Any] = {"model": Problem, "description": text}
        if status in _HEADERS:
            entry["headers"] = dict(_HEADERS[status])
        out[status] = entry
    return out


# Every /v1 route answers these when the key is missing or its role is not enough.
AUTH = (401, 403)
