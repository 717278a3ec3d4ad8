"""Settings of the reviewer pages (pydantic-settings, ``ASSAY_`` environment variables).

- ``session_secret`` (``ASSAY_SESSION_SECRET``): signs the session cookie. Set it in
  production, the same value on every host. When it is not set, a random secret is created
  once in ``session_secret_file`` (``var/session-secret``, mode 0600) and read from there,
  so every worker on one machine shares it and sessions survive a restart.
- ``session_max_age`` (``ASSAY_SESSION_MAX_AGE``): seconds a sign-in lasts (8 hours).
- ``cookie_secure`` (``ASSAY_COOKIE_SECURE``): force the cookie's ``Secure`` flag (it is set
  anyway when the request came over HTTPS).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class UiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSAY_", extra="ignore", frozen=True)

    session_secret: SecretStr | None = Field(default=None, min_length=32)
    session_secret_file: Path = Path("var/session-secret")
    session_max_age: int = Field(default=8 * 3600, ge=60)
    cookie_secure: bool = False

    def resolve_secret(self) -> str:
        """The configured secret, or the one kept in ``session_secret_file`` (created once)."""
        if self.session_secret is not None:
            return self.session_secret.get_secret_value()
        path = self.session_secret_file
        try:
            return _read_secret(path)
        except FileNotFoundError:
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole to a private temporary file, then linked into place: a concurrent
        # worker either links first (and we read its secret) or finds ours complete.
        temp = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(secrets.token_urlsafe(48) + "\n")
            with contextlib.suppress(FileExistsError):
                os.link(temp, path)
        finally:
            temp.unlink(missing_ok=True)
        return _read_secret(path)


def _read_secret(path: Path) -> str:
    value = path.read_text("ascii").strip()
    if len(value) < 32:
        raise ValueError(f"{path}: the session secret must be at least 32 characters")
    return value
