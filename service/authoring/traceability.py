"""`rules/traceability.yaml`: the red-flag phrases of the seeds that the rulebook must encode.

A phrase is traced to the rules whose citations quote it: a quote from the same seed that
contains the phrase or lies inside it (after folding whitespace, typographic quotes and
case). `assay rules check` reports a phrase that no rule quotes, a phrase that does not
occur in its seed and an unknown seed, each located in traceability.yaml.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..engine.ruleset import CompiledRule, shown_dir
from ..engine.schema_errors import schema_problems
from ..engine.sources import Seed
from ..engine.yaml_loader import YamlError, load_yaml_file, locate
from ..errors import Problem
from ..reference.text import fold as fold_text
from ..reference.text import normalise_quotes

FILE = "traceability.yaml"


class TracePhrase(BaseModel):
    """A red-flag statement of a seed, verbatim (whitespace and quotes may differ)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: str = Field(pattern=r"^seed-\d{3}$", examples=["seed-004"])
    phrase: str = Field(min_length=3, examples=["covert packaging methods"])


class TraceabilityFile(BaseModel):
    """`rules/traceability.yaml`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    phrases: list[TracePhrase] = Field(min_length=1)


@dataclass(frozen=True)
class Trace:
    seed: str
    phrase: str
    line: int
    rules: tuple[str, ...]


def fold(text: str) -> str:
    """Typographic quotes to ASCII, then the usual folding (width, case, whitespace)."""
    return fold_text(normalise_quotes(text))


def rules_quoting(seed: str, phrase: str, rules: Sequence[CompiledRule]) -> tuple[str, ...]:
    """Ids of the rules with a citation of `seed` that contains `phrase` or lies inside it."""
    needle = fold(phrase)
    found: list[str] = []
    for rule in rules:
        for cite in rule.citations:
            quote = fold(cite.quote)
            if cite.source == seed and (needle in quote or quote in needle):
                found.append(rule.spec.id)
                break
    return tuple(found)


def trace(rules_dir: Path, seeds: Mapping[str, Seed],
          rules: Sequence[CompiledRule] | None) -> tuple[list[Trace], list[Problem]]:
    """Each phrase with the rules that quote it, and the problems of traceability.yaml.

    With `rules` None (a ruleset that did not load) only the file itself is checked."""
    path = rules_dir / FILE
    shown = f"{shown_dir(rules_dir)}/{FILE}"
    if not path.is_file():
        return [], []
    problems: list[Problem] = []
    try:
        raw: Any = load_yaml_file(path, shown)
    except YamlError as exc:
        return [], [exc.problem]
    except (OSError, UnicodeDecodeError) as exc:
        return [], [Problem(shown, 1, 1, "read", str(exc))]
    try:
        parsed = TraceabilityFile.model_validate(raw)
    except ValidationError as exc:
        return [], schema_problems(TraceabilityFile, exc, raw, shown, "traceability-schema")
    traces: list[Trace] = []
    for i, item in enumerate(parsed.phrases):
        line, col = locate(raw, ("phrases", i, "phrase"))
        seed = seeds.get(item.seed)
        if seed is None:
            sline, scol = locate(raw, ("phrases", i, "seed"))
            problems.append(Problem(shown, sline, scol, "unknown-seed",
                                    f"no seed {item.seed!r} in seeds/index.yaml"))
            continue
        if seed.find(item.phrase) is None:
            problems.append(Problem(
                shown, line, col, "phrase-not-in-seed",
                f"phrase not found in {item.seed}; nearest passage: {seed.nearest(item.phrase)!r}"))
            continue
        if rules is None:
            continue
        ids = rules_quoting(item.seed, item.phrase, rules)
        if not ids:
            problems.append(Problem(
                shown, line, col, "untraced-phrase",
                f"no rule cites {item.phrase!r} ({item.seed}): add a rule whose citation "
                "quotes it, or a citation to a rule that encodes it"))
        traces.append(Trace(item.seed, item.phrase, line, ids))
    return traces, problems
