"""`assay rules diff OLD NEW`: what a reviewer of a rule change needs to see.

Rules added, removed and changed (which fields, old and new values for the short ones),
lists and policy changes, and over a case file the screenings whose decision or red flags
would change.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..engine import Ruleset, evaluate
from ..inputs import field_path
from ..models import Shipment

SHORT_FIELDS = ("title", "red_flag", "category", "severity", "effective", "verified_as_of",
                "message", "action")


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any = None
    new: Any = None


@dataclass(frozen=True)
class RuleChange:
    id: str
    fields: list[FieldChange]


@dataclass(frozen=True)
class ListChange:
    name: str
    added: int
    removed: int


@dataclass(frozen=True)
class CaseChange:
    name: str
    reference: str
    old_decision: str
    new_decision: str
    flags_added: list[str]
    flags_removed: list[str]
    rules_added: list[str]
    rules_removed: list[str]


@dataclass
class RulesetDiff:
    old_version: str
    new_version: str
    added: list[dict[str, str]] = field(default_factory=list)
    removed: list[dict[str, str]] = field(default_factory=list)
    changed: list[RuleChange] = field(default_factory=list)
    lists_added: list[str] = field(default_factory=list)
    lists_removed: list[str] = field(default_factory=list)
    lists_changed: list[ListChange] = field(default_factory=list)
    policy_changed: list[str] = field(default_factory=list)
    checklist_changed: list[str] = field(default_factory=list)
    cases_file: str | None = None
    cases: int = 0
    case_changes: list[CaseChange] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        return not (self.added or self.removed or self.changed or self.lists_added
                    or self.lists_removed or self.lists_changed or self.policy_changed
                    or self.checklist_changed or self.case_changes)


@dataclass(frozen=True)
class Case:
    name: str
    shipment: Shipment
    as_of: dt.date | None


class CaseFileError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _dump(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", by_alias=True, exclude_defaults=False)
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def _summary(ruleset: Ruleset, rule_id: str) -> dict[str, str]:
    rule = ruleset.rule(rule_id)
    assert rule is not None
    return {"id": rule_id, "red_flag": rule.spec.red_flag, "severity": rule.spec.severity,
            "title": rule.spec.title}


def diff_rules(old: Ruleset, new: Ruleset) -> RulesetDiff:
    out = RulesetDiff(old.version, new.version)
    old_ids = [r.spec.id for r in old.rules]
    new_ids = [r.spec.id for r in new.rules]
    out.added = [_summary(new, i) for i in new_ids if i not in set(old_ids)]
    out.removed = [_summary(old, i) for i in old_ids if i not in set(new_ids)]
    kept = set(old_ids) & set(new_ids)
    for rule_id in (i for i in new_ids if i in kept):
        a, b = old.rule(rule_id), new.rule(rule_id)
        assert a is not None and b is not None
        before, after = _dump(a.spec), _dump(b.spec)
        changes = []
        for name in after:
            if before.get(name) != after.get(name):
                short = name in SHORT_FIELDS
                changes.append(FieldChange(name, before.get(name) if short else None,
                                           after.get(name) if short else None))
        if changes:
            out.changed.append(RuleChange(rule_id, changes))
    out.lists_added = sorted(set(new.lists) - set(old.lists))
    out.lists_removed = sorted(set(old.lists) - set(new.lists))
    for name in sorted(set(old.lists) & set(new.lists)):
        before_entries = {json.dumps(_dump(e), sort_keys=True) for e in old.lists[name].entries}
        after_entries = {json.dumps(_dump(e), sort_keys=True) for e in new.lists[name].entries}
        meta_changed = (_dump(old.lists[name]) | {"entries": None}) != (
            _dump(new.lists[name]) | {"entries": None})
        if before_entries != after_entries or meta_changed:
            out.lists_changed.append(ListChange(name, len(after_entries - before_entries),
                                                len(before_entries - after_entries)))
    before_policy, after_policy = _dump(old.policy), _dump(new.policy)
    out.policy_changed = sorted(k for k in set(before_policy) | set(after_policy)
                                if before_policy.get(k) != after_policy.get(k))
    old_items = {c.spec.id: _dump(c.spec) for c in old.checklist}
    new_items = {c.spec.id: _dump(c.spec) for c in new.checklist}
    out.checklist_changed = sorted(i for i in set(old_items) | set(new_items)
                                   if old_items.get(i) != new_items.get(i))
    return out


def read_cases(path: Path, shown: str | None = None) -> list[Case]:
    """JSON Lines of shipments, or of `{"name", "shipment", "as_of"?}` cases."""
    name = shown or str(path)
    cases: list[Case] = []
    problems: list[str] = []
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise CaseFileError([f"{name}: {exc.strerror}"]) from exc
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{name}:{number}:{exc.colno}: invalid JSON: {exc.msg}")
            continue
        if not isinstance(doc, dict):
            problems.append(f"{name}:{number}: a case is a JSON object")
            continue
        is_case = "shipment" in doc
        try:
            shipment = Shipment.model_validate(doc["shipment"] if is_case else doc)
        except ValidationError as exc:
            for err in exc.errors():
                problems.append(f"{name}:{number}: {field_path(tuple(err['loc']))}: {err['msg']}")
            continue
        as_of = None
        if is_case and doc.get("as_of") is not None:
            try:
                as_of = dt.date.fromisoformat(str(doc["as_of"]))
            except ValueError as exc:
                problems.append(f"{name}:{number}: as_of: {exc}")
                continue
        label = str(doc.get("name") or shipment.reference) if is_case else shipment.reference
        cases.append(Case(label, shipment, as_of))
    if problems:
        raise CaseFileError(problems)
    return cases


def diff_cases(old: Ruleset, new: Ruleset, cases: Sequence[Case]) -> list[CaseChange]:
    changes: list[CaseChange] = []
    for case in cases:
        a = evaluate(old, case.shipment, case.as_of)
        b = evaluate(new, case.shipment, case.as_of)
        flags_a, flags_b = {f.red_flag for f in a.findings}, {f.red_flag for f in b.findings}
        rules_a, rules_b = {f.rule_id for f in a.findings}, {f.rule_id for f in b.findings}
        if a.decision != b.decision or flags_a != flags_b or rules_a != rules_b:
            changes.append(CaseChange(
                case.name, case.shipment.reference, a.decision, b.decision,
                sorted(flags_b - flags_a), sorted(flags_a - flags_b),
                sorted(rules_b - rules_a), sorted(rules_a - rules_b)))
    return changes


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {v}" for k, v in value.items() if v is not None) + "}"
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else str(value)


def render_text(d: RulesetDiff) -> str:
    out: list[str] = []
    w = out.append
    w(f"old {d.old_version}")
    w(f"new {d.new_version}")
    w(f"rules: {len(d.added)} added, {len(d.removed)} removed, {len(d.changed)} changed")
    for r in d.added:
        w(f"  + {r['id']} ({r['red_flag']}, {r['severity']}): {r['title']}")
    for r in d.removed:
        w(f"  - {r['id']} ({r['red_flag']}, {r['severity']}): {r['title']}")
    for c in d.changed:
        parts = [f"{f.field} {_show(f.old)} -> {_show(f.new)}" if f.field in SHORT_FIELDS
                 else f.field for f in c.fields]
        w(f"  ~ {c.id}: " + "; ".join(parts))
    if d.lists_added or d.lists_removed or d.lists_changed:
        w("lists:")
        for name in d.lists_added:
            w(f"  + {name}")
        for name in d.lists_removed:
            w(f"  - {name}")
        for lc in d.lists_changed:
            w(f"  ~ {lc.name} (+{lc.added} -{lc.removed} entries)")
    if d.policy_changed:
        w("policy: " + ", ".join(d.policy_changed) + " changed")
    if d.checklist_changed:
        w("checklist: " + ", ".join(d.checklist_changed) + " changed")
    if d.cases_file is not None:
        w(f"cases ({d.cases_file}): {len(d.case_changes)} of {d.cases} screenings change")
        for cc in d.case_changes:
            bits = []
            if cc.old_decision != cc.new_decision:
                bits.append(f"decision {cc.old_decision} -> {cc.new_decision}")
            flags = [f"+{f}" for f in cc.flags_added] + [f"-{f}" for f in cc.flags_removed]
            if flags:
                bits.append("red flags " + " ".join(flags))
            rules = [f"+{r}" for r in cc.rules_added] + [f"-{r}" for r in cc.rules_removed]
            if rules:
                bits.append("rules " + " ".join(rules))
            label = cc.name if cc.name == cc.reference else f"{cc.name} ({cc.reference})"
            w(f"  {label}: " + "; ".join(bits))
    if d.unchanged:
        w("no changes")
    return "\n".join(out) + "\n"


def render_json(d: RulesetDiff) -> str:
    doc = asdict(d)
    doc["unchanged"] = d.unchanged
    return json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n"
