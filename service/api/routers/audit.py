"""The audit trail: the organisation's events and the chain's head (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ... import workflow
from ...audit import AuditEvent, EventType
from ..deps import StoreDep
from ..schemas import AuditEventOut, AuditHead, AuditPage
from ..security import AdminDep
from .common import AUTH, problem_responses

router = APIRouter(prefix="/v1/audit", tags=["audit"])


def _out(event: AuditEvent) -> AuditEventOut:
    return AuditEventOut(seq=event.seq, at=event.at, type=event.type, org=event.org,
                         actor=event.actor, screening_id=event.screening_id,
                         payload=dict(event.payload), prev_hash=event.prev_hash,
                         hash=event.hash)


@router.get(
    "",
    response_model=AuditPage,
    operation_id="listAuditEvents",
    summary="The organisation's audit events in chain order (and service-wide ones)",
    description="Events of the admin's organisation and, unless `screening_id` is given, the "
                "service-wide ones (ruleset loads). To check the chain itself, use "
                "`assay audit verify` where the database is.",
    responses=problem_responses(*AUTH, 422, 503),
)
def list_audit_events(
    store: StoreDep,
    principal: AdminDep,
    screening_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    type: Annotated[EventType | None, Query(description="event type")] = None,
    after: Annotated[int, Query(ge=0, le=2**62, description="events after this seq")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AuditPage:
    events = workflow.audit_events(store, principal, screening_id=screening_id, type=type,
                                   after=after, limit=limit + 1)
    page = events[:limit]
    return AuditPage(items=[_out(e) for e in page],
                     next_after=page[-1].seq if len(events) > limit else None)


@router.get(
    "/head",
    response_model=AuditHead,
    operation_id="getAuditHead",
    summary="The chain's head: the newest event's hash and the number of events",
    responses=problem_responses(*AUTH, 503),
)
def audit_head(store: StoreDep, principal: AdminDep) -> AuditHead:
    head = workflow.audit_head(store)
    return AuditHead(hash=head.hash, count=head.count, head=str(head))
