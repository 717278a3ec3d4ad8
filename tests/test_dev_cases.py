"""The labelled dev cases: every expected red flag raised, the right decision, and clean
cases clear with no findings."""

from __future__ import annotations

from typing import Any

import pytest

from service.engine import Ruleset, evaluate
from service.models import Shipment

from .conftest import read_cases

DEV = read_cases("dev.jsonl")


def decision_ok(expected: str, got: str) -> bool:
    return got in ("review", "hold") if expected == "not-clear" else got == expected


@pytest.mark.parametrize("case", DEV, ids=[c["name"] for c in DEV])
def test_dev_case(ruleset: Ruleset, case: dict[str, Any]) -> None:
    screening = evaluate(ruleset, Shipment.model_validate(case["shipment"]))
    raised = {f.red_flag for f in screening.findings}
    expected = set(case["expect"]["red_flags"])
    assert expected <= raised, f"missing {expected - raised}"
    assert decision_ok(case["expect"]["decision"], screening.decision)
    if case["expect"]["decision"] == "clear":
        assert screening.findings == []
