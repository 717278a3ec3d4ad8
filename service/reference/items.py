"""Controlled items: which dual-use item a goods description names, and under which HS headings.

The catalogue is built once from `rules/lists/controlled_items.yaml` and compiles all names and
formulas of all items into one regular expression, so naming an item is one regex scan:

- names (English, Chinese and other languages) match case- and width-insensitively, as whole
  words where they start or end with a Latin letter or digit, with any punctuation or spacing
  between their words;
- formulas (GaAs, GeO2, Dy2O3) match case-sensitively as whole tokens, so "Ga" never matches "Gas";
- before the scan, formulas written in capitals are put back in their case and names misspelt
  by one letter are mended; a name that something beside it keeps from naming the goods (an
  absence, an impurity limit, a finish, another compound, an article) is passed over
  (`reading`);
- when several items are named, the highest `priority` wins, then the longest name; the winner's
  thresholds (purity, composition) decide, and a winner that fails them means "not controlled"
  ("antimony trioxide 99.5%" never falls back to antimony metal).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from itertools import islice
from typing import Any, Literal

from .entries import Where, iso_date
from .hs import hs_digits, hs_heading
from .reading import (
    ABSENT_AFTER,
    CLAUSE_REACH,
    INCIDENTAL,
    ArticleHead,
    Beside,
    Recaser,
    Speller,
)
from .text import TRADITIONAL

__all__ = [
    "ITEM_FIELDS",
    "ControlledItem",
    "ItemCatalogue",
    "ItemMatch",
    "Threshold",
    "compile_terms",
    "description_facts",
    "normalise",
]

_SPACE = re.compile(r"\s+")
# The names a description is read for, at most: a description names a few (nine at most in
# the labelled cases); past this many it is a list of names, and reading each one in its
# context would cost a request ever more time.
MAX_NAMES = 64
# "Antimony (III) oxide" and "Terbium(III,IV) oxide" name the oxides: an oxidation state in
# brackets, or several, is dropped.
_ROMAN = r"(?:i{1,3}|iv|v|vi{1,3})"
_OXIDATION_STATE = re.compile(rf"\s*\((?i:{_ROMAN}(?:\s*[,/+]\s*{_ROMAN})*)\)")
_ALNUM = re.compile(r"[A-Za-z0-9]")
_WORD_SPLIT = re.compile(r"[^\w%+]+|_")
_SEP = r"[\W_]*"  # between the words of a name: nothing, spaces, hyphens, brackets

# The fields of a controlled_items entry (`issued` is recorded for readers, not read).
ITEM_FIELDS = frozenset((
    "id", "group", "name", "announcement", "issued", "effective", "suspended", "verified_until",
    "priority", "terms", "formulas", "qualifiers", "compound_words", "articles", "hs",
    "more_codes", "thresholds", "source"))

Op = Literal[">", ">=", "<", "<="]
_OPS: dict[str, Any] = {
    ">": float.__gt__,
    ">=": float.__ge__,
    "<": float.__lt__,
    "<=": float.__le__,
}
_PROPERTIES = frozenset({"purity_pct", "flexural_strength_mpa", "density_g_cm3",
                         "capacity_mah_g", "energy_density_wh_kg", "contains_any"})


# A gauge after a whole number: "18 Ga brad nails", "wire 20 ga" (not "Cu70 Ga30", "5 kg Ga").
_GAUGE = re.compile(r"(?<![\d.,/])(\d{1,2}) ?(?:Ga|ga)\b\.?(?! ?[\d%])")


@lru_cache(maxsize=65536)
def normalise(text: str) -> str:
    """NFKC (full-width to half-width, subscripts to digits), traditional to simplified for the
    listed characters, whitespace collapsed, a wire or nail gauge written out. Case is kept:
    formulas are case-sensitive."""
    text = _OXIDATION_STATE.sub("", unicodedata.normalize("NFKC", text).translate(TRADITIONAL))
    return _GAUGE.sub(r"\1 gauge", _SPACE.sub(" ", text).strip())


def _name_key(term: str) -> tuple[str, ...]:
    """The words of a name, normalised and lower-cased: two names with the same key are one name."""
    words = tuple(w.lower() for w in _WORD_SPLIT.split(normalise(term)) if w)
    if not words:
        raise ValueError(f"name {term!r} has no letters or digits")
    return words


def _formula_key(formula: str) -> str:
    text = normalise(formula)
    if not text or " " in text or not _ALNUM.match(text[0]):
        raise ValueError(f"formula {formula!r} must be one token starting with a letter")
    return text


@dataclass(slots=True)
class _Node:
    children: dict[str, _Node] = field(default_factory=dict)
    key: object = None  # what ends here (a name key or a formula), None when nothing does


_SEP_KEY = " "


class _TrieBuilder:
    """Names and formulas as two character tries, emitted as one regex whose only capturing groups
    are empty markers at the ends of names: `match.lastindex` tells which name matched, and at any
    position the longest name is tried first, so a scan costs little more than one pass."""

    def __init__(self) -> None:
        self._names = _Node()
        self._formulas = _Node()

    def add_name(self, term: str) -> tuple[str, ...]:
        key = _name_key(term)
        node = self._names
        for i, word in enumerate(key):
            for char in ((_SEP_KEY,) if i else ()) + tuple(word):
                node = node.children.setdefault(char, _Node())
        node.key = key
        return key

    def add_formula(self, formula: str) -> str:
        key = _formula_key(formula)
        node = self._formulas
        for char in key:
            node = node.children.setdefault(char, _Node())
        node.key = key
        return key

    def build(self) -> tuple[re.Pattern[str], tuple[object, ...]]:
        keys: list[object] = []
        names = self._root(self._names, keys, plural=True)
        formulas = self._root(self._formulas, keys, plural=False)
        parts = [f"(?i:{names})" if names else "", formulas]
        body = "|".join(p for p in parts if p)
        if not body:
            return re.compile(r"(?!x)x"), ()
        # A cheap first-character test in front lets the scan skip most positions.
        firsts = {c for k in self._names.children for c in (k, k.upper())} | set(
            self._formulas.children
        )
        lead = "".join(re.escape(c) for c in sorted(firsts))
        return re.compile(f"(?=[{lead}])(?:{body})"), tuple(keys)

    def _root(self, root: _Node, keys: list[object], *, plural: bool) -> str:
        branches = []
        for char, child in root.children.items():
            head = "(?<![A-Za-z0-9])" if _ALNUM.match(char) else ""
            branches.append(head + re.escape(char) + self._emit(child, char, keys, plural))
        return "|".join(branches)

    def _emit(self, node: _Node, last: str, keys: list[object], plural: bool) -> str:
        branches = []
        for char, child in node.children.items():
            step = _SEP if char == _SEP_KEY else re.escape(char)
            branches.append(step + self._emit(child, char, keys, plural))
        if node.key is not None:
            keys.append(node.key)
            if _ALNUM.match(last):
                tail = "(?:e?s)?(?![A-Za-z0-9])" if plural else "(?![A-Za-z0-9])"
            else:
                tail = ""
            branches.append(tail + "()")
        if len(branches) == 1:
            return branches[0]
        return "(?:" + "|".join(branches) + ")"


def compile_terms(terms: Iterable[str], formulas: Iterable[str] = ()) -> re.Pattern[str]:
    """One pattern for a keyword list, with the matching rules of the catalogue (apply it to
    `normalise(text)`): names case-insensitive as whole words, formulas case-sensitive tokens."""
    builder = _TrieBuilder()
    for term in terms:
        builder.add_name(term)
    for formula in formulas:
        builder.add_formula(formula)
    return builder.build()[0]


# ---- facts a threshold needs, parsed from the description only when a threshold is checked

# A decimal comma counts as a decimal point ("99,99 %", as much of Europe writes it).
_PCT = re.compile(r"(?<![\d.,])(\d{1,3}(?:[.,]\d+)?)\s*(?:%|(?i:pct\b|percent\b))")
# A bound a purity is said to stay under is no purity: "below 99.99%", "< 99.99 %".
_UPPER_BOUND = re.compile(r"(?i:\b(?:below|under|(?<!\bnot\s)(?<!\bno\s)less\s+than|max\.?"
                          r"|maximum|not\s+exceeding)|<|≤|<=)\s*$")
# "99.99" with no unit after it, as traders write purities ("Sb2O3 99.995", "purity 99.99 min").
_BARE_PURITY = re.compile(
    r"(?<![\d.,])(9\d[.,]\d{1,6})(?![\d]|[.,]\d)"
    r"(?!\s*(?i:mm|cm|nm|um|µm|μm|m\b|kg|g\b|t\b|lb|ppm|ppb|mesh|°|mpa|gpa|x\b|\*))"
)
_NINES = re.compile(r"(?<![A-Za-z0-9.])([3-9])N(5)?(?![A-Za-z0-9])")
# A purity stated as what is not the goods: "total metallic impurities < 80 ppm", "ash 0.12-0.18
# %", "impurities (Fe+Cu+Pb) max. 50 ppm" (not "each impurity < 1 ppm", a limit per element,
# nor "impurities: Pb 0.02 %"). A range counts at its upper end.
_REMAINDER = re.compile(
    r"(?i:(?<!each\s)\b(?:total\s+(?:[a-z]+\s+){0,2}impurit(?:y|ies)|impurities(?:\s+total)?"
    r"|ash(?:\s+content)?)\s*(?:\([^)]{0,40}\)\s*)?[:=]?\s*(?:<|≤|<=|max\.?|maximum|below|under"
    r"|less\s+than)?\s*(\d+(?:[.,]\d+)?)(?:\s*[-–~]\s*(\d+(?:[.,]\d+)?))?\s*(ppm|%))")
# A stated value, with a decimal point or comma ("1.86", "1,86"), then its unit.
_VALUE = r"(?<![\d.,])(\d+(?:[.,]\d+)?)\s*"
_MPA = re.compile(_VALUE + r"(?i:mpa)(?![A-Za-z])")
# A strength in MPa that its clause names as another kind than flexural ("compressive strength
# 85 MPa") is not the flexural strength of No. 39.
_OTHER_STRENGTH = re.compile(r"(?i:compressive|compression|tensile|yield|shear|impact)"
                             r"|抗压|拉伸|抗拉|屈服")
_DENSITY = re.compile(_VALUE + r"(?i:g\s*/\s*(?:cm\^?3|cc|cm³))")
_CAPACITY = re.compile(_VALUE + r"(?i:mah\s*/\s*g)(?![A-Za-z])")
_ENERGY_DENSITY = re.compile(_VALUE + r"(?i:wh\s*/\s*kg)(?![A-Za-z])")
# A negation governs the rest of its clause: "without Dy or Tb", "free of Dy and Tb", "不含镝、铽",
# "sin disprosio", "ohne Dy". "No." followed by a number is a grade or item number, not a
# negation, and "SEM" in capitals is a microscope, not Portuguese "without".
_NEGATED_BEFORE = re.compile(
    r"(?i:\bw/o(?![A-Za-z])"
    r"|\b(?:no(?!\.?\s*\d)|not|without|zero|free\s+of|excluding|exclusive\s+of|sin|sans"
    r"|ohne|senza|frei\s+von|libre\s+de|exento\s+de|без|não\s+contém|nao\s+contem|bez|tanpa"
    r"|không\s+chứa|không\s+có|بدون)\b)|\b(?-i:sem)\b"
    r"|(?:不含|无|不添加|未添加|ไม่มี)"
)
# "non-Dy", "非镝": a prefix negates only the name right after it.
_NEGATED_PREFIX = re.compile(r"(?i:\bnon[\s-]*)$|非$")
# "Dy-free", "Dy/Tb free", "Dy and Tb free", "Dy: 0%", "Dy 0", "Dy content nil", "Dy n.d.",
# "Dy <0.005 %" (below detection)
_NEGATED_AFTER = re.compile(
    r"^(?i:(?:\s*-?\s*(?:/|,|&|\+|and|or)\s*-?\s*[A-Za-z]{1,12})*[\s-]*(?:free|frei)\b(?!-\w))"
    rf"|^{ABSENT_AFTER}"
    r"|^(?i:\s*(?:content\s*)?[:=]?\s*(?:0(?:[.,]0+)?(?:\s*%|(?!\d|[.,]\d))|nil\b|none\b"
    r"|n\.?\s?d\.?(?![a-z])|not\s+detected|(?:<|≤|<=)\s*0?[.,]0\d*\s*%))"
    r"|^(?:(?:[/、,和及与]\s*[\u4e00-\u9fff]{1,2})*-?free)"
)
_CLAUSE_END = re.compile(r"[,;:()\[\]，；：（）。]")
@dataclass(frozen=True, slots=True)
class DescriptionFacts:
    """Purity, flexural strength, density, a battery material's specific capacity and a
    battery's energy density as stated in a description (None when unstated)."""

    purity_pct: float | None
    flexural_strength_mpa: float | None
    density_g_cm3: float | None
    capacity_mah_g: float | None
    energy_density_wh_kg: float | None


def _number(written: str) -> float:
    """A stated number, its decimal comma read as a point."""
    return float(written.replace(",", "."))


def description_facts(text: str) -> DescriptionFacts:
    """Purity is the largest percentage of at least 50 %, "5N"-style grade, or purity that a
    total of impurities or ash leaves (`_REMAINDER`); the others are the largest value stated
    in their unit (MPa, g/cm3, mAh/g, Wh/kg), a strength in MPa that its clause names as
    compressive, tensile or another kind left out."""
    text = normalise(text)
    found = [m[1] for pattern in (_PCT, _BARE_PURITY) for m in pattern.finditer(text)
             if not _UPPER_BOUND.search(text, 0, m.start())]
    stated = [_number(v) for v in found]
    purities = [v for v in stated if 50.0 <= v <= 100.0]
    for nines, five in _NINES.findall(text):
        purities.append(float("99." + "9" * (int(nines) - 2) + ("5" if five else "")))
    for low, high, unit in _REMAINDER.findall(text):
        rest = _number(high or low)
        purity = 100.0 - (rest / 10_000 if unit.lower() == "ppm" else rest)
        if 50.0 <= purity <= 100.0:
            purities.append(purity)

    def largest(pattern: re.Pattern[str]) -> float | None:
        return max((_number(v) for v in pattern.findall(text)), default=None)

    flexural: list[float] = []
    since = 0
    for m in _MPA.finditer(text):
        clause = _CLAUSE_END.split(text[since:m.start()])[-1]
        since = m.end()
        if not _OTHER_STRENGTH.search(clause):
            flexural.append(_number(m.group(1)))

    return DescriptionFacts(
        purity_pct=max(purities, default=None),
        flexural_strength_mpa=max(flexural, default=None),
        density_g_cm3=largest(_DENSITY),
        capacity_mah_g=largest(_CAPACITY),
        energy_density_wh_kg=largest(_ENERGY_DENSITY),
    )


@dataclass(frozen=True, slots=True)
class Threshold:
    """A condition of the announcement: a stated value compared with a limit, or a composition
    (`contains_any`: the description must name one of some elements, not negated as "Dy-free")."""

    property: str
    op: Op | None
    value: float | None
    controlled_when_unstated: bool
    pattern: re.Pattern[str] | None = None

    def holds(self, text: str, facts: DescriptionFacts) -> bool:
        """Whether the item stays controlled under this condition (`text` is normalised)."""
        if self.pattern is not None:
            for m in self.pattern.finditer(text):
                before = text[max(0, m.start() - CLAUSE_REACH) : m.start()]
                ends = list(_CLAUSE_END.finditer(before))
                if ends:
                    before = before[ends[-1].end() :]
                after = text[m.end() : m.end() + 30]
                if not (_NEGATED_BEFORE.search(before) or _NEGATED_PREFIX.search(before)
                        or _NEGATED_AFTER.search(after)):
                    return True
            return self.controlled_when_unstated
        stated: float | None = getattr(facts, self.property)
        if stated is None:
            return self.controlled_when_unstated
        assert self.op is not None and self.value is not None
        return bool(_OPS[self.op](stated, self.value))


@dataclass(frozen=True, slots=True)
class ControlledItem:
    """One controlled item with its legal window; dates are inclusive."""

    id: str
    group: str
    name: str
    announcement: str
    effective_from: date
    effective_until: date | None
    suspended_from: date | None
    suspended_until: date | None
    verified_until: date | None
    headings: frozenset[str]
    hs_codes: tuple[str, ...]
    terms: tuple[str, ...]
    formulas: tuple[str, ...]
    priority: int
    thresholds: tuple[Threshold, ...]
    source: str
    codes_complete: bool = True
    # Words that may stand between the words of one of its names without changing what it
    # names: "spherical purified graphite", "lithium-ion pouch cells".
    qualifiers: tuple[str, ...] = ()
    # What, beside one of the item's names, keeps it from naming this item: words that make
    # it part of another compound's name ("gallium trichloride", "trimethyl gallium", "硝酸镓"
    # are not gallium metal) and articles made of the item, which the announcement does not
    # list ("tungsten carbide burrs", "GaN charger").
    besides: tuple[Beside, ...] = ()

    def suspended(self, on: date) -> bool:
        """True while a recorded suspension covers `on`."""
        return (
            self.suspended_from is not None
            and self.suspended_until is not None
            and self.suspended_from <= on <= self.suspended_until
        )

    def in_force(self, on: date) -> bool:
        """The recorded regime: inside the effective window and not suspended. Past
        `verified_until` this is the literal reading of the record, not a verified fact:
        callers must also ask `unverified(on)`."""
        if on < self.effective_from:
            return False
        if self.effective_until is not None and on > self.effective_until:
            return False
        return not self.suspended(on)

    def unverified(self, on: date) -> bool:
        """True when `on` is past the last date whose status is verified."""
        return self.verified_until is not None and on > self.verified_until

    def controlled_on(self, on: date) -> bool:
        """In force on `on` and verified then: past `verified_until` an item is neither
        controlled nor clear (REG-UNVERIFIED)."""
        return self.in_force(on) and not self.unverified(on)


@dataclass(frozen=True, slots=True)
class ItemMatch:
    """What named the item: the matched text and its span in the text as scanned (normalised,
    formulas in their own case, misspelt names mended)."""

    item: ControlledItem
    matched: str
    span: tuple[int, int]


class ItemCatalogue:
    """All controlled items, one compiled pattern over their names and formulas."""

    __slots__ = ("_article_head", "_by_heading", "_by_id", "_group_items", "_items",
                 "_pattern", "_recase", "_respell")

    def __init__(self, items: Sequence[ControlledItem], articles: Sequence[str] = ()) -> None:
        """`articles`: nouns of finished goods (`finished_articles`); a description whose head
        names one names no item (see `reading.ArticleHead`)."""
        self._items = tuple(items)
        self._article_head = ArticleHead(articles)
        self._by_id = {item.id: item for item in self._items}
        if len(self._by_id) != len(self._items):
            raise ValueError("controlled item ids must be unique")
        builder = _TrieBuilder()
        owners: dict[object, list[int]] = {}
        for index, item in enumerate(self._items):
            for term in (*item.terms, *_qualified(item.terms, item.qualifiers)):
                owners.setdefault(builder.add_name(term), []).append(index)
            for formula in item.formulas:
                owners.setdefault(builder.add_formula(formula), []).append(index)
        self._pattern, keys = builder.build()
        self._recase = Recaser(f for item in self._items for f in item.formulas)
        self._respell = Speller(self._by_id, (t for item in self._items for t in item.terms))
        self._group_items = tuple(tuple(dict.fromkeys(owners[k])) for k in keys)
        by_heading: dict[str, list[ControlledItem]] = {}
        for item in self._items:
            for heading in sorted(item.headings):
                by_heading.setdefault(heading, []).append(item)
        self._by_heading = {h: tuple(v) for h, v in by_heading.items()}

    @classmethod
    def from_entries(cls, entries: Sequence[Mapping[str, Any]],
                     articles: Sequence[Mapping[str, Any]] = ()) -> ItemCatalogue:
        """Build from controlled_items.yaml entries and finished_articles.yaml entries;
        ValueError names the bad entry and field."""
        nouns: list[str] = []
        for index, entry in enumerate(articles):
            term = entry.get("term") if isinstance(entry, Mapping) else None
            if not isinstance(term, str) or not term.strip():
                raise Where("finished_articles", index).error("term", "must be a non-empty text")
            nouns.append(term.strip())
        items: list[ControlledItem] = []
        for index, entry in enumerate(entries):
            try:
                items.append(_item(entry))
            except _FieldError as err:
                ident = entry.get("id") if isinstance(entry, Mapping) else None
                where = Where("controlled_items", index, ident if isinstance(ident, str) else None)
                raise where.error(err.field, err.reason) from None
        return cls(items, nouns)

    def _text(self, description: str) -> str:
        """The description as names and formulas are looked for in it: normalised, with
        formulas written in capitals put back in their own case and misspelt names mended."""
        return self._respell(self._recase(normalise(description)))

    def _scan(self, text: str) -> list[tuple[int, int, re.Match[str], tuple[int, ...]]]:
        """Every name or formula in the text that names the goods: (priority, length, match,
        owners). A name mentioned only incidentally is passed over, and an item is not among
        the owners where a word beside the name makes it another compound or an article;
        where the description's head names a finished article, no name names the goods."""
        if self._article_head(text):
            return []
        found = []
        for m in islice(self._pattern.finditer(text), MAX_NAMES):
            start, end = m.span()
            if INCIDENTAL.holds(text, start, end):
                continue
            owners = tuple(
                i for i in self._group_items[(m.lastindex or 1) - 1]
                if not any(beside.holds(text, start, end) for beside in self._items[i].besides)
            )
            if not owners:
                continue
            priority = max(self._items[i].priority for i in owners)
            found.append((priority, m.end() - m.start(), m, owners))
        return found

    def match(self, description: str, hs_code: str | None = None) -> ItemMatch | None:
        """The controlled item a description names, with what named it; None when none, or
        when the most specific item named fails its thresholds.

        With an HS code, an item named in the description whose reference headings contain the
        code's heading is preferred ("Terbium metal for NdFeB magnets" under 2805.30 is terbium
        metal): the declaration itself says which of the named items the goods are. Otherwise,
        or when no named item fits the heading, the highest priority wins, then the longest name,
        then the first in the text; among the names of that priority, the first whose
        thresholds hold is the item."""
        text = self._text(description)
        found = self._scan(text)
        if not found:
            return None
        facts = description_facts(text)
        heading = hs_heading(hs_code) if hs_code else ""
        if len(heading) == 6:
            fitting = [
                (priority, length, -m.start(), m, i)
                for priority, length, m, owners in found
                for i in owners
                if heading in self._items[i].headings
                and all(t.holds(text, facts) for t in self._items[i].thresholds)
            ]
            if fitting:
                *_, m, i = max(fitting, key=lambda f: f[:3])
                return ItemMatch(self._items[i], m.group(), m.span())
        top = max(priority for priority, *_ in found)
        ranked = sorted(
            (f for f in found if f[0] == top), key=lambda f: (-f[1], f[2].start())
        )
        for _, _, m, owners in ranked:
            for i in owners:
                item = self._items[i]
                if item.priority == top and all(t.holds(text, facts) for t in item.thresholds):
                    return ItemMatch(item, m.group(), m.span())
        return None

    def named(self, description: str, hs_code: str | None = None) -> ControlledItem | None:
        """The controlled item the description names, thresholds applied; None otherwise."""
        found = self.match(description, hs_code)
        return found.item if found else None

    def mentioned(self, description: str) -> ControlledItem | None:
        """The item a description names, thresholds not applied ("NdFeB magnets N52" names
        the NdFeB magnet item though it is not controlled): a named good is never vague."""
        found = self._scan(self._text(description))
        if not found:
            return None
        best = max(found, key=lambda f: (f[0], f[1], -f[2].start()))
        return self._items[best[3][0]]

    def by_heading(self, hs_code: str) -> tuple[ControlledItem, ...]:
        """Items whose reference headings contain the code's 6-digit heading (none if shorter)."""
        heading = hs_heading(hs_code)
        return self._by_heading.get(heading, ()) if len(heading) == 6 else ()

    def group_headings(self, group: str) -> frozenset[str]:
        """All reference headings of a group's items (gallium: every gallium item's)."""
        return frozenset(h for item in self._items if item.group == group for h in item.headings)

    def headings(self) -> frozenset[str]:
        """All 6-digit reference headings of all items."""
        return frozenset(self._by_heading)

    def get(self, item_id: str) -> ControlledItem | None:
        """The item with this id."""
        return self._by_id.get(item_id)

    def groups(self) -> frozenset[str]:
        """All item groups."""
        return frozenset(item.group for item in self._items)

    def __iter__(self) -> Iterator[ControlledItem]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


# ---- validation of one YAML entry


class _FieldError(Exception):
    def __init__(self, field: str | None, reason: str) -> None:
        super().__init__(field, reason)
        self.field = field
        self.reason = reason


def _str(entry: Mapping[str, Any], field: str, *, required: bool = True) -> str:
    value = entry.get(field)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise _FieldError(field, "must be a non-empty string")
    return value.strip()


def _strings(entry: Mapping[str, Any], field: str) -> tuple[str, ...]:
    value = entry.get(field, [])
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _FieldError(field, "must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def _date(value: Any, field: str) -> date:
    found = iso_date(value)
    if found is None:
        raise _FieldError(field, f"must be a date (YYYY-MM-DD), got {value!r}")
    return found


def _window(
    entry: Mapping[str, Any], field: str, *, required: bool
) -> tuple[date | None, date | None]:
    value = entry.get(field)
    if value is None and not required:
        return None, None
    if not isinstance(value, Mapping) or "from" not in value:
        raise _FieldError(field, "must be a mapping with 'from' (and optional 'until')")
    start = _date(value["from"], f"{field}.from")
    end = _date(value["until"], f"{field}.until") if value.get("until") is not None else None
    if end is not None and end < start:
        raise _FieldError(field, "'until' is before 'from'")
    return start, end


def _threshold(raw: Any, field: str) -> Threshold:
    if not isinstance(raw, Mapping):
        raise _FieldError(field, "must be a mapping")
    prop = raw.get("property")
    if prop not in _PROPERTIES:
        raise _FieldError(f"{field}.property", f"must be one of {sorted(_PROPERTIES)}")
    unstated = raw.get("unstated", "not_controlled")
    if unstated not in ("controlled", "not_controlled"):
        raise _FieldError(f"{field}.unstated", "must be 'controlled' or 'not_controlled'")
    if prop == "contains_any":
        terms, formulas = _strings(raw, "terms"), _strings(raw, "formulas")
        if not terms and not formulas:
            raise _FieldError(field, "contains_any needs terms or formulas")
        return Threshold(
            str(prop), None, None, unstated == "controlled", compile_terms(terms, formulas)
        )
    op, value = raw.get("op"), raw.get("value")
    if op not in _OPS:
        raise _FieldError(f"{field}.op", f"must be one of {sorted(_OPS)}")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _FieldError(f"{field}.value", "must be a number")
    return Threshold(str(prop), op, float(value), unstated == "controlled")


def _item(entry: Mapping[str, Any]) -> ControlledItem:
    if not isinstance(entry, Mapping):
        raise _FieldError(None, "must be a mapping")
    hs_codes = _strings(entry, "hs")
    for code in hs_codes:
        digits = hs_digits(code)
        if digits is None or len(digits) < 6:
            raise _FieldError("hs", f"{code!r} is not an HS code of 6 to 10 digits")
    terms, formulas = _strings(entry, "terms"), _strings(entry, "formulas")
    if not terms and not formulas:
        raise _FieldError("terms", "an item needs at least one name or formula")
    try:
        for term in terms:
            _name_key(term)
        for formula in formulas:
            _formula_key(formula)
    except ValueError as err:
        raise _FieldError("terms", str(err)) from None
    effective_from, effective_until = _window(entry, "effective", required=True)
    suspended_from, suspended_until = _window(entry, "suspended", required=False)
    if suspended_from is not None and suspended_until is None:
        raise _FieldError("suspended", "needs 'until'")
    verified = entry.get("verified_until")
    priority = entry.get("priority", 0)
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise _FieldError("priority", "must be an integer")
    raw_thresholds = entry.get("thresholds") or []
    if not isinstance(raw_thresholds, list):
        raise _FieldError("thresholds", "must be a list")
    assert effective_from is not None
    return ControlledItem(
        id=_str(entry, "id"),
        group=_str(entry, "group"),
        name=_str(entry, "name"),
        announcement=_str(entry, "announcement"),
        effective_from=effective_from,
        effective_until=effective_until,
        suspended_from=suspended_from,
        suspended_until=suspended_until,
        verified_until=_date(verified, "verified_until") if verified is not None else None,
        headings=frozenset(hs_heading(code) for code in hs_codes),
        hs_codes=hs_codes,
        terms=terms,
        formulas=formulas,
        priority=priority,
        thresholds=tuple(_threshold(t, f"thresholds[{i}]") for i, t in enumerate(raw_thresholds)),
        source=_str(entry, "source"),
        codes_complete=not _flag(entry, "more_codes"),
        qualifiers=_strings(entry, "qualifiers"),
        besides=tuple(
            make(words) for field, make in (("compound_words", Beside.words),
                                            ("articles", Beside.articles))
            if (words := _strings(entry, field))),
    )


def _qualified(terms: Iterable[str], qualifiers: Sequence[str]) -> Iterator[str]:
    """Each name of several words with one qualifier put between two of its words."""
    for term in terms:
        words = _name_key(term)
        for gap in range(1, len(words)):
            for qualifier in qualifiers:
                yield " ".join((*words[:gap], qualifier, *words[gap:]))


def _flag(entry: Mapping[str, Any], field: str) -> bool:
    value = entry.get(field, False)
    if not isinstance(value, bool):
        raise _FieldError(field, "must be true or false")
    return value
