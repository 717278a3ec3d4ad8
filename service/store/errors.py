"""Store errors. Driver errors never leave the store: they become these (``raise ... from``)."""

from __future__ import annotations

from ..errors import AssayError


class StoreError(AssayError):
    """The store could not do what was asked (a database fault, not a caller's mistake)."""


class StoreUnavailable(StoreError):
    """The database cannot be reached or refused the connection."""


class NotFound(StoreError):
    """No stored object has the requested id."""

    def __init__(self, kind: str, ident: str) -> None:
        self.kind = kind
        self.ident = ident
        super().__init__(f"no {kind} with id {ident!r}")


class IdempotencyKeyTaken(StoreError):
    """Another request already recorded this Idempotency-Key (the caller re-reads and compares)."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"Idempotency-Key {key!r} is already recorded")


class InvalidCursor(AssayError, ValueError):
    """A pagination cursor that this store did not issue (or that was altered)."""
