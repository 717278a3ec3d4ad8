"""Measured detection quality: a ruleset against labelled cases (`assay eval CASES.jsonl`).

A case is one JSON line `{"name", "shipment", "expect": {"decision", "red_flags"}}`, as in
tests/cases/dev.jsonl. `decision` is clear, review, hold, or not-clear (review or hold);
`red_flags` are the codes the screening must raise. A code raised beyond a case's labels is
not counted against the rulebook, but any finding on a case expecting `clear` is a false alarm.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from .engine import Ruleset, evaluate
from .engine.schema import RED_FLAGS
from .inputs import field_path
from .models import Shipment

DECISIONS = ("clear", "review", "hold", "not-clear")


@dataclass(frozen=True)
class Case:
    name: str
    shipment: dict[str, Any]
    decision: str
    red_flags: tuple[str, ...]
    as_of: dt.date | None = None


@dataclass(frozen=True)
class CaseResult:
    case: Case
    decision: str
    raised: tuple[str, ...]
    missing: tuple[str, ...]
    decision_ok: bool
    false_alarm: bool

    @property
    def passed(self) -> bool:
        return not self.missing and self.decision_ok and not self.false_alarm


@dataclass(frozen=True)
class CodeRecall:
    code: str
    expected: int
    found: int

    @property
    def recall(self) -> float:
        return self.found / self.expected if self.expected else 1.0


@dataclass
class Report:
    results: list[CaseResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def per_code(self) -> list[CodeRecall]:
        counts: dict[str, list[int]] = {}
        for r in self.results:
            for code in r.case.red_flags:
                entry = counts.setdefault(code, [0, 0])
                entry[0] += 1
                entry[1] += code not in r.missing
        order = {code: i for i, code in enumerate(RED_FLAGS)}
        return [CodeRecall(code, e, f) for code, (e, f) in
                sorted(counts.items(), key=lambda kv: order.get(kv[0], len(order)))]

    @property
    def expected(self) -> int:
        return sum(c.expected for c in self.per_code)

    @property
    def found(self) -> int:
        return sum(c.found for c in self.per_code)

    @property
    def recall(self) -> float:
        return self.found / self.expected if self.expected else 1.0

    @property
    def clean_cases(self) -> int:
        return sum(1 for r in self.results if r.case.decision == "clear")

    @property
    def false_alarms(self) -> list[CaseResult]:
        return [r for r in self.results if r.false_alarm]

    @property
    def decision_accuracy(self) -> float:
        if not self.results:
            return 1.0
        return sum(r.decision_ok for r in self.results) / len(self.results)

    @property
    def misses(self) -> list[CaseResult]:
        return [r for r in self.results if not r.passed]

    @property
    def ok(self) -> bool:
        return (not self.errors and bool(self.results) and self.recall == 1.0
                and not self.false_alarms)

    def to_dict(self) -> dict[str, Any]:
        return {
            "cases": len(self.results),
            "recall": round(self.recall, 4),
            "per_code": {c.code: {"expected": c.expected, "found": c.found,
                                  "recall": round(c.recall, 4)} for c in self.per_code},
            "clean_cases": self.clean_cases,
            "false_alarms": [{"name": r.case.name, "raised": list(r.raised)}
                             for r in self.false_alarms],
            "decision_accuracy": round(self.decision_accuracy, 4),
            "misses": [{"name": r.case.name, "missing": list(r.missing),
                        "expected_decision": r.case.decision, "decision": r.decision,
                        "raised": list(r.raised)} for r in self.misses],
            "errors": self.errors,
            "ok": self.ok,
        }


def decision_ok(expected: str, got: str) -> bool:
    """`not-clear` accepts review or hold; any other label must match exactly."""
    return got in ("review", "hold") if expected == "not-clear" else got == expected


def parse_cases(text: str, name: str) -> tuple[list[Case], list[str]]:
    """Cases from JSON Lines text; problems name `file:line`."""
    cases: list[Case] = []
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{name}:{number}"
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}:{exc.colno}: invalid JSON: {exc.msg}")
            continue
        problem = _check_case(raw)
        if problem:
            problems.append(f"{where}: {problem}")
            continue
        expect = raw["expect"]
        as_of = raw.get("as_of")
        cases.append(Case(
            name=str(raw.get("name") or where), shipment=raw["shipment"],
            decision=expect["decision"], red_flags=tuple(expect.get("red_flags") or ()),
            as_of=dt.date.fromisoformat(as_of) if isinstance(as_of, str) else None))
    return cases, problems


def _check_case(raw: Any) -> str | None:
    if not isinstance(raw, dict):
        return "a case is a JSON object"
    if not isinstance(raw.get("shipment"), dict):
        return "'shipment' must be an object"
    expect = raw.get("expect")
    if not isinstance(expect, dict) or expect.get("decision") not in DECISIONS:
        return f"'expect.decision' must be one of {', '.join(DECISIONS)}"
    flags = expect.get("red_flags", [])
    if not isinstance(flags, list) or any(f not in RED_FLAGS for f in flags):
        unknown = [f for f in flags if f not in RED_FLAGS] if isinstance(flags, list) else flags
        return f"'expect.red_flags' must list red-flag codes (unknown: {unknown})"
    as_of = raw.get("as_of")
    if as_of is not None:
        try:
            dt.date.fromisoformat(as_of)
        except (TypeError, ValueError):
            return "'as_of' must be a date (YYYY-MM-DD)"
    return None


def run(ruleset: Ruleset, cases: Iterable[Case]) -> Report:
    """Screen every case and compare with its labels."""
    report = Report()
    for case in cases:
        try:
            shipment = Shipment.model_validate(case.shipment)
        except ValidationError as exc:
            first = exc.errors()[0]
            report.errors.append(f"{case.name}: invalid shipment: "
                                 f"{field_path(tuple(first['loc']))}: {first['msg']}")
            continue
        screening = evaluate(ruleset, shipment, case.as_of)
        raised = tuple(sorted({f.red_flag for f in screening.findings}))
        missing = tuple(code for code in case.red_flags if code not in raised)
        report.results.append(CaseResult(
            case=case, decision=screening.decision, raised=raised, missing=missing,
            decision_ok=decision_ok(case.decision, screening.decision),
            false_alarm=case.decision == "clear" and bool(screening.findings)))
    return report


def format_report(report: Report, verbose: bool = False) -> list[str]:
    """The report as lines of text: per-code recall, false alarms, decisions, and misses."""
    lines = [f"{len(report.results)} cases"]
    lines.append(f"{'red flag':<26}{'expected':>9}{'found':>7}{'recall':>8}")
    for c in report.per_code:
        lines.append(f"{c.code:<26}{c.expected:>9}{c.found:>7}{c.recall:>8.2f}")
    lines.append(f"{'all':<26}{report.expected:>9}{report.found:>7}{report.recall:>8.2f}")
    lines.append(f"recall {report.recall:.2f}")
    lines.append(f"false alarms {len(report.false_alarms)} of {report.clean_cases} clean cases")
    right = sum(r.decision_ok for r in report.results)
    lines.append(f"decision accuracy {report.decision_accuracy:.2f} "
                 f"({right}/{len(report.results)})")
    if verbose:
        for r in report.misses:
            parts = []
            if r.missing:
                parts.append(f"missing {', '.join(r.missing)}")
            if r.false_alarm:
                parts.append("false alarm")
            if not r.decision_ok:
                parts.append(f"decision {r.decision}, expected {r.case.decision}")
            lines.append(f"MISS {r.case.name}: {'; '.join(parts)} "
                         f"(raised: {', '.join(r.raised) or 'none'})")
    for error in report.errors:
        lines.append(f"ERROR {error}")
    return lines
