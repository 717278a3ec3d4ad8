"""`assay rules diff OLD NEW [--cases FILE]`: rules added, removed and changed, and the
screenings whose decision or red flags change."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from service.authoring.diff import (
    CaseFileError,
    diff_cases,
    diff_rules,
    read_cases,
    render_json,
    render_text,
)
from service.engine import Ruleset, load_ruleset

from .conftest import CASES, RULES, SEEDS, example
from .rules_support import assay


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), "utf-8")


def remove_rule(pack: Path, rule_id: str) -> str:
    """Cut one rule out of a pack; return its text."""
    text = pack.read_text("utf-8")
    head, rest = text.split(f"  - id: {rule_id}\n", 1)
    body, sep, tail = rest.partition("\n  - id: ")
    pack.write_text(head + (sep.lstrip("\n") + tail if sep else ""), "utf-8")
    return f"  - id: {rule_id}\n{body}\n"


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled rules with one rule removed, one added, one changed and a list grown."""
    new = tmp_path_factory.mktemp("new") / "rules"
    shutil.copytree(RULES, new)
    removed = remove_rule(new / "transshipment.yaml", "transshipment.hub-transit")
    added = removed.replace("transshipment.hub-transit", "transshipment.hub-transit-v2")
    added = added.replace("severity: high", "severity: medium", 1)
    with (new / "transshipment.yaml").open("a", encoding="utf-8") as fh:
        fh.write("\n" + added)
    replace(new / "parties.yaml", "severity: critical", "severity: high")
    hubs = new / "lists" / "transshipment_hubs.yaml"
    doc = yaml.safe_load(hubs.read_text("utf-8"))
    doc["entries"].append({"value": "CH"})
    hubs.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), "utf-8")
    return new


@pytest.fixture(scope="module")
def new_ruleset(changed: Path) -> Ruleset:
    return load_ruleset(changed, SEEDS)


def test_rules_added_removed_and_changed(ruleset: Ruleset, new_ruleset: Ruleset) -> None:
    d = diff_rules(ruleset, new_ruleset)
    assert [r["id"] for r in d.added] == ["transshipment.hub-transit-v2"]
    assert [r["id"] for r in d.removed] == ["transshipment.hub-transit"]
    assert [(c.id, [(f.field, f.old, f.new) for f in c.fields]) for c in d.changed] == [
        ("parties.restricted-party", [("severity", "critical", "high")])]
    assert [(lc.name, lc.added, lc.removed) for lc in d.lists_changed] == [
        ("transshipment_hubs", 1, 0)]
    text = render_text(d)
    assert "~ parties.restricted-party: severity \"critical\" -> \"high\"" in text
    assert "+ transshipment.hub-transit-v2 (TRX-HUB, medium)" in text
    assert "- transshipment.hub-transit (TRX-HUB, high)" in text
    assert "~ transshipment_hubs (+1 -0 entries)" in text


def test_identical_rulesets_have_no_changes(ruleset: Ruleset) -> None:
    d = diff_rules(ruleset, ruleset)
    assert d.unchanged and render_text(d).endswith("no changes\n")


def test_screenings_that_change(ruleset: Ruleset, new_ruleset: Ruleset, tmp_path: Path) -> None:
    via_switzerland = example()
    via_switzerland["reference"] = "VIA-CH"
    via_switzerland["route"]["transit_countries"] = ["CH"]
    unchanged = example()
    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps({"name": "via-ch", "shipment": via_switzerland}) + "\n\n"
                     + json.dumps(unchanged) + "\n", "utf-8")
    loaded = read_cases(cases)
    assert [c.name for c in loaded] == ["via-ch", unchanged["reference"]]
    changes = diff_cases(ruleset, new_ruleset, loaded)
    assert [(c.name, c.old_decision, c.new_decision, c.flags_added, c.rules_added)
            for c in changes] == [("via-ch", "clear", "review", ["TRX-HUB"],
                                   ["transshipment.hub-transit-v2"])]


def test_case_file_errors_name_the_line(tmp_path: Path) -> None:
    cases = tmp_path / "bad.jsonl"
    cases.write_text(json.dumps(example()) + "\n{oops\n" + json.dumps({"shipment": {}}) + "\n",
                     "utf-8")
    with pytest.raises(CaseFileError) as exc:
        read_cases(cases)
    assert exc.value.problems[0].startswith(f"{cases}:2:2: invalid JSON")
    assert any(p.startswith(f"{cases}:3: reference:") for p in exc.value.problems)


def test_diff_command_over_the_dev_cases(changed: Path, tmp_path: Path) -> None:
    result = assay("rules", "diff", str(RULES), str(changed), "--cases",
                   str(CASES / "dev.jsonl"), "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["cases"] == 48
    assert [r["id"] for r in doc["removed"]] == ["transshipment.hub-transit"]
    for change in doc["case_changes"]:
        assert change["old_decision"] != change["new_decision"] or change["flags_added"] or \
            change["flags_removed"] or change["rules_added"] or change["rules_removed"]
    same = assay("rules", "diff", str(RULES), str(RULES), cwd=tmp_path)
    assert same.returncode == 0 and same.stdout.endswith("no changes\n")


def test_render_json_round_trips(ruleset: Ruleset, new_ruleset: Ruleset) -> None:
    doc = json.loads(render_json(diff_rules(ruleset, new_ruleset)))
    assert doc["unchanged"] is False and doc["changed"][0]["id"] == "parties.restricted-party"
