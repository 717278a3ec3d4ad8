"""The audit trail: append-only events in one hash chain, and its verification.

Every event has a position ``seq`` (1, 2, 3 ... without gaps), a time, a type, the organisation
it belongs to (``None`` for events of the whole service, such as a ruleset load at startup), the
acting API key id (``None`` for the command line and the server itself), the screening it is
about (if any), a JSON payload, the previous event's hash and its own::

    hash = sha256(canonical JSON of {seq, at, type, org, actor, screening_id, payload, prev})

Canonical JSON: keys sorted, no spaces, UTF-8, ``at`` as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``. The
first event's ``prev`` is 64 zeros. Editing an event breaks its hash; removing or reordering
events breaks the ``seq`` sequence or a ``prev`` link; removing the newest events is found by
comparing with a head (hash and count) kept elsewhere (``assay audit head``, ``GET
/v1/audit/head``).

The store appends events in the same transaction as the change they record (see
``service.store.repository``); this module is pure: hashing and verification.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .errors import AssayError

EventType = Literal[
    "screening.created", "screening.reviewed", "ruleset.loaded", "key.created", "key.revoked"
]
EVENT_TYPES: tuple[EventType, ...] = (
    "screening.created", "screening.reviewed", "ruleset.loaded", "key.created", "key.revoked"
)
GENESIS = "0" * 64
_HEAD = re.compile(r"^(?P<hash>[0-9a-f]{64}):(?P<count>\d{1,18})$")


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to append; the store gives it its ``seq``, time and hashes."""

    type: EventType
    org: str | None
    actor: str | None
    payload: Mapping[str, Any]
    screening_id: str | None = None


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One stored event of the chain."""

    seq: int
    at: dt.datetime
    type: str
    org: str | None
    actor: str | None
    screening_id: str | None
    payload: Mapping[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The newest event's hash and the number of events (``GENESIS`` and 0 when empty).

    Its text form ``HASH:COUNT`` is what ``assay audit verify --head`` takes.
    """

    hash: str
    count: int

    def __str__(self) -> str:
        return f"{self.hash}:{self.count}"

    @classmethod
    def parse(cls, text: str) -> ChainHead:
        """Read ``HASH:COUNT``; raises ``ValueError`` for anything else."""
        match = _HEAD.match(text.strip().lower())
        if match is None:
            raise ValueError("a head reads HASH:COUNT (64 hex digits, a colon, a count)")
        return cls(hash=match["hash"], count=int(match["count"]))


class AuditError(AssayError):
    """The audit chain cannot be appended to (a programming or database fault)."""


def _timestamp(at: dt.datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("naive datetime in an audit event")
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(*, seq: int, at: dt.datetime | str, type: str, org: str | None,
              actor: str | None, screening_id: str | None, payload: Mapping[str, Any],
              prev: str) -> bytes:
    """The bytes an event's hash is computed over (`at` may be given as `_timestamp(at)`)."""
    stamp = at if isinstance(at, str) else _timestamp(at)
    document = {"seq": seq, "at": stamp, "type": type, "org": org, "actor": actor,
                "screening_id": screening_id, "payload": payload, "prev": prev}
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def event_hash(*, seq: int, at: dt.datetime | str, type: str, org: str | None, actor: str | None,
               screening_id: str | None, payload: Mapping[str, Any], prev: str) -> str:
    """The hash of an event with these fields (hex sha256 of ``canonical``)."""
    return hashlib.sha256(canonical(
        seq=seq, at=at, type=type, org=org, actor=actor, screening_id=screening_id,
        payload=payload, prev=prev)).hexdigest()


def chain(events: Iterable[NewEvent], *, after: ChainHead, at: dt.datetime) -> list[AuditEvent]:
    """The stored form of ``events`` appended after ``after``, all at time ``at``."""
    out: list[AuditEvent] = []
    prev, seq = after.hash, after.count
    stamp = _timestamp(at)  # one time for the whole append
    for event in events:
        seq += 1
        payload = dict(event.payload)
        digest = event_hash(seq=seq, at=stamp, type=event.type, org=event.org, actor=event.actor,
                            screening_id=event.screening_id, payload=payload, prev=prev)
        out.append(AuditEvent(seq=seq, at=at, type=event.type, org=event.org,
                              actor=event.actor, screening_id=event.screening_id,
                              payload=payload, prev_hash=prev, hash=digest))
        prev = digest
    return out


# ------------------------------------------------------------------------------ verification


@dataclass(frozen=True, slots=True)
class Verification:
    """What ``verify`` found. ``ok`` is False with ``problem`` naming the first bad event
    (``bad_seq``); ``head`` is the head of the part that checked out."""

    ok: bool
    count: int
    head: ChainHead
    problem: str | None = None
    bad_seq: int | None = None

    def __str__(self) -> str:
        if self.ok:
            return f"audit chain OK: {self.count} events, head {self.head}"
        return f"audit chain BROKEN: {self.problem}"


def _describe(event: AuditEvent) -> str:
    return f"event #{event.seq} ({event.type} at {_timestamp(event.at)})"


def verify(events: Iterable[AuditEvent], *, head: ChainHead | None = None) -> Verification:
    """Walk ``events`` in ``seq`` order and check every link; stop at the first bad event.

    Finds: an event whose content no longer matches its hash (edited), a ``seq`` out of
    sequence (removed, inserted or reordered), a ``prev_hash`` that is not the previous event's
    hash (removed or reordered). With ``head`` (a head taken earlier), also: fewer events than
    it counts (the newest were removed) or event #count without the head's hash (the chain was
    rewritten up to there).
    """
    prev, expected = GENESIS, 1
    at_head: str | None = GENESIS if head is not None and head.count == 0 else None
    for event in events:
        if event.seq != expected:
            what = "removed" if event.seq > expected else "duplicated or reordered"
            return _broken(expected - 1, prev, f"expected event #{expected}, found "
                           f"{_describe(event)}: events {what}", event.seq)
        if event.prev_hash != prev:
            return _broken(expected - 1, prev,
                           f"{_describe(event)} does not follow event #{expected - 1}: its "
                           "prev_hash differs (an event before it was removed, reordered or "
                           "rewritten)", event.seq)
        recomputed = event_hash(seq=event.seq, at=event.at, type=event.type, org=event.org,
                                actor=event.actor, screening_id=event.screening_id,
                                payload=event.payload, prev=event.prev_hash)
        if recomputed != event.hash:
            return _broken(expected - 1, prev,
                           f"{_describe(event)} does not match its hash: it was edited",
                           event.seq)
        if head is not None and event.seq == head.count:
            at_head = event.hash
        prev, expected = event.hash, expected + 1
    count = expected - 1
    if head is not None:
        if count < head.count:
            return _broken(count, prev, f"the chain has {count} events but the head counts "
                           f"{head.count}: events #{count + 1} to #{head.count} were removed",
                           count + 1)
        if at_head != head.hash:
            return _broken(count, prev, f"event #{head.count} does not have the head's hash "
                           f"{head.hash[:12]}...: the chain was rewritten", head.count)
    return Verification(ok=True, count=count, head=ChainHead(hash=prev, count=count))


def _broken(count: int, prev: str, problem: str, bad_seq: int) -> Verification:
    return Verification(ok=False, count=count, head=ChainHead(hash=prev, count=count),
                        problem=problem, bad_seq=bad_seq)
