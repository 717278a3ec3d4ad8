"""The compliance officers' workflow: what the API routes and the reviewer pages both call.

Every function takes the ``Store`` and, where it acts for someone, the ``Principal`` of the
API key (``authenticate``/``principal_for_key``). Tenancy is enforced here: a screening of
another organisation is ``NotFound``, exactly like one that does not exist, and is absent from
lists and counts.

Errors (all ``service.errors.AssayError``; the ``WorkflowError`` ones carry ``status``):

- ``NotFound`` (404): no such screening in the principal's organisation;
- ``Forbidden`` (403): wrong role, own submission, four eyes;
- ``ReviewConflict`` (409): the review status does not allow the decision;
- ``PreconditionFailed`` (412): stale ETag (``current_etag`` says the current one);
- ``PreconditionRequired`` (428): no usable If-Match;
- ``InvalidReview`` (422): ``errors`` lists what does not fit the screening;
- ``InvalidCursor`` (a ``ValueError``): a cursor this store did not issue.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .audit import AuditEvent, ChainHead, EventType, NewEvent, Verification, verify
from .auth import Principal, authenticate, principal_for_key
from .models import Screening
from .models.screening import Decision, ReviewStatus
from .review import (
    Forbidden,
    InvalidReview,
    PreconditionFailed,
    PreconditionRequired,
    ReviewConflict,
    ReviewRequest,
    WorkflowError,
    apply_review,
    check_etag,
    check_reviewer,
    parse_if_match,
)
from .store import (
    Cursor,
    InvalidCursor,
    NotFound,
    QueueCounts,
    ReloadRequest,
    ScreeningFilter,
    Store,
    StoredScreening,
    VersionConflict,
)

__all__ = [
    "AuditEvent", "ChainHead", "Forbidden", "InvalidCursor", "InvalidReview", "NotFound",
    "PreconditionFailed", "PreconditionRequired", "Principal", "QueueCounts", "QueueFilter",
    "QueuePage", "RecordedReload", "ReloadRequest", "ReviewConflict", "ReviewRequest",
    "StoredScreening", "Verification", "WorkflowError", "audit_events", "audit_head",
    "authenticate", "find_screening", "get_screening", "list_queue", "principal_for_key",
    "queue_counts", "record_ruleset_loaded", "record_ruleset_reload", "reload_request",
    "review_screening", "screening_audit", "verify_audit",
]

MAX_PAGE = 200


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# ------------------------------------------------------------------------------ the queue


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """Conditions on the organisation's screenings; None means no condition. ``since`` is
    inclusive and ``until`` exclusive (``created_at``, aware datetimes)."""

    decision: Decision | None = None
    red_flag: str | None = None
    status: ReviewStatus | None = None
    reference: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    def for_org(self, org: str) -> ScreeningFilter:
        return ScreeningFilter(org=org, decision=self.decision, red_flag=self.red_flag,
                               status=self.status, reference=self.reference,
                               since=self.since, until=self.until)


@dataclass(frozen=True, slots=True)
class QueuePage:
    """One page, newest first. ``next_cursor`` (opaque) continues it; ``counts`` are over the
    organisation's screenings (by review status and decision), ``total`` how many match the
    filter. Both are None when not asked for."""

    items: list[Screening]
    next_cursor: str | None
    counts: QueueCounts | None = None
    total: int | None = None


def list_queue(store: Store, principal: Principal, where: QueueFilter | None = None, *,
               cursor: str | None = None, limit: int = 50, counts: bool = True) -> QueuePage:
    """A page of the principal's organisation's screenings matching ``where``.

    ``limit`` is capped at 200. Raises ``InvalidCursor`` for a cursor not issued here.
    """
    where = where or QueueFilter()
    after = Cursor.decode(cursor) if cursor else None
    scoped = where.for_org(principal.org)
    with store.transaction() as repo:
        page = repo.list_screenings(where=scoped, limit=max(1, min(limit, MAX_PAGE)),
                                    after=after)
        overall: QueueCounts | None = None
        total: int | None = None
        if counts:
            everything = QueueFilter().for_org(principal.org)
            overall = repo.count_screenings(where=everything)
            total = (overall.total if scoped == everything
                     else repo.count_screenings(where=scoped).total)
    return QueuePage(items=page.items,
                     next_cursor=page.next_cursor.encode() if page.next_cursor else None,
                     counts=overall, total=total)


def queue_counts(store: Store, principal: Principal, where: QueueFilter | None = None
                 ) -> QueueCounts:
    """Counts of the organisation's screenings matching ``where`` by status and decision."""
    with store.transaction() as repo:
        return repo.count_screenings(where=(where or QueueFilter()).for_org(principal.org))


# ------------------------------------------------------------------------------ one screening


def get_screening(store: Store, principal: Principal, screening_id: str, *,
                  shipment: bool = True) -> StoredScreening:
    """The screening with its ETag (``.etag``), submitter key id, review history (in
    ``.screening.review``) and, with ``shipment``, the shipment as submitted (None for
    screenings stored before shipments were kept). Raises ``NotFound`` for an unknown id and
    for another organisation's screening alike."""
    with store.transaction() as repo:
        return repo.get_stored(screening_id, org=principal.org, shipment=shipment)


def find_screening(store: Store, principal: Principal, screening_id: str, *,
                   shipment: bool = True) -> StoredScreening | None:
    """Like ``get_screening``, None instead of ``NotFound``."""
    try:
        return get_screening(store, principal, screening_id, shipment=shipment)
    except NotFound:
        return None


def review_screening(store: Store, principal: Principal, screening_id: str,
                     request: ReviewRequest, *, if_match: str | None,
                     now: dt.datetime | None = None) -> StoredScreening:
    """Record a review decision taken on the version ``if_match`` names; return the screening
    as it is afterwards (new ETag, review with the decision appended).

    The change and its screening.reviewed audit event are one transaction. Checks, in order:
    role (``Forbidden``), If-Match present (``PreconditionRequired``), the screening is the
    organisation's (``NotFound``), not the principal's own submission (``Forbidden``), the
    ETag is current (``PreconditionFailed``, also when another review commits first), the
    status allows the decision and four eyes (``ReviewConflict``, ``Forbidden``), reason and
    dispositions fit the screening (``InvalidReview``).
    """
    if not principal.can_review:
        raise Forbidden(f"reviewing needs the reviewer or admin role; key {principal.key_id} "
                        f"has the {principal.role} role")
    tags = parse_if_match(if_match)
    now = now or _now()
    with store.transaction(write=True) as repo:
        stored = repo.get_stored(screening_id, org=principal.org, shipment=False)
        check_reviewer(stored, principal)
        check_etag(stored, tags)
        review, event = apply_review(stored, principal, request, now=now)
        try:
            version = repo.update_review(screening_id, org=principal.org,
                                         expected_version=stored.version, review=review,
                                         event=event, now=now)
        except VersionConflict as exc:
            raise PreconditionFailed(
                f"screening {screening_id} was reviewed by someone else a moment ago: read it "
                "again", current_etag=stored.etag) from exc
    screening = stored.screening.model_copy(update={"review": review})
    return StoredScreening(screening=screening, org=stored.org,
                           submitted_by=stored.submitted_by, version=version)


# ------------------------------------------------------------------------------ audit


def screening_audit(store: Store, principal: Principal, screening_id: str) -> list[AuditEvent]:
    """The audit events of one of the organisation's screenings, oldest first (any role may
    read the history of a screening it can see). Raises ``NotFound`` like ``get_screening``."""
    with store.transaction() as repo:
        repo.get_stored(screening_id, org=principal.org, shipment=False)
        return repo.list_events(org=principal.org, include_global=False,
                                screening_id=screening_id, limit=10_000)


def audit_events(store: Store, principal: Principal, *, screening_id: str | None = None,
                 type: EventType | None = None, after: int = 0, limit: int = 100
                 ) -> list[AuditEvent]:
    """The organisation's audit events (and the service-wide ones, such as ruleset loads) in
    chain order after position ``after``; for admins only (``Forbidden``)."""
    if not principal.is_admin:
        raise Forbidden(f"the audit trail is for admins; key {principal.key_id} has the "
                        f"{principal.role} role")
    with store.transaction() as repo:
        return repo.list_events(org=principal.org, include_global=screening_id is None,
                                screening_id=screening_id, type=type, after=after,
                                limit=max(1, min(limit, 1000)))


def audit_head(store: Store) -> ChainHead:
    """The chain's head: the newest event's hash and the number of events."""
    with store.transaction() as repo:
        return repo.audit_head()


def verify_audit(store: Store, *, head: ChainHead | None = None) -> Verification:
    """Check the whole chain (and, with ``head``, that nothing up to it was removed or
    rewritten). Reads every event in one snapshot."""
    with store.transaction() as repo:
        return verify(repo.iter_events(), head=head)


def _ruleset_loaded(version: str, rules: int, previous: str | None, trigger: str,
                    actor: Principal | None, **extra: object) -> NewEvent:
    payload: dict[str, object] = {"version": version, "rules": rules, "previous": previous,
                                  "trigger": trigger, **extra}
    if actor is not None:
        payload["actor_org"] = actor.org
    return NewEvent(type="ruleset.loaded", org=None, actor=actor.key_id if actor else None,
                    payload=payload)


def record_ruleset_loaded(store: Store, *, version: str, rules: int, previous: str | None,
                          trigger: str, actor: Principal | None = None,
                          only_if_changed: bool = False) -> AuditEvent | None:
    """Append ruleset.loaded (a service-wide event: every organisation's admins see it).

    With ``only_if_changed`` (a server starting), nothing is appended when the newest
    ruleset.loaded already names ``version``; returns the event appended, if any.
    """
    with store.transaction(write=True) as repo:
        repo.lock_audit_chain()  # two servers starting together record one load
        if only_if_changed:
            last = repo.last_event("ruleset.loaded")
            if last is not None and last.payload.get("version") == version:
                return None
        [event] = repo.append_events(
            [_ruleset_loaded(version, rules, previous, trigger, actor)], now=_now())
        return event


@dataclass(frozen=True, slots=True)
class RecordedReload:
    """A reload recorded for every server process: its audit event and the reload request."""

    event: AuditEvent
    request: ReloadRequest


def record_ruleset_reload(store: Store, *, version: str, rules: int, previous: str | None,
                          trigger: str, actor: Principal | None = None) -> RecordedReload:
    """A process reloaded its rules and now serves ``version``: ask every other server process
    on this database to reload too (the next ``ReloadRequest`` generation, which they poll) and
    append ruleset.loaded (with the generation in its payload), in one transaction."""
    now = _now()
    with store.transaction(write=True) as repo:
        repo.lock_audit_chain()  # serialises reload requests as well
        request = repo.request_reload(version=version, trigger=trigger,
                                      requested_by=actor.key_id if actor else None, now=now)
        [event] = repo.append_events([_ruleset_loaded(
            version, rules, previous, trigger, actor, generation=request.generation)], now=now)
        return RecordedReload(event=event, request=request)


def reload_request(store: Store) -> ReloadRequest | None:
    """The newest request to reload the rules everywhere (None before the first)."""
    with store.transaction() as repo:
        return repo.reload_request()
