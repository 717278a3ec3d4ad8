"""`assay eval`: detection quality on labelled cases, run as a user runs it, and the report's
arithmetic on small hand-made case sets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from service.engine import Ruleset
from service.evaluation import format_report, parse_cases, run

from .conftest import CASES, ROOT, example

ASSAY = [str(Path(sys.executable).parent / "assay")]


def assay(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ASSAY, *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "COLUMNS": "200"}, timeout=300)


@pytest.mark.parametrize("name", ["dev.jsonl", "own.jsonl", "blind.jsonl"])
def test_eval_recall_is_one_with_no_false_alarm(name: str) -> None:
    result = assay("eval", str(CASES / name), "-v")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "recall 1.00" in result.stdout
    assert "false alarms 0 of " in result.stdout
    assert "decision accuracy 1.00" in result.stdout
    assert not [line for line in result.stdout.splitlines() if line.startswith("MISS ")]


def test_eval_json_report() -> None:
    result = assay("eval", str(CASES / "dev.jsonl"), "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["cases"] == 48 and report["recall"] == 1.0 and report["ok"] is True
    assert report["false_alarms"] == [] and report["decision_accuracy"] == 1.0
    assert report["per_code"]["TRX-HUB"]["recall"] == 1.0


def _line(name: str, shipment: dict[str, Any], decision: str, flags: list[str]) -> str:
    return json.dumps({"name": name, "shipment": shipment,
                       "expect": {"decision": decision, "red_flags": flags}})


def test_eval_reports_misses_and_false_alarms(tmp_path: Path) -> None:
    unlicensed = example()
    del unlicensed["documents"][0]
    lines = [
        _line("clean-but-flagged", unlicensed, "clear", []),       # a false alarm
        _line("wrong-label", example(), "not-clear", ["TRX-HUB"]),  # a miss and a wrong decision
        _line("right", unlicensed, "not-clear", ["LIC-MISSING"]),
    ]
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    result = assay("eval", str(path), "-v")
    assert result.returncode == 1
    out = result.stdout
    assert "false alarms 1 of 1 clean cases" in out
    assert "MISS clean-but-flagged: false alarm" in out
    assert "MISS wrong-label: missing TRX-HUB; decision clear, expected not-clear" in out
    assert "MISS right" not in out
    assert "recall 0.50" in out
    assert "decision accuracy 0.33 (1/3)" in out


def test_eval_rejects_bad_cases(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"name": "x", "shipment": {}, "expect": {"decision": "maybe"}}\nnot json\n',
                    "utf-8")
    result = assay("eval", str(path))
    assert result.returncode == 2
    assert f"{path}:1: 'expect.decision'" in result.stderr
    assert f"{path}:2:" in result.stderr


def test_report_arithmetic(ruleset: Ruleset) -> None:
    hub = example()
    hub["route"]["transit_countries"] = ["Hongkong"]
    text = "\n".join([
        _line("hub", hub, "not-clear", ["TRX-HUB"]),
        _line("hub-and-postal", hub, "review", ["TRX-HUB", "CON-POSTAL"]),
        _line("clean", example(), "clear", []),
    ])
    cases, problems = parse_cases(text, "mem")
    assert problems == []
    report = run(ruleset, cases)
    per_code = {c.code: (c.expected, c.found) for c in report.per_code}
    assert per_code == {"TRX-HUB": (2, 2), "CON-POSTAL": (1, 0)}
    assert report.recall == pytest.approx(2 / 3)
    assert report.false_alarms == [] and report.clean_cases == 1
    assert report.decision_accuracy == 1.0
    assert not report.ok
    lines = format_report(report, verbose=True)
    assert any(line.startswith("MISS hub-and-postal: missing CON-POSTAL") for line in lines)


def test_invalid_shipment_is_an_error(ruleset: Ruleset) -> None:
    broken = example()
    broken["goods"][0]["hs_code"] = "not-a-code"
    cases, _ = parse_cases(_line("broken", broken, "clear", []), "mem")
    report = run(ruleset, cases)
    assert report.results == [] and not report.ok
    assert report.errors and "goods[0].hs_code" in report.errors[0]
