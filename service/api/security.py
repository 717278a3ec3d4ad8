"""Who is calling: ``Authorization: Bearer <API key>`` on every /v1 route, and the role checks.

``AuthMiddleware`` authenticates every request under ``/v1/`` before routing, so no route can
forget to: 401 problem+json (with ``WWW-Authenticate``) when the key is missing or not valid.
Good keys are remembered for ``ASSAY_AUTH_CACHE_SECONDS`` (``auth.KeyCache``), so most requests
cost no database read. Routes read the principal through ``PrincipalDep``; ``ReviewerDep`` and
``AdminDep`` also require a role (403). The OpenAPI document declares the bearer scheme on every
/v1 operation (``SECURITY_SCHEME``, added by the app factory).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from ..auth import KeyCache, Principal, Role, Unauthenticated
from ..review import Forbidden
from ..store import Store, StoreError, StoreUnavailable
from .problems import PROBLEM_JSON, TYPES

SCHEME = "bearerAuth"
PROTECTED_PREFIX = "/v1/"
SECURITY_SCHEME: dict[str, Any] = {
    "type": "http", "scheme": "bearer",
    "bearerFormat": "API key: ak_<16 characters>.<43 characters>",
    "description": "An API key made with `assay keys create --org ORG --role ROLE` (the first "
                   "`make run` prints an admin key for the default organisation). Roles: "
                   "submitter (screen, read), reviewer (+ review), admin (+ reload the rules, "
                   "read the audit trail). A key sees its own organisation's screenings only.",
}


def bearer_token(scope: Scope) -> str | None:
    """The credentials of an ``Authorization: Bearer`` header, if there is one."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").strip().partition(" ")
            token = token.strip()
            return token if scheme.lower() == "bearer" and token else None
    return None


class AuthMiddleware:
    """Authenticates every HTTP request under ``/v1/``; puts the principal in the request's
    state (``scope["state"]["principal"]``). Pure ASGI, inside ``EdgeMiddleware`` (so answers
    carry the request id and are counted)."""

    def __init__(self, app: ASGIApp, *, keys: KeyCache, store: Callable[[], Store]) -> None:
        self.app = app
        self.keys = keys
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PROTECTED_PREFIX):
            await self.app(scope, receive, send)
            return
        token = bearer_token(scope)
        if token is None:
            await self._refuse(scope, send, Unauthenticated(
                "send an API key: Authorization: Bearer <key>"))
            return
        principal = self.keys.lookup(token)
        if principal is None:
            try:
                principal = await run_in_threadpool(self.keys.authenticate, self.store(), token)
            except StoreError as exc:
                await _answer(scope, send, 503, "the database is unavailable; retry later"
                              if isinstance(exc, StoreUnavailable) else
                              "the database failed; retry later", {"retry-after": "5"})
                return
        if principal is None:
            await self._refuse(scope, send, Unauthenticated(
                "the API key is not valid (unknown, revoked or mistyped)",
                error="invalid_token"))
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)

    @staticmethod
    async def _refuse(scope: Scope, send: Send, exc: Unauthenticated) -> None:
        await _answer(scope, send, 401, str(exc), {"www-authenticate": exc.challenge})


async def _answer(scope: Scope, send: Send, status: int, detail: str,
                  headers: dict[str, str]) -> None:
    titles = {401: "Unauthorized", 503: "Service Unavailable"}
    problem: dict[str, Any] = {"type": TYPES[status], "title": titles[status], "status": status,
                               "detail": detail, "instance": scope["path"]}
    request_id = scope.get("state", {}).get("request_id")
    if request_id:
        problem["request_id"] = request_id
    body = json.dumps(problem, separators=(",", ":")).encode()
    await send({
        "type": "http.response.start", "status": status,
        "headers": [(b"content-type", PROBLEM_JSON.encode()),
                    (b"content-length", str(len(body)).encode()),
                    *((k.encode(), v.encode("latin-1")) for k, v in headers.items())],
    })
    await send({"type": "http.response.body", "body": body})


def authenticated_principal(scope: Scope) -> Principal:
    """The principal ``AuthMiddleware`` put in the request's scope (every /v1 route has one)."""
    principal = scope.get("state", {}).get("principal")
    if not isinstance(principal, Principal):  # a route outside /v1 asking for one
        raise Unauthenticated("send an API key: Authorization: Bearer <key>")
    return principal


async def current_principal(request: Request) -> Principal:
    """The principal ``AuthMiddleware`` authenticated (every /v1 route has one)."""
    return authenticated_principal(request.scope)


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def _requiring(role: Role) -> Callable[[Request], Coroutine[Any, Any, Principal]]:
    async def check(request: Request) -> Principal:
        principal = await current_principal(request)
        if not principal.has_role(role):
            raise Forbidden(f"this needs the {role} role; key {principal.key_id} has the "
                            f"{principal.role} role")
        return principal

    check.__name__ = f"require_{role}"
    return check


ReviewerDep = Annotated[Principal, Depends(_requiring("reviewer"))]
AdminDep = Annotated[Principal, Depends(_requiring("admin"))]
