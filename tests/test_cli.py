"""The `assay` command run as a user runs it: a real subprocess of the installed script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from .conftest import CASES, ROOT, example

ASSAY = [str(Path(sys.executable).parent / "assay")]


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ASSAY, *args], capture_output=True, text=True, input=stdin,
                          cwd=ROOT, env={**os.environ, "COLUMNS": "200"}, timeout=120)


def test_screen_jsonl_prints_one_screening_per_line() -> None:
    result = run("screen", str(CASES / "dev-shipments.jsonl"), "--format", "json")
    lines = result.stdout.splitlines()
    assert len(lines) == 48
    refs = [json.loads(line)["reference"] for line in lines]
    expected = [json.loads(line)["reference"]
                for line in (CASES / "dev-shipments.jsonl").read_text().splitlines()]
    assert refs == expected
    assert result.returncode == 1  # some need review


def test_screen_clear_shipment_exits_zero(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_text(json.dumps(example()))
    result = run("screen", str(path), "--format", "json")
    assert result.returncode == 0, result.stderr
    screening = json.loads(result.stdout)
    assert screening["decision"] == "clear" and screening["findings"] == []


def test_screen_table_shows_flag_and_quote(tmp_path: Path) -> None:
    shipment = example()
    shipment["transport_mode"] = "post"
    path = tmp_path / "list.json"
    path.write_text(json.dumps([example(), shipment]))
    result = run("screen", str(path))
    assert result.returncode == 1
    assert "CON-POSTAL" in result.stdout and "postal agencies" in result.stdout
    assert "REVIEW" in result.stdout and "CLEAR" in result.stdout


def test_screen_reads_stdin_and_as_of() -> None:
    result = run("screen", "-", "--format", "json", "--as-of", "2026-03-01",
                 stdin=json.dumps(example()))
    screening = json.loads(result.stdout)
    assert screening["as_of"] == "2026-03-01"
    assert any(f["red_flag"] == "LIC-INVALID" for f in screening["findings"])


def test_bad_field_exits_2_naming_line_and_path(tmp_path: Path) -> None:
    good = json.dumps(example())
    bad = example()
    bad["goods"][0]["hs_code"] = "81-AB"
    bad["route"]["transit_countries"] = ["HK", "Atlantis"]
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join([good, json.dumps(bad), good]) + "\n")
    result = run("screen", str(path), "--format", "json")
    assert result.returncode == 2
    assert result.stdout == ""
    assert f"{path}:2: goods[0].hs_code" in result.stderr
    assert f"{path}:2: route.transit_countries[1]" in result.stderr


def test_unknown_field_is_rejected(tmp_path: Path) -> None:
    bad = example()
    bad["transport"] = "sea"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    result = run("screen", str(path))
    assert result.returncode == 2
    assert "transport: Extra inputs are not permitted" in result.stderr


def test_rules_test_and_version() -> None:
    result = run("rules", "test")
    assert result.returncode == 0, result.stdout
    assert " passed, 0 failed" in result.stdout
    version = run("version")
    assert version.returncode == 0 and "ruleset sha256:" in version.stdout
