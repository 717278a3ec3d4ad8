"""Machine-readable reports of `assay rules check` and `assay rules test`: SARIF validated
against the SARIF 2.1.0 schema (tests/fixtures/sarif-2.1.0.json), JUnit XML parsed,
GitHub annotation lines, JSON."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from service.authoring import CheckSummary, ExampleOutcome
from service.authoring.reports import check_github, check_sarif, render_check, render_test
from service.errors import Problem

from .rules_support import assay, assemble

SARIF_SCHEMA = json.loads((Path(__file__).resolve().parent / "fixtures" / "sarif-2.1.0.json")
                          .read_text("utf-8"))
GITHUB = re.compile(r"^::(error|warning) file=([^,]+),line=(\d+),col=(\d+),title=([^:]+)::(.+)$")


def sarif_errors(doc: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft4Validator(SARIF_SCHEMA)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """A rules directory with two problems in two files."""
    rules = assemble("unknown-operator", tmp_path / "rules")
    (rules / "traceability.yaml").write_text(
        'phrases:\n  - {seed: seed-004, phrase: "smuggling by submarine"}\n', "utf-8")
    return rules


def test_sarif_output_is_valid_sarif_2_1_0(broken: Path) -> None:
    result = assay("rules", "check", "rules", "--format", "sarif", cwd=broken.parent)
    assert result.returncode == 1
    doc = json.loads(result.stdout)
    assert sarif_errors(doc) == []
    run = doc["runs"][0]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    got = [(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["locations"][0]["physicalLocation"]["region"]["startColumn"], r["level"])
           for r in run["results"]]
    assert got == [("unknown-operator", "rules/pack.yaml", 9, 33, "error"),
                   ("phrase-not-in-seed", "rules/traceability.yaml", 2, 30, "error")]
    for r in run["results"]:
        assert rules[r["ruleIndex"]] == r["ruleId"]
        assert r["message"]["text"]


def test_sarif_of_a_clean_run_and_of_odd_paths_is_valid() -> None:
    clean = check_sarif(CheckSummary(problems=[], version="sha256:x", rules=3))
    assert sarif_errors(clean) == [] and clean["runs"][0]["results"] == []
    odd = check_sarif(CheckSummary(problems=[
        Problem("/abs/rules dir/pack.yaml", 3, 7, "new-code", "50% of it\nis wrong"),
        Problem("rules/x.yaml", 1, 1, "regex", "bad", severity="warning")]))
    assert sarif_errors(odd) == []
    results = odd["runs"][0]["results"]
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "file:///abs/rules%20dir/pack.yaml")
    assert results[1]["level"] == "warning"


def test_sarif_file_written_with_output_option(broken: Path) -> None:
    result = assay("rules", "check", "rules", "-f", "sarif", "-o", "out/rules.sarif",
                   cwd=broken.parent)
    assert result.returncode == 1 and result.stdout == ""
    assert "2 problem(s)" in result.stderr
    doc = json.loads((broken.parent / "out" / "rules.sarif").read_text("utf-8"))
    assert sarif_errors(doc) == []


def test_junit_output_parses_with_one_failure_per_problem(broken: Path) -> None:
    result = assay("rules", "check", "rules", "--format", "junit", cwd=broken.parent)
    assert result.returncode == 1
    root = ET.fromstring(result.stdout)
    assert root.tag == "testsuites" and root.get("failures") == "2"
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert "rules/policy.yaml" in suites and suites["rules/policy.yaml"].get("failures") == "0"
    failures = [(case.get("classname"), f.get("type"), f.get("message"))
                for case in root.iter("testcase") for f in case.iter("failure")]
    assert [(c, t) for c, t, _ in failures] == [("rules/pack.yaml", "unknown-operator"),
                                                ("rules/traceability.yaml", "phrase-not-in-seed")]
    assert all(m for *_, m in failures)
    assert int(root.get("tests", "0")) == sum(1 for _ in root.iter("testcase"))


def test_github_annotations_name_file_line_and_column(broken: Path) -> None:
    result = assay("rules", "check", "rules", "--format", "github", cwd=broken.parent)
    assert result.returncode == 1
    matches = [GITHUB.match(line) for line in result.stdout.splitlines()]
    assert all(matches), result.stdout
    assert [m.groups()[:5] for m in matches if m] == [
        ("error", "rules/pack.yaml", "9", "33", "unknown-operator"),
        ("error", "rules/traceability.yaml", "2", "30", "phrase-not-in-seed")]


def test_github_annotations_escape_what_would_break_them() -> None:
    text = check_github(CheckSummary(problems=[
        Problem("a,b:c.yaml", 2, 3, "regex", "100% wrong\nsecond line", severity="warning")]))
    assert text == ("::warning file=a%2Cb%3Ac.yaml,line=2,col=3,title=regex::"
                    "regex: 100%25 wrong%0Asecond line\n")


def test_json_output_lists_every_problem(broken: Path) -> None:
    result = assay("rules", "check", "rules", "--format", "json", cwd=broken.parent)
    doc = json.loads(result.stdout)
    assert doc["ok"] is False
    assert [(p["path"], p["line"], p["col"], p["code"]) for p in doc["problems"]] == [
        ("rules/pack.yaml", 9, 33, "unknown-operator"),
        ("rules/traceability.yaml", 2, 30, "phrase-not-in-seed")]


def test_clean_reports() -> None:
    summary = CheckSummary(problems=[], files=["rules/a.yaml"], version="sha256:v", rules=2)
    assert render_check(summary, "text") == "2 rules OK (sha256:v)\n"
    assert json.loads(render_check(summary, "json"))["ok"] is True
    root = ET.fromstring(render_check(summary, "junit"))
    assert root.get("failures") == "0" and root.get("tests") == "1"


def test_rules_test_junit_has_a_case_per_example(tmp_path: Path) -> None:
    result = assay("rules", "test", "--filter", "transshipment.hub-transit", "--format",
                   "junit", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    root = ET.fromstring(result.stdout)
    cases = list(root.iter("testcase"))
    assert cases and root.get("failures") == "0" and root.get("tests") == str(len(cases))
    assert {c.get("classname") for c in cases} == {"transshipment.hub-transit"}
    assert {c.get("name", "").split(":")[0] for c in cases} == {"hit", "miss"}


def test_rules_test_junit_reports_failures() -> None:
    outcomes = [ExampleOutcome("r.one", "hit", "a.json", True, ""),
                ExampleOutcome("r.one", "miss", "b.json", False, "rule fired on a miss example"),
                ExampleOutcome("r.two", "hit", "c.json", True, "")]
    root = ET.fromstring(render_test(outcomes, "junit"))
    assert root.get("tests") == "3" and root.get("failures") == "1"
    failure = root.find("testsuite[@name='r.one']/testcase[@name='miss: b.json']/failure")
    assert failure is not None and failure.get("message") == "rule fired on a miss example"
    assert render_test(outcomes, "text").splitlines() == [
        "FAIL r.one miss b.json: rule fired on a miss example", "2 passed, 1 failed"]


def test_rules_test_filter_that_matches_nothing_fails(tmp_path: Path) -> None:
    result = assay("rules", "test", "--filter", "no.such.rule", cwd=tmp_path)
    assert result.returncode == 1
    assert "no rule id contains 'no.such.rule'" in result.stderr


def test_rules_test_refuses_a_broken_ruleset(tmp_path: Path) -> None:
    assemble("unknown-operator", tmp_path / "rules")
    result = assay("rules", "test", "rules", cwd=tmp_path)
    assert result.returncode == 2
    assert "rules/pack.yaml:9:33: unknown-operator" in result.stderr
