"""The Screening: what Assay answers for a shipment."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Decision = Literal["clear", "review", "hold"]
Severity = Literal["low", "medium", "high", "critical"]
ChecklistStatus = Literal["provided", "missing", "not_applicable"]
ReviewStatus = Literal["open", "in_review", "awaiting_second", "approved", "rejected", "escalated"]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class Citation(_Out):
    source: str = Field(examples=["seed-004"])
    title: str | None = None
    publisher: str | None = None
    published: str | None = None
    quote: str = Field(examples=["transshipment through third-party nations"])
    span: tuple[int, int] = Field(description="code-point offsets of the quote in the raw seed")


class Evidence(_Out):
    path: str = Field(examples=["route.transit_countries[1]"])
    value: object = None
    why: str = Field(examples=["in list transshipment_hubs"])


class Finding(_Out):
    rule_id: str
    red_flag: str
    title: str
    category: str
    severity: Severity
    message: str
    evidence: list[Evidence]
    citations: list[Citation]
    action: str | None = None


class ChecklistItem(_Out):
    id: str
    title: str
    status: ChecklistStatus
    detail: str | None = None
    citations: list[Citation] = Field(default_factory=list)


class Normalisation(_Out):
    path: str
    from_: str = Field(alias="from", serialization_alias="from")
    to: str

    model_config = ConfigDict(frozen=True, populate_by_name=True)


class RulesetRef(_Out):
    version: str = Field(examples=["sha256:4c1e..."])
    rules: int


ReviewDecision = Literal["start", "approve", "reject", "escalate"]
Disposition = Literal["confirmed", "false_positive"]


class FindingDisposition(_Out):
    """An officer's verdict on one finding: is the red flag real?"""

    rule_id: str = Field(examples=["transshipment.hub-transit"])
    disposition: Disposition
    note: str | None = Field(default=None, examples=["Malaysian transit confirmed by the B/L"])


class ReviewAction(_Out):
    """One decision on record: who (the API key id), when, what, why, and the status after it."""

    by: str = Field(examples=["ak_3f9k2m8q7w1z5x4c"])
    at: dt.datetime
    decision: ReviewDecision
    reason: str | None = None
    findings: list[FindingDisposition] = Field(default_factory=list)
    status: ReviewStatus = Field(description="the review status this decision led to")


class Review(_Out):
    """Where a flagged screening stands in review, and every decision taken on it, oldest first.

    ``open`` -> ``in_review`` (start) -> ``approved`` | ``rejected`` | ``escalated``; approving a
    ``hold`` takes two different reviewers: the first approval leads to ``awaiting_second``.
    """

    status: ReviewStatus
    history: list[ReviewAction] = Field(default_factory=list)


class Screening(_Out):
    id: str | None = Field(default=None, examples=["scr_01JD3X5Q7Z8K9M2N4P6R8T0V2W"])
    reference: str
    as_of: dt.date
    ruleset: RulesetRef
    decision: Decision
    risk_score: int = Field(ge=0, le=100)
    findings: list[Finding]
    checklist: list[ChecklistItem]
    normalised: list[Normalisation] = Field(default_factory=list)
    created_at: dt.datetime | None = None
    review: Review | None = None
