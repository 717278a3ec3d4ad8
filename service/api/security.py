"""Who is calling: ``Authorization: Bearer <API key>`` on every /v1 route, and the role checks.

``PrincipalDep`` authenticates (401 when the key is missing or not valid, with
``WWW-Authenticate``); ``ReviewerDep`` and ``AdminDep`` also require a role (403). Good keys are
remembered for ``ASSAY_AUTH_CACHE_SECONDS`` (``auth.KeyCache``), so most requests cost no
database read for authentication.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from ..auth import Principal, Role
from ..errors import AssayError
from ..review import Forbidden
from .deps import Services

SCHEME = "bearerAuth"
REALM = "assay"

bearer = HTTPBearer(
    scheme_name=SCHEME, bearerFormat="API key: ak_<16 characters>.<43 characters>",
    description="An API key made with `assay keys create --org ORG --role ROLE` (the first "
                "`make run` prints an admin key for the default organisation). Roles: "
                "submitter (screen, read), reviewer (+ review), admin (+ reload rules, audit).",
    auto_error=False,
)


class Unauthenticated(AssayError):
    """No API key, or one that is not valid (401). ``error`` is the RFC 6750 error code."""

    def __init__(self, message: str, *, error: str | None = None) -> None:
        super().__init__(message)
        self.error = error

    @property
    def challenge(self) -> str:
        if self.error is None:
            return f'Bearer realm="{REALM}"'
        return f'Bearer realm="{REALM}", error="{self.error}"'


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The principal of the request's API key (cached per request by FastAPI)."""
    if credentials is None:
        raise Unauthenticated("send an API key: Authorization: Bearer <key>")
    services: Services = request.app.state.services
    raw = credentials.credentials
    principal = services.keys.lookup(raw)
    if principal is None:
        principal = await run_in_threadpool(services.keys.authenticate, services.store, raw)
    if principal is None:
        raise Unauthenticated("the API key is not valid (unknown, revoked or mistyped)",
                              error="invalid_token")
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def _requiring(role: Role) -> Callable[[Principal], Coroutine[Any, Any, Principal]]:
    async def check(principal: PrincipalDep) -> Principal:
        if not principal.has_role(role):
            raise Forbidden(f"this needs the {role} role; key {principal.key_id} has the "
                            f"{principal.role} role")
        return principal

    check.__name__ = f"require_{role}"
    return check


ReviewerDep = Annotated[Principal, Depends(_requiring("reviewer"))]
AdminDep = Annotated[Principal, Depends(_requiring("admin"))]
