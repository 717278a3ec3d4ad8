"""The reviewer pages' session: a signed cookie, and the CSRF token that lives in it.

The cookie holds no API key: only the key's id, its organisation and role as they were when
the officer signed in, and a random CSRF token. It is signed and time-stamped
(``itsdangerous``) with the server's session secret, so it cannot be forged or kept alive
past ``max_age``; every request re-checks the key with the backend (a revoked key ends the
session at once). The cookie is ``HttpOnly``, ``SameSite=Lax``, ``Path=/ui`` and ``Secure``
when the request came over HTTPS.

CSRF: a synchroniser token. Every page that has a form puts the session's token in a hidden
``csrf_token`` field; every POST compares it with the session's (constant time) and refuses
the request when they differ, when there is no session, or when an ``Origin`` header names
another site. A visitor who is not signed in gets an anonymous session (token only) so that
the sign-in form is protected too; signing in issues a new session and a new token.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import asdict, dataclass, replace
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "assay_session"
COOKIE_PATH = "/ui"
CSRF_FIELD = "csrf_token"


@dataclass(frozen=True, slots=True)
class Session:
    """What the cookie carries. ``key_id`` is None for a visitor who has not signed in."""

    csrf: str
    key_id: str | None = None
    org: str | None = None
    role: str | None = None
    label: str | None = None

    @classmethod
    def anonymous(cls) -> Session:
        return cls(csrf=secrets.token_urlsafe(32))

    @property
    def signed_in(self) -> bool:
        return self.key_id is not None

    def signed_in_as(self, *, key_id: str, org: str, role: str, label: str | None) -> Session:
        """A new session (new CSRF token) for a key that just signed in."""
        return replace(Session.anonymous(), key_id=key_id, org=org, role=role, label=label)

    def csrf_ok(self, submitted: str | None) -> bool:
        return bool(submitted) and hmac.compare_digest(self.csrf, submitted or "")


class SessionCodec:
    """Signs sessions into cookie values and reads them back (None for anything not valid)."""

    def __init__(self, secret: str, *, max_age: int) -> None:
        self.max_age = max_age
        self._serializer = URLSafeTimedSerializer(secret, salt="assay.ui.session")

    def dumps(self, session: Session) -> str:
        return self._serializer.dumps(asdict(session))

    def loads(self, value: str | None) -> Session | None:
        if not value or len(value) > 4096:
            return None
        try:
            data: Any = self._serializer.loads(value, max_age=self.max_age)
        except BadSignature:  # also SignatureExpired
            return None
        if not isinstance(data, dict) or not isinstance(data.get("csrf"), str):
            return None
        fields = {k: data.get(k) for k in ("key_id", "org", "role", "label")}
        if not all(v is None or isinstance(v, str) for v in fields.values()):
            return None
        return Session(csrf=data["csrf"], **fields)
