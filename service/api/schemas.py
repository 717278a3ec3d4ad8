"""Wire models of the API that are not the Shipment/Screening contract itself."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..models import ChecklistItem, Citation, RulesetRef, Screening, Shipment
from ..models.screening import Severity
from .examples import EXAMPLE_SCREENING
from .problems import Problem

# The default of ASSAY_MAX_BATCH_ITEMS, which the API enforces (``Settings.max_batch_items``);
# the OpenAPI document names this default.
MAX_BATCH = 1000


class _Wire(BaseModel):
    model_config = ConfigDict(frozen=True)


class ScreeningPage(_Wire):
    """Screenings newest first. Pass ``next_cursor`` as ``cursor`` for the next page."""

    items: list[Screening]
    next_cursor: str | None = Field(
        description="opaque; null on the last page", examples=["MjAyNS0wOC0wNFQx..."]
    )


class BatchRequest(BaseModel):
    """Up to 1,000 shipments (the server's `ASSAY_MAX_BATCH_ITEMS`), each screened on its own:
    a bad one does not fail the others."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"shipments": ["<Shipment>", "<Shipment>"]}]},
    )

    # The upper bound is the server's setting (``maxItems`` documents its default), checked by
    # the route with ``params.check_items_at_most``. A shipment is validated straight from the
    # JSON as the body is read; one that is not valid stays as sent (the route validates it
    # again for its errors), so that it fails alone.
    shipments: list[Annotated[Shipment | Any, Field(union_mode="left_to_right")]] = Field(
        min_length=1,
        json_schema_extra={"items": {"$ref": "#/components/schemas/Shipment"},
                           "maxItems": MAX_BATCH},
    )


class BatchCreated(_Wire):
    status: Literal[201]
    screening: Screening


class BatchRejected(_Wire):
    status: Literal[422]
    problem: Problem


class BatchResponse(_Wire):
    """One result per shipment, in input order."""

    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={"examples": [{"results": [
            {"status": 201, "screening": EXAMPLE_SCREENING},
            {"status": 422, "problem": {
                "type": "urn:assay:problem:invalid-request", "title": "Unprocessable Content",
                "status": 422, "detail": "1 invalid field",
                "errors": [{"loc": "/shipments/1/goods/0/hs_code", "in": "body",
                            "type": "value_error", "msg": "Value error, invalid HS code 'x'"}]}},
        ]}]},
    )

    results: list[BatchCreated | BatchRejected]


class EffectiveWindow(_Wire):
    from_: dt.date | None = Field(default=None, serialization_alias="from", alias="from")
    until: dt.date | None = None

    model_config = ConfigDict(frozen=True, populate_by_name=True)


class RuleSummary(_Wire):
    id: str = Field(examples=["transshipment.hub-transit"])
    title: str
    red_flag: str = Field(examples=["TRX-HUB"])
    category: str
    severity: Severity
    effective: EffectiveWindow


class RuleList(_Wire):
    ruleset: RulesetRef
    rules: list[RuleSummary]


class RuleReference(_Wire):
    id: str = Field(examples=["MOFCOM No. 46 of 2024"])
    date: dt.date | None = None
    note: str | None = None
    source: str


class RuleExamples(_Wire):
    hit: list[str | dict[str, Any]]
    miss: list[str | dict[str, Any]]


class RuleDetail(RuleSummary):
    """A rule with what it checks, why (citations with spans into the seeds) and its examples."""

    message: str
    action: str | None = None
    verified_as_of: dt.date | None = None
    when: dict[str, Any] = Field(description="the rule's condition as written in its file")
    citations: list[Citation]
    references: list[RuleReference]
    examples: RuleExamples
    file: str = Field(examples=["rules/transshipment.yaml"])
    line: int = Field(ge=1)
    ruleset: RulesetRef


class SourceSummary(_Wire):
    id: str = Field(examples=["seed-004"])
    file: str
    title: str
    publisher: str
    published: str
    reports: str = Field(description="the earlier report the article names as its source")
    length: int = Field(description="length of the text in code points", ge=0)


class SourceList(_Wire):
    ruleset: RulesetRef
    sources: list[SourceSummary]


class Source(SourceSummary):
    """A seed article: citation spans are code-point offsets into ``text``."""

    text: str


class ChecklistAnswer(_Wire):
    hs_code: str = Field(examples=["8112.92"])
    destination: str = Field(examples=["DE"])
    ship_date: dt.date
    ruleset: RulesetRef
    items: list[ChecklistItem]


class Health(_Wire):
    status: Literal["ok"]


class Readiness(_Wire):
    status: Literal["ready"]
    ruleset: RulesetRef
    database: Literal["ok"]
    schema_revision: str | None


class QueueCountsOut(_Wire):
    """Screenings of the organisation (matching the filter) by review status and by decision.
    Clear screenings have no review status; every status and decision is listed, zeros too."""

    by_status: dict[str, int] = Field(examples=[{
        "open": 12, "in_review": 3, "awaiting_second": 1, "approved": 40, "rejected": 2,
        "escalated": 0}])
    by_decision: dict[str, int] = Field(examples=[{"clear": 310, "review": 50, "hold": 8}])
    total: int = Field(ge=0)


class AuditEventOut(_Wire):
    """One event of the hash chain: ``hash`` is the sha256 of the canonical JSON of
    ``{seq, at, type, org, actor, screening_id, payload, prev}`` (``prev`` = ``prev_hash``)."""

    seq: int = Field(ge=1, description="position in the chain (1, 2, 3 ...)")
    at: dt.datetime
    type: str = Field(examples=["screening.reviewed"])
    org: str | None = Field(description="the organisation; null for service-wide events")
    actor: str | None = Field(description="the acting API key id; null for the command line "
                                          "and the server itself", examples=["ak_3f9k2m8q7w1z5x4c"])
    screening_id: str | None = None
    payload: dict[str, Any]
    prev_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    hash: str = Field(pattern=r"^[0-9a-f]{64}$")


class AuditPage(_Wire):
    """Events in chain order; pass ``next_after`` as ``after`` for the next page."""

    items: list[AuditEventOut]
    next_after: int | None = Field(description="null on the last page")


class AuditHead(_Wire):
    """The newest event's hash and the number of events: keep it elsewhere, then check the
    store against it with ``assay audit verify --head HASH:COUNT``."""

    hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    count: int = Field(ge=0)
    head: str = Field(description="HASH:COUNT, as `assay audit verify --head` takes it")


class ReloadResultOut(_Wire):
    """A reload that took: the ruleset now serving and the one before (in the process that
    answered; the others follow within about 2 s)."""

    ok: Literal[True]
    version: str = Field(examples=["sha256:4c1e0b7d9a"], description="the ruleset now serving")
    previous: str | None
    rules: int = Field(ge=0)
    changed: bool
    generation: int | None = Field(
        default=None, ge=1, examples=[7],
        description="the reload request the other server processes follow; null when it could "
                    "not be recorded (database unavailable): then only this process reloaded")
