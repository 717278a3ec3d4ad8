"""Evaluation: a pure function of a ruleset, a shipment and a date. No I/O, no clock."""

from __future__ import annotations

import datetime as dt

from ..models import ChecklistItem, Evidence, Finding, Screening, Shipment
from ..models.construct import construct, replace
from ..reference.facts import Facts, submitted_path
from .ruleset import CompiledRule, Ruleset


def evaluate(ruleset: Ruleset, shipment: Shipment, as_of: dt.date | None = None) -> Screening:
    """Screen one validated shipment at `as_of` (default: its ship date)."""
    day = as_of or shipment.ship_date
    facts, normalised = ruleset.tables.derive(shipment, day)
    if ruleset.scope.test(facts, facts):
        fired, checklist = ruleset.plan.run(facts, day)
    else:
        fired, checklist = [], [item.answers["not_applicable"] for item in ruleset.checklist]
    findings = [_finding(ruleset.rules[i], facts) for i in fired]
    decision, score = decide(ruleset, findings)
    # Everything here was validated on the way in or built from a validated ruleset.
    return construct(Screening,
        id=None, reference=shipment.reference, as_of=day, ruleset=ruleset.ref,
        decision=decision, risk_score=score, findings=findings, checklist=checklist,
        normalised=normalised, created_at=None, review=None)


def _finding(rule: CompiledRule, facts: Facts) -> Finding:
    spec = rule.spec
    return construct(Finding,
        rule_id=spec.id, red_flag=spec.red_flag, title=spec.title, category=spec.category,
        severity=spec.severity, message=rule.render(facts),
        evidence=[_submitted(e, facts) for e in rule.condition.explain(facts, facts, "")],
        citations=list(rule.citations),
        action=spec.action)


def _submitted(evidence: Evidence, facts: Facts) -> Evidence:
    """Evidence of a derived root fact points at the submitted field it comes from; a field
    of an object the shipment leaves out (`end_user.country` without an end user) is that
    object, missing, and so is a list with nothing in it (`documents` left out or empty)."""
    path = submitted_path(evidence.path)
    value = evidence.value
    if value is None or value == []:  # most evidence has a value: skip the look
        head, dot, _ = path.partition(".")
        if dot:
            if value is None and "[" not in head and getattr(facts, head, 0) is None:
                return replace(evidence, path=head, why="is missing")
        elif getattr(facts, path, 0) == []:
            return replace(evidence, path=path, value=None, why="is missing")  # an empty list
    if path == evidence.path:
        return evidence
    if evidence.why == "is missing":  # a derived fact is, not the field it is read from
        return replace(evidence, path=path, why=f"{evidence.path} is missing")
    return replace(evidence, path=path)


def decide(ruleset: Ruleset, findings: list[Finding]) -> tuple[str, int]:
    """Decision and risk score from policy.yaml."""
    if not findings:
        return "clear", 0
    policy = ruleset.policy
    points, hold_flags = policy.severity_points, policy.decision.hold_flags
    total, held = 0, False
    for f in findings:
        total += points[f.severity]
        held = held or f.red_flag in hold_flags
    score = min(policy.score_cap, total)
    hold_score = policy.decision.hold_score
    if held or (hold_score is not None and score >= hold_score):
        return "hold", score
    return "review", score


def checklist_for(ruleset: Ruleset, *, hs_code: str, destination: str,
                  ship_date: dt.date) -> list[ChecklistItem]:
    """What a direct shipment of goods under `hs_code` to `destination` needs before it is sent.

    The goods are described by the controlled item their heading belongs to, so the
    answer is the checklist of such a shipment screened before any document is gathered.
    """
    items = ruleset.tables.items.by_heading(hs_code)
    party = {"name": "(end user)", "country": destination, "kind": "end_user"}
    shipment = Shipment.model_validate({
        "reference": "checklist", "ship_date": ship_date,
        "exporter": {"name": "(exporter)", "country": "CN"},
        "consignee": party, "end_user": party,
        "goods": [{"description": items[0].name if items else "goods", "hs_code": hs_code,
                   "quantity": 1, "unit": "kg"}],
        "route": {"origin_country": "CN", "destination_country": destination},
        "transport_mode": "sea"})
    return evaluate(ruleset, shipment).checklist
