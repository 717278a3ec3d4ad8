"""The shape of rule, list and policy files, as pydantic models.

Pydantic checks the shape; the compiler checks the meaning (fields, operators, lists).
`rules/schema.json` is generated from `RuleFile` for editors.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from ..models import Severity

RED_FLAGS: dict[str, str] = {
    "LIC-MISSING": "controlled item without a dual-use export licence",
    "LIC-INVALID": "licence expired at ship date, or it does not cover the goods' HS codes",
    "LIC-PROHIBITED-DEST": "destination or end user where export is prohibited for that item",
    "DOC-EUC-MISSING": "controlled item without end-user certificate / end-use statement",
    "DOC-INCONSISTENT": "documents disagree with the declaration (party, quantity, HS code)",
    "DEC-HS-MISMATCH": "description and HS heading do not belong together",
    "DEC-VAGUE": "vague or disguising description for goods that look controlled",
    "DEC-UNDERVALUED": "declared unit value far below the reference price for the item",
    "TRX-HUB": "routed through a listed third-country transshipment hub",
    "TRX-END-USER-MISMATCH": "consignee country differs from end-user country, or none given",
    "TRX-FORWARDER-CONSIGNEE": "freight forwarder or logistics firm as consignee",
    "CON-POSTAL": "controlled item sent by post or courier",
    "CON-PACKAGING": "covert or mixed packaging, goods concealed among other goods",
    "PTY-RESTRICTED": "a party matches a restricted or blacklisted party list",
    "USE-MILITARY": "declared or inferable military end use or end user",
    "REG-UNVERIFIED": "the regime at the ship date is past what the rulebook has verified",
}
RedFlag = Literal[
    "LIC-MISSING", "LIC-INVALID", "LIC-PROHIBITED-DEST", "DOC-EUC-MISSING", "DOC-INCONSISTENT",
    "DEC-HS-MISMATCH", "DEC-VAGUE", "DEC-UNDERVALUED", "TRX-HUB", "TRX-END-USER-MISMATCH",
    "TRX-FORWARDER-CONSIGNEE", "CON-POSTAL", "CON-PACKAGING", "PTY-RESTRICTED", "USE-MILITARY",
    "REG-UNVERIFIED",
]
Category = Literal[
    "licensing", "documentation", "declaration", "transshipment", "concealment", "parties",
    "end_use", "regime",
]
Condition = dict[str, Any]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Effective(_Spec):
    """Both days inclusive."""

    from_: dt.date | None = Field(default=None, alias="from")
    until: dt.date | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _ordered(self) -> Effective:
        if self.from_ and self.until and self.until < self.from_:
            raise PydanticCustomError(
                "effective_range", "until {until} is before from {start}: the rule would never "
                "apply", {"until": self.until.isoformat(), "start": self.from_.isoformat()})
        return self

    def covers(self, day: dt.date) -> bool:
        after_start = self.from_ is None or self.from_ <= day
        return after_start and (self.until is None or day <= self.until)


class CitationSpec(_Spec):
    source: str = Field(pattern=r"^seed-\d{3}$", examples=["seed-004"])
    quote: str = Field(min_length=8)


class Reference(_Spec):
    """A regulation the rule encodes, with where that fact was found."""

    id: str = Field(examples=["MOFCOM No. 46 of 2024"])
    date: dt.date | None = None
    note: str | None = None
    source: str = Field(min_length=3)


class ExamplePatch(_Spec):
    """A shipment given as a base file plus dotted-path replacements."""

    extends: str
    set: dict[str, Any] = Field(default_factory=dict)
    unset: list[str] = Field(default_factory=list)
    as_of: dt.date | None = None


Example = str | ExamplePatch


class Examples(_Spec):
    hit: list[Example] = Field(min_length=1)
    miss: list[Example] = Field(min_length=1)


class RuleSpec(_Spec):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=100)
    title: str = Field(min_length=3)
    red_flag: RedFlag
    category: Category
    severity: Severity
    effective: Effective = Effective()
    verified_as_of: dt.date | None = None
    when: Condition
    message: str = Field(min_length=3)
    action: str | None = None
    citations: list[CitationSpec] = Field(min_length=1)
    references: list[Reference] = Field(default_factory=list)
    examples: Examples


class RuleFile(_Spec):
    """A rule pack: `rules/*.yaml`."""

    rules: list[RuleSpec] = Field(min_length=1)


# The fields of a `values` and of a `keywords` list's entries (a table's are its reader's:
# `reference.tables.TABLE_FIELDS`).
ENTRY_FIELDS = {"values": frozenset(("value", "reason", "source")),
                "keywords": frozenset(("term", "reason", "source"))}


class ListFile(_Spec):
    """A named list: `rules/lists/*.yaml`. `values` and `keywords` lists are used as `@name`.
    A `keywords` list may name exceptions (`except`): phrases that contain one of its terms
    without meaning it ("fire defence" for `defence`); a term that overlaps one does not
    count."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: str = Field(alias="list", pattern=r"^[a-z][a-z0-9_]*$")
    kind: Literal["values", "keywords", "table"]
    description: str
    verified_as_of: dt.date | None = None
    exceptions: list[str] = Field(default_factory=list, alias="except")
    entries: list[dict[str, Any]] = Field(min_length=1)


class ChecklistSpec(_Spec):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    title: str
    applies_when: Condition
    provided_when: Condition
    detail: str | None = None
    citations: list[CitationSpec] = Field(default_factory=list)


class Thresholds(_Spec):
    """Hold when a hold flag is raised or the score reaches `hold_score`; any other
    finding means review; no finding means clear."""

    hold_flags: list[RedFlag] = Field(default_factory=list)
    hold_score: int | None = Field(default=None, ge=1, le=100)


class Policy(_Spec):
    """`rules/policy.yaml`: how findings become a decision and a risk score."""

    severity_points: dict[Severity, int]
    score_cap: int = Field(default=100, ge=1, le=100)
    decision: Thresholds
