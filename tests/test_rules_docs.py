"""`docs/rulebook.md` and the traceability map: every red-flag phrase of
rules/traceability.yaml is encoded by a rule, and the document matches its generator."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from service.authoring.rulebook import effective_text, render_rulebook
from service.authoring.traceability import rules_quoting, trace
from service.engine import CompiledRule, Ruleset
from service.models import Citation

from .conftest import ROOT, RULES
from .rules_support import assay, assemble

RULEBOOK = ROOT / "docs" / "rulebook.md"
PHRASES = yaml.safe_load((RULES / "traceability.yaml").read_text("utf-8"))["phrases"]


def test_rulebook_is_up_to_date(ruleset: Ruleset) -> None:
    traces, _ = trace(RULES, ruleset.seeds, ruleset.rules)
    assert RULEBOOK.read_text("utf-8") == render_rulebook(ruleset, traces), (
        "docs/rulebook.md is out of date: run `assay rules docs`")


@pytest.mark.parametrize("item", PHRASES, ids=lambda i: f"{i['seed']}: {i['phrase']}")
def test_every_traceability_phrase_has_a_rule(item: dict[str, str], ruleset: Ruleset) -> None:
    assert ruleset.seeds[item["seed"]].find(item["phrase"]) is not None, "not in the seed"
    assert rules_quoting(item["seed"], item["phrase"], ruleset.rules), (
        f"no rule cites {item['phrase']!r} from {item['seed']}")


def test_rulebook_shows_every_rule_with_its_facts(ruleset: Ruleset) -> None:
    text = render_rulebook(ruleset, [])
    for rule in ruleset.rules:
        section = text.split(f"### {rule.spec.id}\n", 1)[1].split("\n### ", 1)[0]
        assert f"**{rule.spec.red_flag}**" in section
        assert f"severity: **{rule.spec.severity}**" in section
        assert f"Effective: {effective_text(rule)}" in section
        for cite in rule.citations:
            assert " ".join(cite.quote.split()) in section
        for ref in rule.spec.references:
            assert ref.id in section


def test_phrases_match_quotes_that_contain_them_or_lie_inside_them(ruleset: Ruleset) -> None:
    rule = ruleset.rules[0]

    def citing(source: str, quote: str) -> list[CompiledRule]:
        cite = Citation(source=source, quote=quote, span=(0, 1))
        return [dataclasses.replace(rule, citations=(cite,))]

    rules = citing("seed-004", "through  third-party nations, especially")
    assert rules_quoting("seed-004", "third-party nations", rules)  # quote contains phrase
    assert rules_quoting("seed-004", "transshipment through third-party nations, especially "
                         "with Hong Kong", rules)  # quote inside phrase
    assert not rules_quoting("seed-001", "third-party nations", rules)  # other seed
    assert rules_quoting("seed-004", "Through Third-Party NATIONS", rules)  # case folded


def test_docs_command_writes_and_reports_untraced_phrases(tmp_path: Path) -> None:
    rules = assemble(None, tmp_path / "rules")
    (rules / "traceability.yaml").write_text(
        "phrases:\n  - {seed: seed-004, phrase: \"transshipment through third-party nations\"}\n"
        "  - {seed: seed-004, phrase: \"covert packaging methods\"}\n", "utf-8")
    result = assay("rules", "docs", "rules", cwd=tmp_path)
    assert result.returncode == 1
    assert "rules/traceability.yaml:3:30: untraced-phrase" in result.stderr
    text = (tmp_path / "docs" / "rulebook.md").read_text("utf-8")
    assert "| seed-004 | “covert packaging methods” | **none** |" in text
    assert "### base.hub-transit" in text
    check = assay("rules", "docs", "rules", "--check", cwd=tmp_path)
    assert "is up to date" in check.stdout
