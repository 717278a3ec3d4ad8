"""`assay rules check` on the broken-rules corpus: every problem at its exact file, line,
column and code (tests/fixtures/bad_rules/README.md says how the corpus works)."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.authoring import check_all
from service.engine import check_ruleset

from .conftest import RULES, SEEDS
from .rules_support import CASES, CORPUS, assay, assemble, expected, found

# The checks the rule authors' issue lists, each with at least one case in the corpus.
ISSUE_CODES = {
    "rule-schema", "duplicate-id", "unknown-red-flag", "unknown-operator", "unknown-field",
    "regex", "unknown-list", "unused-list", "quote-not-found", "unknown-seed",
    "effective-range", "no-example", "template", "yaml-alias", "yaml-tag", "yaml-depth",
}


def test_corpus_base_is_clean(tmp_path: Path) -> None:
    assert found(assemble(None, tmp_path / "rules")) == []


@pytest.mark.parametrize("case", CASES)
def test_broken_rules_are_located(case: str, tmp_path: Path) -> None:
    rules = assemble(case, tmp_path / "rules")
    assert found(rules) == expected(case)


def test_corpus_covers_every_check_of_the_issue() -> None:
    codes = {line.rsplit(": ", 1)[1] for case in CASES for line in expected(case)}
    assert codes >= ISSUE_CODES, ISSUE_CODES - codes
    for case in CASES:
        assert expected(case), f"{case}/expected.txt is empty"


def test_bundled_rules_check_clean() -> None:
    ruleset, problems = check_all(RULES, SEEDS)
    assert [str(p) for p in problems] == []
    assert ruleset is not None


def test_oversized_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    rules = assemble(None, tmp_path / "rules")
    (rules / "pack.yaml").write_text("# " + "x" * 1_000_001 + "\n", "utf-8")
    assert found(rules) == ["pack.yaml:1:1: file-too-large"]


@pytest.mark.parametrize(("case", "words"), [
    ("unknown-red-flag", "unknown red-flag code 'TRX-HUBB'; did you mean 'TRX-HUB'?"),
    ("unknown-red-flag-policy", "did you mean 'LIC-PROHIBITED-DEST'?"),
    ("unknown-operator", "unknown operator 'any_inn'; did you mean 'any_in'?"),
    ("unknown-field", "did you mean 'transit_countries'?"),
    ("unknown-list", "did you mean '@hubs'?"),
    ("rule-schema-unknown-key", "unknown key 'titel'; did you mean 'title'?"),
    ("quote-not-found", "nearest passage: 'shipment through third-party nations'"),
    ("effective-range", "until 2025-01-31 is before from 2025-06-01"),
    ("no-hit-example", "no hit example"),
    ("no-miss-example", "no miss example"),
    ("yaml-alias", "aliases are not allowed"),
    ("yaml-value", "'2025-02-30' is not a valid timestamp"),
])
def test_messages_say_what_to_do(case: str, words: str, tmp_path: Path) -> None:
    _, problems = check_all(assemble(case, tmp_path / "rules"), SEEDS)
    assert any(words in p.message for p in problems), [str(p) for p in problems]


def test_a_bad_rule_does_not_hide_the_others(tmp_path: Path) -> None:
    """One rule failing the schema: the rest of its pack is still compiled and checked."""
    rules = assemble(None, tmp_path / "rules")
    pack = rules / "pack.yaml"
    text = pack.read_text("utf-8")
    second = text.split("rules:\n", 1)[1].replace("base.hub-transit", "base.second").replace(
        "{any_in: \"@hubs\"}", "{any_inn: \"@hubs\"}")
    pack.write_text(text.replace("red_flag: TRX-HUB", "red_flag: TRX-HUBB") + second, "utf-8")
    assert [line.rsplit(": ", 1)[1] for line in found(rules)] == ["unknown-red-flag",
                                                                 "unknown-operator"]


def test_loader_alone_reports_the_same_locations(tmp_path: Path) -> None:
    """The server's loader (check_ruleset) finds the engine's problems at the same places."""
    rules = assemble("unknown-operator", tmp_path / "rules")
    ruleset, problems = check_ruleset(rules, SEEDS)
    assert ruleset is None
    assert [(Path(p.path).name, p.line, p.col, p.code) for p in problems] == [
        ("pack.yaml", 9, 33, "unknown-operator")]


@pytest.mark.parametrize("case", ["unknown-operator", "yaml-alias", "untraced-phrase"])
def test_cli_prints_each_problem_with_the_path_as_given(case: str, tmp_path: Path) -> None:
    assemble(case, tmp_path / "rules")
    result = assay("rules", "check", "rules", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(": ", 2)[0] + ": " + line.split(": ", 2)[1] for line in lines] == [
        f"rules/{e}" for e in expected(case)]


def test_cli_exits_zero_on_a_clean_directory(tmp_path: Path) -> None:
    assemble(None, tmp_path / "rules")
    result = assay("rules", "check", "rules/", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("1 rules OK (sha256:")


def test_cli_refuses_an_unknown_format(tmp_path: Path) -> None:
    result = assay("rules", "check", str(CORPUS / "_base"), "--format", "xml", cwd=tmp_path)
    assert result.returncode == 2
    assert "--format must be one of" in result.stderr
