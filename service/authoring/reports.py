"""Reports of `assay rules check` and `assay rules test` in the formats CI systems read.

Problems: text (`path:line:col: CODE: message`), JSON, SARIF 2.1.0 (code scanning),
JUnit XML, and GitHub Actions workflow commands (`::error file=...,line=...,col=...::`).
Example results: text and JUnit XML. Every function returns the whole report as a string.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as dist_version
from pathlib import Path
from typing import Any

from ..errors import Problem
from .codes import PROBLEM_CODES, describe

CHECK_FORMATS = ("text", "json", "sarif", "junit", "github")
TEST_FORMATS = ("text", "junit")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


@dataclass(frozen=True)
class CheckSummary:
    """What a check run found: the problems, and for a clean run the ruleset it loaded."""

    problems: Sequence[Problem]
    files: Sequence[str] = ()
    version: str | None = None
    rules: int = 0


@dataclass(frozen=True)
class ExampleOutcome:
    """One rule example run by `assay rules test`."""

    rule_id: str
    kind: str
    label: str
    passed: bool
    detail: str
    seconds: float = 0.0


def tool_version() -> str:
    try:
        return dist_version("assay")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0"


# ---------------------------------------------------------------- problems


def render_check(summary: CheckSummary, fmt: str) -> str:
    if fmt == "text":
        return check_text(summary)
    if fmt == "json":
        return check_json(summary)
    if fmt == "sarif":
        return json.dumps(check_sarif(summary), indent=2, ensure_ascii=False) + "\n"
    if fmt == "junit":
        return check_junit(summary)
    if fmt == "github":
        return check_github(summary)
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(CHECK_FORMATS)}")


def check_text(summary: CheckSummary) -> str:
    lines = [str(p) for p in summary.problems]
    if not summary.problems:
        lines.append(f"{summary.rules} rules OK ({summary.version})")
    return "\n".join(lines) + "\n"


def check_json(summary: CheckSummary) -> str:
    doc = {
        "ok": not summary.problems,
        "ruleset": ({"version": summary.version, "rules": summary.rules}
                    if summary.version else None),
        "problems": [asdict(p) for p in summary.problems],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _uri(path: str) -> str:
    p = Path(path)
    return p.as_uri() if p.is_absolute() else p.as_posix()


def _level(severity: str) -> str:
    return {"error": "error", "warning": "warning"}.get(severity, "note")


def check_sarif(summary: CheckSummary) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run; rule descriptors are the problem codes."""
    codes = list(PROBLEM_CODES)
    codes += sorted({p.code for p in summary.problems} - set(codes))
    index = {code: i for i, code in enumerate(codes)}
    results = []
    for p in summary.problems:
        results.append({
            "ruleId": p.code,
            "ruleIndex": index[p.code],
            "level": _level(p.severity),
            "message": {"text": p.message},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": _uri(p.path)},
                "region": {"startLine": max(p.line, 1), "startColumn": max(p.col, 1)},
            }}],
        })
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "assay rules check",
                "version": tool_version(),
                "rules": [{
                    "id": code,
                    "name": code,
                    "shortDescription": {"text": describe(code)},
                    "defaultConfiguration": {"level": "error"},
                } for code in codes],
            }},
            "invocations": [{"executionSuccessful": True,
                             "exitCode": 1 if summary.problems else 0}],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }


def _by_file(summary: CheckSummary) -> dict[str, list[Problem]]:
    files: dict[str, list[Problem]] = {f: [] for f in summary.files}
    for p in summary.problems:
        files.setdefault(p.path, []).append(p)
    return files


def check_junit(summary: CheckSummary) -> str:
    """One test suite per file checked; one failing test case per problem, or one passing
    case for a file without problems."""
    files = _by_file(summary)
    root = ET.Element("testsuites", name="assay rules check",
                      tests=str(sum(max(len(v), 1) for v in files.values())),
                      failures=str(len(summary.problems)), errors="0")
    for path, problems in files.items():
        suite = ET.SubElement(root, "testsuite", name=path,
                              tests=str(max(len(problems), 1)),
                              failures=str(len(problems)), errors="0", skipped="0")
        if not problems:
            ET.SubElement(suite, "testcase", classname=path, name="valid", time="0")
        for p in problems:
            case = ET.SubElement(suite, "testcase", classname=path,
                                 name=f"{p.code} at {p.line}:{p.col}", time="0")
            failure = ET.SubElement(case, "failure", message=p.message, type=p.code)
            failure.text = str(p)
    return _xml(root)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def check_github(summary: CheckSummary) -> str:
    """GitHub Actions workflow commands: each problem annotates its file and line."""
    lines = []
    for p in summary.problems:
        command = "warning" if p.severity == "warning" else "error"
        lines.append(f"::{command} file={_escape_property(p.path)},line={p.line},"
                     f"col={p.col},title={_escape_property(p.code)}::"
                     f"{_escape_data(p.code + ': ' + p.message)}")
    if not summary.problems:
        lines.append(f"{summary.rules} rules OK ({summary.version})")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- example results


def render_test(outcomes: Sequence[ExampleOutcome], fmt: str) -> str:
    if fmt == "text":
        return examples_text(outcomes)
    if fmt == "junit":
        return examples_junit(outcomes)
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(TEST_FORMATS)}")


def examples_text(outcomes: Sequence[ExampleOutcome]) -> str:
    failed = [o for o in outcomes if not o.passed]
    lines = [f"FAIL {o.rule_id} {o.kind} {o.label}: {o.detail}" for o in failed]
    lines.append(f"{len(outcomes) - len(failed)} passed, {len(failed)} failed")
    return "\n".join(lines) + "\n"


def _group(outcomes: Iterable[ExampleOutcome]) -> dict[str, list[ExampleOutcome]]:
    groups: dict[str, list[ExampleOutcome]] = {}
    for o in outcomes:
        groups.setdefault(o.rule_id, []).append(o)
    return groups


def examples_junit(outcomes: Sequence[ExampleOutcome]) -> str:
    """One test suite per rule, one test case per hit or miss example."""
    failures = sum(1 for o in outcomes if not o.passed)
    root = ET.Element("testsuites", name="assay rules test", tests=str(len(outcomes)),
                      failures=str(failures), errors="0",
                      time=f"{sum(o.seconds for o in outcomes):.3f}")
    for rule_id, group in _group(outcomes).items():
        suite = ET.SubElement(root, "testsuite", name=rule_id, tests=str(len(group)),
                              failures=str(sum(1 for o in group if not o.passed)),
                              errors="0", skipped="0",
                              time=f"{sum(o.seconds for o in group):.3f}")
        for o in group:
            case = ET.SubElement(suite, "testcase", classname=rule_id,
                                 name=f"{o.kind}: {o.label}", time=f"{o.seconds:.3f}")
            if not o.passed:
                failure = ET.SubElement(case, "failure", message=o.detail, type=o.kind)
                failure.text = f"{rule_id} {o.kind} example {o.label}: {o.detail}"
    return _xml(root)


def _xml(root: ET.Element) -> str:
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(
        root, encoding="unicode") + "\n"
