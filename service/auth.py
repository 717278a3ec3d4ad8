"""API keys, organisations and roles: who is calling, for which organisation, allowed to do what.

A key reads ``ak_<16 base32 characters>.<43 url-safe characters>``: the part before the dot is
the key's id (shown in lists, audit events and review history), the part after it 256 random
bits. The store keeps only the sha256 of the whole key; a key is shown once, when made, and
cannot be recovered. Checking a key hashes what was presented and compares the digests in
constant time (``hmac.compare_digest``).

Roles, each allowed what the ones before it are: ``submitter`` (screen shipments, read the
organisation's screenings, rules and sources), ``reviewer`` (review screenings), ``admin``
(reload the rules, read the audit trail).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Literal

from .errors import AssayError
from .store import DEFAULT_ORG, ApiKeyRecord, Store

Role = Literal["submitter", "reviewer", "admin"]
ROLES: tuple[Role, ...] = ("submitter", "reviewer", "admin")
_RANK: dict[str, int] = {role: rank for rank, role in enumerate(ROLES)}

KEY_PREFIX = "ak_"
_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case
_KEY_ID = re.compile(r"^ak_[0-9a-hjkmnp-tv-z]{16}$")
_KEY = re.compile(r"^(ak_[0-9a-hjkmnp-tv-z]{16})\.([A-Za-z0-9_-]{43})$")
_ORG_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
# Compared against when a key id is unknown, so that unknown and wrong keys take as long.
_DUMMY_DIGEST = hashlib.sha256(b"assay: no such key").hexdigest()


class AuthError(AssayError):
    """A key or organisation the caller asked for cannot be made as asked."""


class Unauthenticated(AssayError):
    """No API key, or one that is not valid (HTTP 401). ``error`` is the RFC 6750 error code
    (``invalid_token``) when a key was sent."""

    realm = "assay"

    def __init__(self, message: str, *, error: str | None = None) -> None:
        super().__init__(message)
        self.error = error

    @property
    def challenge(self) -> str:
        """The ``WWW-Authenticate`` value."""
        if self.error is None:
            return f'Bearer realm="{self.realm}"'
        return f'Bearer realm="{self.realm}", error="{self.error}"'


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts as: the API key's id, its organisation and role (and its name)."""

    key_id: str
    org: str
    role: Role
    name: str | None = None

    def has_role(self, role: Role) -> bool:
        """True when this principal's role is ``role`` or above it."""
        return _RANK[self.role] >= _RANK[role]

    @property
    def can_review(self) -> bool:
        return self.has_role("reviewer")

    @property
    def is_admin(self) -> bool:
        return self.has_role("admin")


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A key just made: ``key`` is the only time the secret exists outside the caller's hands."""

    key: str
    principal: Principal
    created_at: dt.datetime
    org_created: bool = False


def hash_key(raw_key: str) -> str:
    """The digest stored for a key (hex sha256 of the whole key)."""
    return hashlib.sha256(raw_key.encode("utf-8")).hexdigest()


def key_id_of(raw_key: str) -> str | None:
    """The id part of a well-formed key, or None."""
    match = _KEY.match(raw_key)
    return match.group(1) if match else None


def is_key_id(value: str) -> bool:
    return _KEY_ID.match(value) is not None


def new_key() -> tuple[str, str]:
    """A fresh ``(key_id, raw_key)``."""
    key_id = KEY_PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(16))
    return key_id, f"{key_id}.{secrets.token_urlsafe(32)}"


def check_org_id(org: str) -> str:
    """``org`` when it is a valid organisation id (lower-case letters, digits, hyphens; at most
    40); raises ``AuthError`` otherwise."""
    if not _ORG_ID.match(org):
        raise AuthError(f"invalid organisation id {org!r}: use lower-case letters, digits and "
                        "hyphens (at most 40), starting with a letter or digit")
    return org


def check_role(role: str) -> Role:
    for known in ROLES:
        if role == known:
            return known
    raise AuthError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")


def _principal(record: ApiKeyRecord) -> Principal:
    return Principal(key_id=record.id, org=record.org, role=check_role(record.role),
                     name=record.name)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# ------------------------------------------------------------------------------ keys


def create_key(store: Store, *, org: str, role: str, name: str | None = None,
               created_by: str | None = None, create_org: bool = True,
               now: dt.datetime | None = None) -> IssuedKey:
    """Make a key for ``org`` with ``role``; store its hash and a key.created event.

    The organisation is created first when it does not exist yet (unless ``create_org`` is
    False: then ``AuthError``). ``created_by`` is the acting key id (None from the command
    line). Returns the key: show it once, it is not kept.
    """
    check_org_id(org)
    checked = check_role(role)
    if name is not None and not 1 <= len(name) <= 200:
        raise AuthError("a key name has 1 to 200 characters")
    now = now or _now()
    key_id, raw = new_key()
    with store.transaction(write=True) as repo:
        if not create_org and repo.get_organisation(org) is None:
            raise AuthError(f"no organisation {org!r}")
        org_created = create_org and repo.ensure_organisation(org, name=org, now=now)
        repo.add_api_key(ApiKeyRecord(
            id=key_id, org=org, role=checked, name=name, secret_sha256=hash_key(raw),
            created_at=now, created_by=created_by))
    return IssuedKey(key=raw, principal=Principal(key_id=key_id, org=org, role=checked,
                                                  name=name),
                     created_at=now, org_created=org_created)


def bootstrap(store: Store, *, org: str = DEFAULT_ORG, name: str = "bootstrap admin"
              ) -> IssuedKey | None:
    """The first run's admin key for ``org`` when no key exists at all; None otherwise.

    Checked and made in one write transaction, so two concurrent first runs make one key.
    """
    check_org_id(org)
    now = _now()
    key_id, raw = new_key()
    with store.transaction(write=True) as repo:
        if repo.count_api_keys() > 0:
            return None
        org_created = repo.ensure_organisation(
            org, name="Default organisation" if org == DEFAULT_ORG else org, now=now)
        repo.add_api_key(ApiKeyRecord(
            id=key_id, org=org, role="admin", name=name, secret_sha256=hash_key(raw),
            created_at=now))
    return IssuedKey(key=raw, principal=Principal(key_id=key_id, org=org, role="admin",
                                                  name=name),
                     created_at=now, org_created=org_created)


def list_keys(store: Store, *, org: str | None = None) -> list[ApiKeyRecord]:
    """Stored keys (hashes, never secrets), oldest first; of ``org`` or of all."""
    with store.transaction() as repo:
        return repo.list_api_keys(org=org)


def revoke_key(store: Store, key_id: str, *, actor: str | None = None) -> bool:
    """Revoke a key at once (servers that cached it stop accepting it within their cache
    time, ``ASSAY_AUTH_CACHE_SECONDS``). False when it is unknown or already revoked."""
    with store.transaction(write=True) as repo:
        return repo.revoke_api_key(key_id, now=_now(), actor=actor)


# ------------------------------------------------------------------------------ authentication


def _check(record: ApiKeyRecord | None, raw_key: str) -> Principal | None:
    expected = record.secret_sha256 if record is not None else _DUMMY_DIGEST
    matches = hmac.compare_digest(hash_key(raw_key), expected)
    if record is None or not matches or record.revoked_at is not None:
        return None
    return _principal(record)


def authenticate(store: Store, raw_key: str) -> Principal | None:
    """The principal of a presented key; None when it is malformed, unknown, wrong or revoked
    (the caller should not say which)."""
    key_id = key_id_of(raw_key.strip())
    if key_id is None:
        return None
    with store.transaction() as repo:
        record = repo.get_api_key(key_id)
    return _check(record, raw_key.strip())


def principal_for_key(store: Store, key_id: str) -> Principal | None:
    """The principal of a key id (a signed-in session's), or None when the key is unknown or
    revoked. For sessions that proved the key earlier; it checks no secret."""
    if not is_key_id(key_id):
        return None
    with store.transaction() as repo:
        record = repo.get_api_key(key_id)
    if record is None or record.revoked_at is not None:
        return None
    return _principal(record)


class KeyCache:
    """``authenticate`` with a short memory, so that a request does not cost a database read.

    Remembers good keys for ``ttl`` seconds (by id, with the digest, so a wrong secret for a
    cached id is still refused); a revoked key stops working within ``ttl``. Bad keys are not
    remembered. ``ttl`` 0 turns the memory off. Thread-safe.
    """

    def __init__(self, ttl: float, *, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[str, tuple[str, Principal, float]] = {}
        self._lock = threading.Lock()

    def lookup(self, raw_key: str) -> Principal | None:
        """The cached principal of ``raw_key`` (None when not cached, expired or wrong)."""
        key_id = key_id_of(raw_key)
        if key_id is None:
            return None
        entry = self._entries.get(key_id)
        if entry is None:
            return None
        digest, principal, expires = entry
        if time.monotonic() >= expires or not hmac.compare_digest(hash_key(raw_key), digest):
            return None
        return principal

    def authenticate(self, store: Store, raw_key: str) -> Principal | None:
        """Like ``authenticate``, using and filling the cache."""
        raw_key = raw_key.strip()
        cached = self.lookup(raw_key)
        if cached is not None:
            return cached
        principal = authenticate(store, raw_key)
        if principal is not None and self.ttl > 0:
            with self._lock:
                if len(self._entries) >= self.max_entries:
                    self._entries.clear()
                self._entries[principal.key_id] = (
                    hash_key(raw_key), principal, time.monotonic() + self.ttl)
        return principal

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
