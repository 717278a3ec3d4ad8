"""Helpers shared by the routers: the documented problem responses."""

from __future__ import annotations

from typing import Any

from ..problems import Problem

_DESCRIPTIONS = {
    404: "Not found",
    409: "Conflict: Idempotency-Key reused with a different request",
    413: "Request body too large (1 MiB; batch 16 MiB)",
    415: "Body is not application/json",
    422: "Invalid request: `errors` lists each bad field",
    503: "Database or ruleset unavailable",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for problem+json answers (the app rewrites their content)."""
    return {status: {"model": Problem, "description": _DESCRIPTIONS[status]}
            for status in statuses}
