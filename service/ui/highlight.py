"""Cited quotes marked inside a seed's full text, from the citations' code-point spans.

The seed text is escaped piece by piece; only the ``<mark>`` elements (and the back-links after
them) are markup. Spans are Python ``str`` offsets into the raw text, end exclusive, exactly as
the loader records them, so no searching happens here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from markupsafe import Markup, escape


@dataclass(frozen=True, slots=True)
class Passage:
    """One span to mark: ``anchor`` is its element id; ``backrefs`` are (href, label) pairs
    rendered right after the passage (for example the findings that cite it)."""

    start: int
    end: int
    anchor: str
    backrefs: tuple[tuple[str, str], ...] = field(default=())


def anchor_id(source: str, span: Sequence[int]) -> str:
    """The element id of a cited passage: the same span in the same seed is one anchor."""
    return f"q-{source}-{span[0]}-{span[1]}"


def merge_passages(passages: Iterable[Passage]) -> list[Passage]:
    """One passage per distinct span, with the back-links of all duplicates (order kept)."""
    by_span: dict[tuple[int, int], Passage] = {}
    for p in passages:
        known = by_span.get((p.start, p.end))
        if known is None:
            by_span[(p.start, p.end)] = p
            continue
        refs = known.backrefs + tuple(r for r in p.backrefs if r not in known.backrefs)
        by_span[(p.start, p.end)] = Passage(known.start, known.end, known.anchor, refs)
    return list(by_span.values())


def highlight(text: str, passages: Iterable[Passage]) -> Markup:
    """``text`` escaped, each passage's range wrapped in ``<mark>``.

    Overlapping passages are split at every boundary, so the text never repeats and every
    character covered by any passage is inside a mark; a passage's anchor sits on the mark
    where it starts (or on an empty ``<span>`` just before it when another passage already
    starts there). Spans outside the text or empty are ignored (never raise while rendering).
    """
    valid = sorted(
        (p for p in merge_passages(passages) if 0 <= p.start < p.end <= len(text)),
        key=lambda p: (p.start, -p.end),
    )
    if not valid:
        return Markup(escape(text))
    cuts = sorted({0, len(text), *(p.start for p in valid), *(p.end for p in valid)})
    starts: dict[int, list[Passage]] = {}
    ends: dict[int, list[Passage]] = {}
    for p in valid:
        starts.setdefault(p.start, []).append(p)
        ends.setdefault(p.end, []).append(p)
    out: list[str] = []
    open_count = 0
    for a, b in pairwise(cuts):
        for p in ends.get(a, ()):
            open_count -= 1
            out.extend(_backrefs(p))
        starting = starts.get(a, [])
        open_count += len(starting)
        piece = str(escape(text[a:b]))
        if open_count == 0:
            out.append(piece)
            continue
        ident = ""
        if starting:
            first, *others = starting
            out.extend(f'<span class="anchor" id="{escape(o.anchor)}"></span>' for o in others)
            ident = f' id="{escape(first.anchor)}"'
        out.append(f'<mark class="cite"{ident}>{piece}</mark>')
    for p in ends.get(len(text), ()):
        out.extend(_backrefs(p))
    return Markup("".join(out))


def _backrefs(p: Passage) -> list[str]:
    return [
        f'<a class="backref" href="{escape(href)}">{escape(label)}</a>'
        for href, label in p.backrefs
    ]
