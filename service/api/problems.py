"""RFC 9457 problem details: the one error shape of the API, and the one table that maps errors.

Domain errors (``AssayError`` subclasses) and HTTP errors become ``application/problem+json``
here; nothing else in the API builds error bodies. A 422 lists every bad field with ``loc`` as a
JSON pointer into the part of the request named by ``in`` (``body``, ``query``, ``path``,
``header``). Unexpected exceptions are a 500 problem that says nothing about internals.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import ErrorDetails
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from ..auth import Unauthenticated
from ..errors import AssayError, RulesetError
from ..review import (
    Forbidden,
    InvalidReview,
    PreconditionFailed,
    PreconditionRequired,
    ReviewConflict,
)
from ..store import (
    IdempotencyKeyTaken,
    InvalidCursor,
    NotFound,
    StoreError,
    StoreUnavailable,
    VersionConflict,
)
from .rulesets import RulesetRefused

PROBLEM_JSON = "application/problem+json"
REQUEST_ID_HEADER = "X-Request-ID"
log = logging.getLogger("assay.api")

TYPES = {
    400: "urn:assay:problem:bad-request",
    401: "urn:assay:problem:unauthenticated",
    403: "urn:assay:problem:forbidden",
    404: "urn:assay:problem:not-found",
    405: "urn:assay:problem:method-not-allowed",
    409: "urn:assay:problem:conflict",
    412: "urn:assay:problem:precondition-failed",
    413: "urn:assay:problem:content-too-large",
    415: "urn:assay:problem:unsupported-media-type",
    422: "urn:assay:problem:invalid-request",
    428: "urn:assay:problem:precondition-required",
    500: "urn:assay:problem:internal",
    503: "urn:assay:problem:unavailable",
}


class FieldError(BaseModel):
    """One bad field: where it is and what is wrong with it."""

    model_config = ConfigDict(frozen=True)

    loc: str = Field(
        description="JSON pointer to the field within the part named by `in`",
        examples=["/goods/0/hs_code"],
    )
    in_: str = Field(alias="in", serialization_alias="in", examples=["body"])
    msg: str = Field(examples=["Value error, invalid HS code 'x': 4 to 10 digits"])
    type: str = Field(examples=["value_error"])


class Problem(BaseModel):
    """RFC 9457 problem details (``application/problem+json``)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [{
                "type": "urn:assay:problem:invalid-request", "title": "Unprocessable Content",
                "status": 422, "detail": "1 invalid field", "instance": "/v1/screenings",
                "request_id": "5f0c6a1e9b7d4c1a8e2f3b4c5d6e7f80",
                "errors": [{"loc": "/goods/0/hs_code", "in": "body", "type": "value_error",
                            "msg": "Value error, invalid HS code 'x'"}],
            }]
        },
    )

    type: str = Field(default="about:blank", examples=["urn:assay:problem:not-found"])
    title: str = Field(examples=["Not Found"])
    status: int = Field(ge=400, le=599, examples=[404])
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None
    errors: list[FieldError] | None = None


def pointer(parts: Iterable[int | str]) -> str:
    """A JSON pointer (RFC 6901) from path parts: ``("goods", 0)`` -> ``/goods/0``."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def field_errors(errors: Sequence[ErrorDetails | Mapping[str, Any]], *, where: str | None = None
                 ) -> list[dict[str, str]]:
    """Pydantic/FastAPI error dicts as ``FieldError`` dicts.

    FastAPI locs start with the request part (``body``, ``query``...); pass ``where`` for locs
    that are relative to a body already (pydantic errors of a model validated by hand).
    """
    out: list[dict[str, str]] = []
    for err in errors:
        loc = list(err.get("loc", ()))
        part = where
        if part is None:
            part = str(loc.pop(0)) if loc else "body"
        kind = str(err.get("type", "value_error"))
        msg = str(err.get("msg", "invalid"))
        if kind == "json_invalid":  # FastAPI puts the character offset in the loc
            offset = loc.pop(0) if loc and isinstance(loc[0], int) else None
            ctx = err.get("ctx") or {}
            reason = ctx.get("error") if isinstance(ctx, Mapping) else None
            msg = f"invalid JSON{f' at character {offset}' if offset is not None else ''}"
            msg += f": {reason}" if reason else ""
        elif part == "header":
            loc = [str(p).replace("_", "-").title() if i == 0 else p for i, p in enumerate(loc)]
        out.append({"loc": pointer(loc), "in": part, "msg": msg, "type": kind})
    return out


def problem_response(
    request: Request | None, status: int, *, detail: str | None = None,
    errors: list[dict[str, str]] | None = None, headers: Mapping[str, str] | None = None,
    title: str | None = None, **extra: Any,
) -> Response:
    """A complete problem+json response; the request id is copied from the request state."""
    body: dict[str, Any] = {
        "type": TYPES.get(status, "about:blank"),
        "title": title or _title(status),
        "status": status,
    }
    if detail:
        body["detail"] = detail
    request_id = None
    if request is not None:
        body["instance"] = request.url.path
        request_id = getattr(request.state, "request_id", None)
        if request_id:
            body["request_id"] = request_id
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    out_headers = dict(headers or {})
    if request_id:
        out_headers[REQUEST_ID_HEADER] = request_id
    return Response(
        content=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        status_code=status, headers=out_headers, media_type=PROBLEM_JSON,
    )


def problem_dict(status: int, *, detail: str | None = None,
                 errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """The body of a problem without a request (for one item of a batch)."""
    body: dict[str, Any] = {"type": TYPES.get(status, "about:blank"), "title": _title(status),
                            "status": status}
    if detail:
        body["detail"] = detail
    if errors is not None:
        body["errors"] = errors
    return body


_TITLES = {413: "Content Too Large", 422: "Unprocessable Content"}  # RFC 9110 names


def _title(status: int) -> str:
    if status in _TITLES:
        return _TITLES[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


# ------------------------------------------------------------------------------ handler table


async def _validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = field_errors(exc.errors())
    n = len(errors)
    return problem_response(request, 422, detail=f"{n} invalid field{'s' * (n != 1)}",
                            errors=errors)


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    detail: str | None = exc.detail if isinstance(exc.detail, str) else None
    if detail == _title(exc.status_code):
        detail = None
    return problem_response(request, exc.status_code, detail=detail, headers=exc.headers)


async def _not_found(request: Request, exc: Exception) -> Response:
    return problem_response(request, 404, detail=str(exc))


async def _conflict(request: Request, exc: Exception) -> Response:
    return problem_response(request, 409, detail=str(exc))


async def _unauthenticated(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Unauthenticated)
    return problem_response(request, 401, detail=str(exc),
                            headers={"WWW-Authenticate": exc.challenge})


async def _forbidden(request: Request, exc: Exception) -> Response:
    return problem_response(request, 403, detail=str(exc))


async def _precondition_failed(request: Request, exc: Exception) -> Response:
    headers = {"ETag": exc.current_etag} if isinstance(exc, PreconditionFailed) else None
    detail = str(exc) if isinstance(exc, PreconditionFailed) else (
        "the screening changed since you read it: read it again")
    return problem_response(request, 412, detail=detail, headers=headers)


async def _precondition_required(request: Request, exc: Exception) -> Response:
    return problem_response(request, 428, detail=str(exc))


async def _invalid_review(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, InvalidReview)
    errors = [{"loc": e["loc"], "in": "body", "msg": e["msg"], "type": e["type"]}
              for e in exc.errors]
    n = len(errors)
    return problem_response(request, 422, detail=f"{n} problem{'s' * (n != 1)} with the review",
                            errors=errors)


async def _ruleset_refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RulesetRefused)
    return problem_response(request, 422, detail=str(exc), problems=exc.result.problems,
                            serving=exc.result.version)


async def _invalid_cursor(request: Request, exc: Exception) -> Response:
    errors = [{"loc": "/cursor", "in": "query", "msg": str(exc), "type": "invalid_cursor"}]
    return problem_response(request, 422, detail="1 invalid field", errors=errors)


async def _unavailable(request: Request, exc: Exception) -> Response:
    log.warning("store unavailable: %s", exc)
    return problem_response(request, 503, detail="the database is unavailable; retry later",
                            headers={"Retry-After": "5"})


async def _store(request: Request, exc: Exception) -> Response:
    log.error("store error: %s", exc, exc_info=exc)
    return problem_response(request, 503, detail="the database failed; retry later",
                            headers={"Retry-After": "5"})


async def _ruleset(request: Request, exc: Exception) -> Response:
    log.error("ruleset error: %s", exc)
    return problem_response(request, 503, detail="no valid ruleset is loaded")


async def _assay(request: Request, exc: Exception) -> Response:
    log.error("unhandled Assay error: %s", exc, exc_info=exc)
    return problem_response(request, 500, detail="internal error")


async def _internal(request: Request, exc: Exception) -> Response:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(request, 500, detail="internal error")


def install_handlers(app: FastAPI) -> None:
    """The one table from errors to problem+json. More specific classes first."""
    table: list[tuple[type[Exception], Any]] = [
        (RequestValidationError, _validation),
        (StarletteHTTPException, _http),
        (Unauthenticated, _unauthenticated),
        (Forbidden, _forbidden),
        (NotFound, _not_found),
        (IdempotencyKeyTaken, _conflict),
        (ReviewConflict, _conflict),
        (PreconditionFailed, _precondition_failed),
        (VersionConflict, _precondition_failed),
        (PreconditionRequired, _precondition_required),
        (InvalidReview, _invalid_review),
        (RulesetRefused, _ruleset_refused),
        (InvalidCursor, _invalid_cursor),
        (StoreUnavailable, _unavailable),
        (StoreError, _store),
        (RulesetError, _ruleset),
        (AssayError, _assay),
        (Exception, _internal),
    ]
    for exc_class, handler in table:
        app.add_exception_handler(exc_class, handler)
