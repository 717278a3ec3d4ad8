"""The review of flagged screenings: the request, the rules, and the errors they raise.

A screening decided ``review`` or ``hold`` enters the queue with status ``open``:

    open --start--> in_review
    open | in_review --approve--> approved          (decision review)
    open | in_review --approve--> awaiting_second   (decision hold: four eyes)
    awaiting_second --approve by another key--> approved
    open | in_review | awaiting_second --reject--> rejected
    open | in_review | awaiting_second --escalate--> escalated
    escalated --start | approve | reject (an admin)--> as above

``approved`` and ``rejected`` are final. Only keys with the reviewer or admin role review;
nobody reviews a screening their own key submitted; the second approval of a hold must come
from another key than the first. Approve, reject and escalate need a reason; approve and reject
need a disposition (confirmed / false_positive) for every finding, given now or by an earlier
decision.

This module is pure (no store, no clock): ``service.workflow`` loads, checks the ETag, calls
``apply_review`` and stores the result with its audit event in one transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .audit import NewEvent
from .auth import Principal
from .errors import AssayError
from .models.screening import (
    Disposition,
    FindingDisposition,
    Review,
    ReviewAction,
    ReviewDecision,
    ReviewStatus,
)
from .store import StoredScreening

MAX_REASON = 2000
MAX_NOTE = 500
FINAL: frozenset[ReviewStatus] = frozenset({"approved", "rejected"})
# Control characters other than tab and line breaks never belong in a reason or a note (and
# PostgreSQL's JSONB refuses NUL).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# ------------------------------------------------------------------------------ errors


class WorkflowError(AssayError):
    """A request the workflow refuses; ``status`` is the HTTP status that says so."""

    status: ClassVar[int] = 400


class Forbidden(WorkflowError):
    """The key may not do this (role, own submission, four eyes)."""

    status = 403


class ReviewConflict(WorkflowError):
    """The screening's review status does not allow this decision (or it is not in review)."""

    status = 409


class PreconditionFailed(WorkflowError):
    """The ETag sent in If-Match is not the screening's current one: it changed since read."""

    status = 412

    def __init__(self, message: str, *, current_etag: str) -> None:
        super().__init__(message)
        self.current_etag = current_etag


class PreconditionRequired(WorkflowError):
    """A review must say which version it was decided on (If-Match with the ETag)."""

    status = 428


class InvalidReview(WorkflowError, ValueError):
    """The review does not fit the screening; ``errors`` lists each problem with ``loc`` (a
    JSON pointer into the review request), ``msg`` and ``type``."""

    status = 422

    def __init__(self, errors: list[dict[str, str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{e['loc'] or '/'}: {e['msg']}" for e in errors))


# ------------------------------------------------------------------------------ request


def _clean(value: str | None, what: str) -> str | None:
    if value is None:
        return None
    if _CONTROL.search(value):
        raise ValueError(f"{what} contains control characters")
    value = value.strip()
    return value or None


class FindingDispositionIn(BaseModel):
    """The officer's verdict on one finding of the screening, named by its rule id."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule_id: str = Field(min_length=1, max_length=100, examples=["transshipment.hub-transit"])
    disposition: Disposition
    note: str | None = Field(default=None, max_length=MAX_NOTE,
                             examples=["B/L shows Port Klang transit"])

    @field_validator("note")
    @classmethod
    def _note(cls, value: str | None) -> str | None:
        return _clean(value, "the note")


class ReviewRequest(BaseModel):
    """A review decision on a screening.

    ``start`` takes the screening into review; ``approve``, ``reject`` and ``escalate`` need a
    ``reason``. ``findings`` gives a disposition per finding (by ``rule_id``); approve and reject
    need one for every finding, here or in an earlier decision.
    """

    model_config = ConfigDict(
        extra="forbid", frozen=True,
        json_schema_extra={"examples": [{
            "decision": "approve",
            "reason": "Licence MOFCOM-2025-0012 covers the goods; Malaysian transit is the "
                      "carrier's usual route and the end-user certificate names Vektor.",
            "findings": [{"rule_id": "transshipment.hub-transit",
                          "disposition": "false_positive",
                          "note": "B/L shows Port Klang transit only"}],
        }]},
    )

    decision: ReviewDecision
    reason: str | None = Field(default=None, max_length=MAX_REASON)
    findings: list[FindingDispositionIn] = Field(default_factory=list, max_length=500)

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str | None) -> str | None:
        return _clean(value, "the reason")


# ------------------------------------------------------------------------------ rules


def dispositions(review: Review | None) -> dict[str, FindingDisposition]:
    """The current disposition of each finding (by rule id): the latest decision's."""
    current: dict[str, FindingDisposition] = {}
    if review is not None:
        for action in review.history:
            for item in action.findings:
                current[item.rule_id] = item
    return current


def check_reviewer(stored: StoredScreening, principal: Principal) -> None:
    """Raise ``Forbidden`` unless ``principal`` may review this screening at all."""
    if not principal.can_review:
        raise Forbidden(f"reviewing needs the reviewer or admin role; key {principal.key_id} "
                        f"has the {principal.role} role")
    if stored.submitted_by is not None and stored.submitted_by == principal.key_id:
        raise Forbidden("nobody reviews what their own key submitted: ask another reviewer")


def _next_status(stored: StoredScreening, principal: Principal, decision: ReviewDecision
                 ) -> ReviewStatus:
    screening = stored.screening
    review = screening.review
    if review is None:
        raise ReviewConflict(f"screening {screening.id} was decided {screening.decision}: "
                             "there is nothing to review")
    status = review.status
    if status in FINAL:
        raise ReviewConflict(f"the review of screening {screening.id} is closed ({status})")
    if status == "escalated" and not principal.is_admin:
        raise Forbidden("an escalated screening is decided by an admin")
    if decision == "start":
        if status not in ("open", "escalated"):
            raise ReviewConflict(f"only an open or escalated screening can be taken into "
                                 f"review; this one is {status}")
        return "in_review"
    if decision == "reject":
        return "rejected"
    if decision == "escalate":
        if status == "escalated":
            raise ReviewConflict("the screening is escalated already")
        return "escalated"
    # approve
    if screening.decision != "hold":
        return "approved"
    if status != "awaiting_second":
        return "awaiting_second"
    first = next((a.by for a in reversed(review.history) if a.status == "awaiting_second"),
                 None)
    if first == principal.key_id:
        raise Forbidden("four eyes: a held screening needs a second approval from another "
                        "reviewer than the first")
    return "approved"


def _check_findings(stored: StoredScreening, request: ReviewRequest) -> None:
    screening = stored.screening
    known = [f.rule_id for f in screening.findings]
    errors: list[dict[str, str]] = []
    seen: set[str] = set()
    for index, item in enumerate(request.findings):
        loc = f"/findings/{index}/rule_id"
        if item.rule_id not in known:
            errors.append({"loc": loc, "msg": f"the screening has no finding of rule "
                           f"{item.rule_id!r}", "type": "unknown_finding"})
        elif item.rule_id in seen:
            errors.append({"loc": loc, "msg": f"rule {item.rule_id!r} is given twice",
                           "type": "duplicate_finding"})
        seen.add(item.rule_id)
    if request.decision in ("approve", "reject", "escalate") and request.reason is None:
        errors.append({"loc": "/reason", "msg": f"{request.decision} needs a reason",
                       "type": "missing"})
    if request.decision in ("approve", "reject"):
        given = set(dispositions(screening.review)) | seen
        missing = [rule for rule in known if rule not in given]
        if missing:
            errors.append({"loc": "/findings", "msg": f"{request.decision} needs a disposition "
                           f"for every finding; missing: {', '.join(missing)}",
                           "type": "missing_disposition"})
    if errors:
        raise InvalidReview(errors)


def apply_review(stored: StoredScreening, principal: Principal, request: ReviewRequest,
                 *, now: dt.datetime) -> tuple[Review, NewEvent]:
    """The screening's review after ``request`` and the screening.reviewed event recording it.

    Raises ``Forbidden``, ``ReviewConflict`` or ``InvalidReview``; changes nothing.
    """
    check_reviewer(stored, principal)
    status = _next_status(stored, principal, request.decision)
    _check_findings(stored, request)
    screening = stored.screening
    assert screening.review is not None and screening.id is not None
    findings = [FindingDisposition(rule_id=f.rule_id, disposition=f.disposition, note=f.note)
                for f in request.findings]
    action = ReviewAction(by=principal.key_id, at=now, decision=request.decision,
                          reason=request.reason, findings=findings, status=status)
    review = Review(status=status, history=[*screening.review.history, action])
    payload: Mapping[str, Any] = {
        "decision": request.decision, "reason": request.reason,
        "from": screening.review.status, "to": status,
        "findings": [f.model_dump() for f in findings],
        "version": stored.version + 1,
    }
    event = NewEvent(type="screening.reviewed", org=stored.org, actor=principal.key_id,
                     screening_id=screening.id, payload=payload)
    return review, event


# ------------------------------------------------------------------------------ ETags


def parse_if_match(value: str | None) -> list[str]:
    """The entity tags of an If-Match header (a bare ``v3`` is read as ``"v3"``).

    Raises ``PreconditionRequired`` when there is none, or only ``*``: a review must name the
    version it was decided on.
    """
    if value is None or not value.strip():
        raise PreconditionRequired("send If-Match with the ETag of the screening you reviewed "
                                   "(GET /v1/screenings/{id} returns it)")
    tags: list[str] = []
    for part in value.split(","):
        tag = part.strip()
        if not tag:
            continue
        if tag == "*":
            raise PreconditionRequired("If-Match: * is not accepted: send the screening's ETag")
        if not tag.startswith(('"', "W/")):
            tag = f'"{tag}"'
        tags.append(tag)
    if not tags:
        raise PreconditionRequired("If-Match carries no entity tag")
    return tags


def check_etag(stored: StoredScreening, tags: list[str]) -> None:
    """Raise ``PreconditionFailed`` unless one of ``tags`` is the current ETag (strong
    comparison: weak tags never match)."""
    if stored.etag not in tags:
        raise PreconditionFailed(
            f"screening {stored.screening.id} changed since you read it (it is now at "
            f"{stored.etag}): read it again and decide on what it is now",
            current_etag=stored.etag)
