"""Sortable identifiers: ``scr_`` + a ULID-like 26-character Crockford base32 body.

The body is 48 bits of milliseconds since the epoch followed by 80 random bits,
so ids sort by creation time as plain strings. Within one process ids are
strictly increasing even inside the same millisecond (the random part is
incremented), which keeps the list order of a fast writer deterministic.
"""

from __future__ import annotations

import os
import random
import re
import threading
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_BODY = re.compile(r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$")
_RANDOM_BITS = 80
_RANDOM_MAX = (1 << _RANDOM_BITS) - 1

SCREENING_PREFIX = "scr"

_lock = threading.Lock()
_last_ms = -1
_last_random = 0
# Seeded from the OS once per process (a urandom call per id costs more than the rest).
_random = random.Random(os.urandom(32))
# Two base32 digits per lookup: 10 bits at a time.
_PAIRS = [a + b for a in _ALPHABET for b in _ALPHABET]


def _encode(value: int, length: int) -> str:
    """`length` Crockford base32 digits of `value` (an even length)."""
    pairs = []
    for _ in range(length // 2):
        pairs.append(_PAIRS[value & 1023])
        value >>= 10
    return "".join(reversed(pairs))


def _after_fork() -> None:
    """A forked child never continues its parent's sequence."""
    global _last_ms, _lock
    _lock = threading.Lock()
    _last_ms = -1
    _random.seed(os.urandom(32))


os.register_at_fork(after_in_child=_after_fork)


def _next(now_ms: int) -> tuple[int, int]:
    global _last_ms, _last_random
    with _lock:
        if now_ms <= _last_ms:
            now_ms = _last_ms
            random_part = _last_random + 1
            if random_part > _RANDOM_MAX:  # 2**80 ids in one millisecond: move to the next
                now_ms, random_part = now_ms + 1, _random.getrandbits(_RANDOM_BITS - 1)
        else:
            # The top bit stays clear so that increments within a millisecond cannot overflow.
            random_part = _random.getrandbits(_RANDOM_BITS - 1)
        _last_ms, _last_random = now_ms, random_part
        return now_ms, random_part


def new_ulid(now_ms: int | None = None) -> str:
    """A 26-character ULID-like string, greater than any earlier one from this process."""
    ms, random_part = _next(time.time_ns() // 1_000_000 if now_ms is None else now_ms)
    return _encode((ms << _RANDOM_BITS) | random_part, 26)


def random_hex(n_bytes: int = 16) -> str:
    """Random hex digits for ids that need no order (request ids)."""
    with _lock:
        return f"{_random.getrandbits(n_bytes * 8):0{n_bytes * 2}x}"


def new_screening_id() -> str:
    """A new screening id: ``scr_`` followed by a ULID-like body, e.g. ``scr_01JD3X5Q7Z...``."""
    return f"{SCREENING_PREFIX}_{new_ulid()}"


def is_screening_id(value: str) -> bool:
    """True when ``value`` has the shape of a screening id (the prefix and a valid body)."""
    prefix, sep, body = value.partition("_")
    return sep == "_" and prefix == SCREENING_PREFIX and _BODY.match(body) is not None


def timestamp_ms(value: str) -> int:
    """The creation time (milliseconds since the epoch) encoded in an id or bare ULID."""
    body = value.rpartition("_")[2]
    ms = 0
    for char in body[:10]:
        ms = ms * 32 + _ALPHABET.index(char)
    return ms
