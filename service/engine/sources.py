"""The seed articles and the quotes rules cite from them.

A quote must occur in its seed after folding whitespace and typographic quotes; the
recorded span is into the raw text (code-point offsets, end exclusive).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import Problem
from ..models import Citation
from ..reference.text import normalise_quotes
from .yaml_loader import YamlError, load_yaml_file, locate

_SPACE = re.compile(r"\s+")


class SeedEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^seed-\d{3}$")
    file: str
    title: str = ""
    publisher: str = ""
    published: str = ""
    reports: str = ""


class SeedIndex(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    seeds: list[SeedEntry]


@dataclass(frozen=True)
class Seed:
    id: str
    file: str
    title: str
    publisher: str
    published: str
    reports: str
    text: str
    folded: str
    raw_at: tuple[int, ...]

    @classmethod
    def from_text(cls, entry: SeedEntry, text: str) -> Seed:
        folded, raw_at = _fold_with_map(text)
        return cls(entry.id, entry.file, entry.title, entry.publisher, entry.published,
                   entry.reports, text, folded, raw_at)

    def find(self, quote: str) -> tuple[int, int] | None:
        """The raw span of `quote`, or None when it does not occur."""
        needle, _ = _fold_with_map(quote)
        if not needle:
            return None
        start = self.folded.find(needle)
        if start < 0:
            return None
        end = start + len(needle) - 1
        return self.raw_at[start], self.raw_at[end] + 1

    def nearest(self, quote: str) -> str:
        """The passage most like `quote`, to help fix a misquote."""
        from rapidfuzz import fuzz

        needle, _ = _fold_with_map(quote)
        best = fuzz.partial_ratio_alignment(needle, self.folded)
        if best is None:
            return ""
        return self.folded[best.dest_start:best.dest_end]

    def citation(self, quote: str, span: tuple[int, int]) -> Citation:
        return Citation(source=self.id, title=self.title or None,
                        publisher=self.publisher or None, published=self.published or None,
                        quote=quote, span=span)


def _fold_with_map(text: str) -> tuple[str, tuple[int, ...]]:
    """Whitespace runs to one space, typographic quotes to ASCII; keep each char's raw offset."""
    out: list[str] = []
    raw_at: list[int] = []
    for match in re.finditer(r"\s+|[^\s]+", normalise_quotes(text)):
        piece = match.group(0)
        if piece[0].isspace():
            if out:
                out.append(" ")
                raw_at.append(match.start())
        else:
            out.append(piece)
            raw_at.extend(range(match.start(), match.end()))
    folded = "".join(out).rstrip()
    return folded, tuple(raw_at[: len(folded)])


def load_seeds(seeds_dir: Path, problems: list[Problem]) -> dict[str, Seed]:
    index_path = seeds_dir / "index.yaml"
    shown = str(index_path)
    try:
        raw = load_yaml_file(index_path, shown)
    except FileNotFoundError:
        problems.append(Problem(shown, 1, 1, "seed-index", "seeds/index.yaml is missing"))
        return {}
    except YamlError as exc:
        problems.append(exc.problem)
        return {}
    try:
        index = SeedIndex.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors():
            line, col = locate(raw, tuple(err["loc"]))
            problems.append(Problem(shown, line, col, "seed-index", err["msg"]))
        return {}
    seeds: dict[str, Seed] = {}
    for i, entry in enumerate(index.seeds):
        path = seeds_dir / entry.file
        if not path.is_file():
            line, col = locate(raw, ("seeds", i, "file"))
            problems.append(Problem(shown, line, col, "seed-file", f"no file {entry.file}"))
            continue
        seeds[entry.id] = Seed.from_text(entry, path.read_text("utf-8"))
    return seeds
