"""Rule examples: shipment files, or a base file with dotted-path edits, and running them."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..models import Shipment
from .evaluate import evaluate
from .ruleset import CompiledRule, Ruleset
from .schema import ExamplePatch

_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def path_steps(path: str) -> list[str | int]:
    """The steps of a shipment path: `goods[0].hs_code` is ["goods", 0, "hs_code"]."""
    return [name if name else int(index) for name, index in _STEP.findall(path)]


def _parent(doc: Any, steps: list[str | int], create: bool) -> Any:
    node = doc
    for step in steps[:-1]:
        if isinstance(step, int):
            node = node[step]
        else:
            if step not in node and create:
                node[step] = {}
            node = node[step]
    return node


def apply_patch(doc: dict[str, Any], patch: ExamplePatch) -> dict[str, Any]:
    """A copy of `doc` with `set` paths replaced and `unset` paths removed."""
    out = copy.deepcopy(doc)
    for path, value in patch.set.items():
        steps = path_steps(path)
        _parent(out, steps, create=True)[steps[-1]] = value
    for path in patch.unset:
        steps = path_steps(path)
        parent = _parent(out, steps, create=False)
        del parent[steps[-1]]
    return out


@dataclass(frozen=True)
class ExampleCase:
    rule_id: str
    kind: str
    label: str
    shipment: dict[str, Any]
    as_of: dt.date | None


def example_cases(rule: CompiledRule, base: Path) -> list[ExampleCase]:
    cases: list[ExampleCase] = []
    for kind in ("hit", "miss"):
        for i, example in enumerate(getattr(rule.spec.examples, kind)):
            if isinstance(example, str):
                doc, label, as_of = json.loads((base / example).read_text("utf-8")), example, None
            else:
                doc = apply_patch(json.loads((base / example.extends).read_text("utf-8")), example)
                label, as_of = f"{example.extends} (edit {i + 1})", example.as_of
            cases.append(ExampleCase(rule.spec.id, kind, label, doc, as_of))
    return cases


@dataclass(frozen=True)
class ExampleResult:
    case: ExampleCase
    passed: bool
    detail: str


def run_examples(ruleset: Ruleset, rule_filter: str | None = None) -> list[ExampleResult]:
    """Every rule's hit examples must raise it and its miss examples must not."""
    results: list[ExampleResult] = []
    for rule in ruleset.rules:
        if rule_filter and rule_filter not in rule.spec.id:
            continue
        for case in example_cases(rule, ruleset.rules_dir):
            try:
                shipment = Shipment.model_validate(case.shipment)
            except ValidationError as exc:
                results.append(ExampleResult(case, False, f"invalid example shipment: {exc}"))
                continue
            screening = evaluate(ruleset, shipment, case.as_of)
            fired = any(f.rule_id == rule.spec.id for f in screening.findings)
            passed = fired == (case.kind == "hit")
            detail = "" if passed else (
                "rule did not fire" if case.kind == "hit" else "rule fired on a miss example")
            results.append(ExampleResult(case, passed, detail))
    return results
