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


class VersionConflict(AssayError):
    """The row changed since it was read (its version is not the one the write expected)."""

    def __init__(self, kind: str, ident: str, expected: int) -> None:
        self.kind = kind
        self.ident = ident
        self.expected = expected
        super().__init__(f"{kind} {ident!r} changed since version {expected} was read")


class AlreadyExists(StoreError):
    """An object with this id is already stored."""

    def __init__(self, kind: str, ident: str) -> None:
        self.kind = kind
        self.ident = ident
        super().__init__(f"{kind} {ident!r} already exists")
