"""`rules/schema.json`: generated from the pydantic models, kept in step with them, and it
accepts every bundled rule file while refusing what the loader refuses by shape."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from service.authoring.rule_schema import OPERANDS, build_schema, render_schema
from service.engine.compiler import OPERATORS
from service.engine.schema import RED_FLAGS

from .conftest import RULES
from .rules_support import assay

SCHEMA_FILE = RULES / "schema.json"
FILES = sorted(RULES.glob("*.yaml")) + sorted((RULES / "lists").glob("*.yaml"))


def _plain(doc: Any) -> Any:
    return json.loads(json.dumps(doc, default=lambda v: v.isoformat()
                                 if isinstance(v, dt.date) else str(v)))


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    schema = build_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def test_schema_file_is_up_to_date() -> None:
    assert SCHEMA_FILE.read_text("utf-8") == render_schema(), (
        "rules/schema.json is out of date: run `assay rules schema`")


def test_schema_names_every_operator_and_red_flag() -> None:
    schema = build_schema()
    assert set(schema["definitions"]["Operators"]["properties"]) == set(OPERATORS)
    assert set(OPERANDS) == set(OPERATORS), "describe the new operator's operand in OPERANDS"
    red_flag = schema["definitions"]["RuleSpec"]["properties"]["red_flag"]
    assert red_flag["enum"] == list(RED_FLAGS)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(RULES).as_posix())
def test_bundled_files_match_the_schema(path: Path,
                                        validator: jsonschema.Draft7Validator) -> None:
    doc = _plain(yaml.safe_load(path.read_text("utf-8")))
    assert [e.message for e in validator.iter_errors(doc)] == []


def _rule(**changes: Any) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "id": "x.rule", "title": "A rule", "red_flag": "TRX-HUB", "category": "transshipment",
        "severity": "high", "when": {"route.transit_countries": {"any_in": "@hubs"}},
        "message": "{route.transit_countries}",
        "citations": [{"source": "seed-004", "quote": "transshipment through third-party"}],
        "examples": {"hit": ["a.json"], "miss": ["b.json"]}}
    rule.update(changes)
    return {"rules": [rule]}


@pytest.mark.parametrize(("doc", "valid"), [
    (_rule(), True),
    (_rule(when={"goods": {"any": {"description": {"contains_any": ["metal samples"]}}}}), True),
    (_rule(when={"not": {"transport_mode": "sea"}}), True),
    (_rule(red_flag="TRX-HUBB"), False),
    (_rule(when={"route.transit_countries": {"any_inn": "@hubs"}}), False),
    (_rule(when={"transport_mode": {"in": 5}}), False),
    (_rule(when={}), False),
    (_rule(titel="A rule"), False),
    (_rule(examples={"hit": [], "miss": ["b.json"]}), False),
    (_rule(effective={"from": "2025-01-01", "to": "2025-02-01"}), False),
])
def test_schema_refuses_what_the_loader_refuses_by_shape(
        doc: dict[str, Any], valid: bool, validator: jsonschema.Draft7Validator) -> None:
    assert validator.is_valid(doc) is valid


def test_schema_command_checks_and_writes(tmp_path: Path) -> None:
    result = assay("rules", "schema", "--check", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "schema.json"
    assert assay("rules", "schema", "-o", str(out), cwd=tmp_path).returncode == 0
    assert out.read_text("utf-8") == render_schema()
    out.write_text("{}\n", "utf-8")
    stale = assay("rules", "schema", "-o", str(out), "--check", cwd=tmp_path)
    assert stale.returncode == 1 and "out of date" in stale.stderr
