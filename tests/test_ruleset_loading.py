"""Loading is all or nothing, and every problem is located as file:line:col."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from service.engine import RulesetError, check_ruleset, load_ruleset
from service.engine.yaml_loader import YamlError, load_yaml

from .conftest import RULES, SEEDS


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "rules"
    shutil.copytree(RULES, dst)
    return dst


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), "utf-8")


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text("utf-8").splitlines(), 1)
                if needle in line)


def problems(rules: Path) -> list[tuple[str, int, int, str]]:
    ruleset, found = check_ruleset(rules, SEEDS)
    assert ruleset is None
    return [(Path(p.path).name, p.line, p.col, p.code) for p in found]


def test_bundled_rules_load(ruleset) -> None:  # type: ignore[no-untyped-def]
    assert len(ruleset.rules) >= 8
    assert ruleset.version.startswith("sha256:")
    for rule in ruleset.rules:
        assert rule.citations, rule.spec.id
        for cite in rule.citations:
            seed = ruleset.seeds[cite.source]
            start, end = cite.span
            assert " ".join(seed.text[start:end].split()).replace("’", "'") == " ".join(
                cite.quote.split())


def test_wrong_quote_is_rejected_with_the_nearest_passage(rules_copy: Path) -> None:
    pack = rules_copy / "transshipment.yaml"
    replace(pack, "quote: transshipment through third-party nations",
            "quote: transhipment via third-party nations")
    line = line_of(pack, "transhipment via third-party")
    found = problems(rules_copy)
    assert ("transshipment.yaml", line, 16, "quote-not-found") in found
    with pytest.raises(RulesetError) as exc:
        load_ruleset(rules_copy, SEEDS)
    assert "nearest passage" in str(exc.value)
    assert f"transshipment.yaml:{line}:16: quote-not-found" in str(exc.value)


def test_unknown_field_operator_and_list_are_located(rules_copy: Path) -> None:
    pack = rules_copy / "concealment.yaml"
    replace(pack, "transport_mode: {in: [post, courier]}", "transport_mod: {in: [post, courier]}")
    replace(pack, 'packaging: {contains_any: "@concealment_terms"}',
            'packaging: {contain_any: "@concealment_terms"}')
    replace(pack, 'any: {description: {contains_any: "@concealment_terms"}}',
            'any: {description: {contains_any: "@concealment_term"}}')
    found = problems(rules_copy)
    assert ("concealment.yaml", line_of(pack, "transport_mod:"), 7, "unknown-field") in found
    assert ("concealment.yaml", line_of(pack, "contain_any"), 23, "unknown-operator") in found
    assert ("concealment.yaml", line_of(pack, "@concealment_term\""), 47,
            "unknown-list") in found
    assert len(found) == 3


def test_schema_errors_point_at_the_value(rules_copy: Path) -> None:
    pack = rules_copy / "parties.yaml"
    replace(pack, "red_flag: PTY-RESTRICTED", "red_flag: PTY-BLOCKED")
    found = problems(rules_copy)
    assert ("parties.yaml", line_of(pack, "PTY-BLOCKED"), 15, "unknown-red-flag") in found


def test_duplicate_rule_ids_are_rejected(rules_copy: Path) -> None:
    pack = rules_copy / "end_use.yaml"
    replace(pack, "id: end_use.military-party", "id: end_use.military-declared")
    lines = [i for i, line in enumerate(pack.read_text("utf-8").splitlines(), 1)
             if "id: end_use.military-declared" in line]
    assert ("end_use.yaml", lines[1], 9, "duplicate-id") in problems(rules_copy)


def test_effective_range_must_be_ordered(rules_copy: Path) -> None:
    pack = rules_copy / "regime.yaml"
    replace(pack, "effective: {from: 2024-12-03, until: 2025-11-08}",
            "effective: {from: 2025-12-03, until: 2025-11-08}")
    found = problems(rules_copy)
    assert ("regime.yaml", line_of(pack, "from: 2025-12-03"), 42, "effective-range") in found


def test_missing_example_file_is_reported(rules_copy: Path) -> None:
    (rules_copy / "examples" / "cotton-direct.json").unlink()
    assert any(code == "example-missing" for *_, code in problems(rules_copy))


@pytest.mark.parametrize(("text", "code"), [
    ("a: 1\na: 2\n", "duplicate-key"),
    ("a: &x [1]\nb: *x\n", "yaml-alias"),
    ("a: !!python/object/apply:os.system ['true']\n", "yaml-tag"),
    ("a: [\n", "yaml-syntax"),
])
def test_hostile_or_broken_yaml_is_refused(text: str, code: str) -> None:
    with pytest.raises(YamlError) as exc:
        load_yaml(text, "x.yaml")
    assert exc.value.problem.code == code
    assert str(exc.value).startswith("x.yaml:")


def test_oversized_file_is_refused() -> None:
    with pytest.raises(YamlError) as exc:
        load_yaml("a: " + "x" * 1_100_000, "big.yaml")
    assert exc.value.problem.code == "file-too-large"


def test_version_changes_with_rule_content(rules_copy: Path, ruleset) -> None:  # type: ignore[no-untyped-def]
    replace(rules_copy / "parties.yaml", "severity: critical", "severity: high")
    assert load_ruleset(rules_copy, SEEDS).version != ruleset.version
