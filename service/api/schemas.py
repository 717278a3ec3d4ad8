"""Wire models of the API that are not the Shipment/Screening contract itself."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..models import ChecklistItem, Citation, RulesetRef, Screening
from ..models.screening import Severity
from .examples import EXAMPLE_SCREENING
from .problems import Problem

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
    """Up to 1,000 shipments, each screened on its own: a bad one does not fail the others."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"shipments": ["<Shipment>", "<Shipment>"]}]},
    )

    shipments: list[Any] = Field(
        min_length=1, max_length=MAX_BATCH,
        json_schema_extra={"items": {"$ref": "#/components/schemas/Shipment"}},
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
