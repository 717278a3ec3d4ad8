"""Pure helpers that turn screenings, shipments and rulesets into what templates show."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from ..engine import Ruleset
from ..engine.schema import RED_FLAGS
from ..engine.sources import Seed
from ..models import Citation, Finding, Screening
from ..reference.text import normalise_quotes
from .highlight import Passage, anchor_id, highlight

SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}
STATUS_LABELS = {
    "open": "Open", "in_review": "In review", "awaiting_second": "Awaiting second reviewer",
    "approved": "Approved", "rejected": "Rejected", "escalated": "Escalated",
}
DECISION_LABELS = {"hold": "Hold", "review": "Review", "clear": "Clear"}
PARTY_ROLES = (
    ("exporter", "Exporter"), ("consignee", "Consignee"), ("end_user", "End user"),
    ("notify_party", "Notify party"), ("forwarder", "Forwarder"),
)


def red_flag_meaning(code: str) -> str:
    return RED_FLAGS.get(code, "")


def finding_anchor(index: int) -> str:
    return f"finding-{index + 1}"


@dataclass(frozen=True)
class SourceView:
    """A seed with the passages some findings (or rules) cite marked in its full text."""

    seed: Seed
    text: Markup
    cited: int


@dataclass(frozen=True)
class CitationView:
    """A finding's citation and where its quote is in the seed served now (None when the
    seed no longer holds it: the screening was made with another ruleset version)."""

    citation: Citation
    span: tuple[int, int] | None

    @property
    def anchor(self) -> str:
        return anchor_id(self.citation.source, self.span or self.citation.span)


@dataclass(frozen=True)
class FindingView:
    index: int
    anchor: str
    finding: Finding
    citations: list[CitationView] = field(default_factory=list)


def locate(citation: Citation, seeds: Mapping[str, Seed]) -> tuple[int, int] | None:
    """The citation's span when the seed still has its quote there; else where the quote is
    now (a screening stored under an older ruleset); None when the seed lacks it."""
    seed = seeds.get(citation.source)
    if seed is None:
        return None
    start, end = citation.span
    if 0 <= start < end <= len(seed.text) and \
            _folded(seed.text[start:end]) == _folded(citation.quote):
        return start, end
    return seed.find(citation.quote)


def _folded(text: str) -> str:
    return " ".join(normalise_quotes(text).split())


def finding_views(screening: Screening, seeds: Mapping[str, Seed]) -> list[FindingView]:
    out = []
    for i, finding in enumerate(screening.findings):
        cites = [CitationView(c, locate(c, seeds)) for c in finding.citations]
        out.append(FindingView(i, finding_anchor(i), finding, cites))
    return out


def cited_sources(findings: Sequence[FindingView], seeds: Mapping[str, Seed]) -> list[SourceView]:
    """Each seed the findings cite, once, with every cited span marked and linked back to the
    findings that cite it; in the order the seeds are first cited."""
    passages: dict[str, list[Passage]] = {}
    for view in findings:
        label = f"F{view.index + 1}"
        for cite in view.citations:
            if cite.span is None:
                continue
            start, end = cite.span
            passages.setdefault(cite.citation.source, []).append(
                Passage(start, end, cite.anchor, ((f"#{view.anchor}", label),)))
    return [SourceView(seeds[sid], highlight(seeds[sid].text, ps), len(ps))
            for sid, ps in passages.items()]


def rule_sources(ruleset: Ruleset) -> list[SourceView]:
    """Every seed, with every passage any rule cites marked and linked to the rules."""
    passages: dict[str, list[Passage]] = {sid: [] for sid in ruleset.seeds}
    for rule in ruleset.rules:
        for cite in rule.citations:
            if cite.source in passages:
                passages[cite.source].append(Passage(
                    cite.span[0], cite.span[1], anchor_id(cite.source, cite.span),
                    ((f"/ui/rules#rule-{rule.spec.id}", rule.spec.id),)))
    for item in ruleset.checklist:
        for cite in item.citations:
            if cite.source in passages:
                passages[cite.source].append(Passage(
                    cite.span[0], cite.span[1], anchor_id(cite.source, cite.span),
                    ((f"/ui/rules#check-{item.spec.id}", item.spec.id),)))
    return [SourceView(seed, highlight(seed.text, passages[sid]), len(passages[sid]))
            for sid, seed in ruleset.seeds.items()]


@dataclass(frozen=True)
class PartyRow:
    key: str
    role: str
    name: str
    country: str
    kind: str
    address: str | None


def party_rows(shipment: Mapping[str, Any]) -> list[PartyRow]:
    rows = []
    for key, label in PARTY_ROLES:
        party = shipment.get(key)
        if isinstance(party, Mapping):
            rows.append(_party(key, label, party))
    for i, party in enumerate(shipment.get("intermediate_consignees") or []):
        if isinstance(party, Mapping):
            rows.append(_party(f"intermediate_consignees[{i}]",
                               f"Intermediate consignee {i + 1}", party))
    return rows


def _party(key: str, label: str, party: Mapping[str, Any]) -> PartyRow:
    return PartyRow(key, label, str(party.get("name", "")), str(party.get("country", "")),
                    str(party.get("kind", "unknown")).replace("_", " "),
                    party.get("address"))


def money(value: Any) -> str:
    if not isinstance(value, Mapping):
        return ""
    amount = value.get("amount")
    shown = f"{amount:,.2f}" if isinstance(amount, int | float) else str(amount)
    return f"{shown} {value.get('currency', '')}".strip()


def quantity(good: Mapping[str, Any]) -> str:
    qty = good.get("quantity")
    if isinstance(qty, float) and qty.is_integer():
        qty = int(qty)
    return f"{qty:,} {good.get('unit', '')}".strip() if isinstance(qty, int | float) else ""


def route_line(route: Mapping[str, Any]) -> list[str]:
    stops = [route.get("origin_country"), *(route.get("transit_countries") or []),
             route.get("destination_country")]
    return [str(s) for s in stops if s]


def label(value: str | None) -> str:
    return (value or "").replace("_", " ")


def flag_lookup(screening: Screening) -> Callable[[str], list[str]]:
    """``flags_for(prefix)``: the anchors of the findings whose evidence points at ``prefix``
    or inside it (``goods[0]`` covers ``goods[0].hs_code``), each once, in finding order."""
    paths = [(finding_anchor(i), ev.path) for i, f in enumerate(screening.findings)
             for ev in f.evidence]

    def flags_for(prefix: str) -> list[str]:
        hits = [a for a, path in paths
                if path == prefix or path.startswith((prefix + ".", prefix + "["))]
        return list(dict.fromkeys(hits))

    return flags_for


def show_value(value: Any) -> str:
    """An evidence value as text: strings as they are, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return "—"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return json.dumps(value, ensure_ascii=False, default=str)


def ordered(items: Iterable[str], order: Sequence[str]) -> list[str]:
    rank = {v: i for i, v in enumerate(order)}
    return sorted(items, key=lambda v: (rank.get(v, len(rank)), v))
