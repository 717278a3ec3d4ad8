"""Restricted-party screening: does a party name match a listed entity?

Names are compared as `names` reads them (folded, legal forms and what stands beside a name
set aside), each of their `spellings`, and the name before a bracket at the end ("洛克希德·
马丁公司（美国马里兰州贝塞斯达）") or before a dash ("… - Global Trade Logistics"). A name matches
an entry's name or alias when, normalised:

- it is equal (score 100);
- for entries marked `divisions: true` (a listed parent company), it starts with the listed
  name followed by more words ("Lockheed Martin Space" is a division of "Lockheed Martin"),
  score 100;
- or, for listed names of at least `MIN_FUZZY_LENGTH` characters, rapidfuzz's token-sort ratio
  is at least `THRESHOLD` (word order and small typos: "Lockhead Martin").

Short listed names ("Skydio", "TCOM") match only exactly, so they never match everything. When
both the party's and the entry's country are known and differ, only a score of 100 counts. A
firm that says it belongs to a listed parent of that kind ("…, a Lockheed Martin Company")
matches the parent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from rapidfuzz import fuzz, process

from .countries import to_alpha2
from .entries import Where, iso_date
from .names import before_bracket, before_dash, normalise_name, owner, same_party, spellings

__all__ = ["MIN_FUZZY_LENGTH", "PARTY_FIELDS", "THRESHOLD", "PartyMatch", "PartyMatcher",
           "normalise_name", "owner", "same_party", "spellings"]

THRESHOLD = 90.0
# The fields of a restricted_parties entry.
PARTY_FIELDS = frozenset(("name", "aliases", "country", "list", "listed_on", "source", "divisions",
                          "military_user"))
MIN_FUZZY_LENGTH = 10


@dataclass(frozen=True, slots=True)
class PartyMatch:
    """A hit: the listed entity, the name or alias that matched, and why it is listed."""

    name: str
    alias: str
    score: float
    list_name: str
    listed_on: date
    source: str
    country: str | None
    military_user: bool = False


@dataclass(frozen=True, slots=True)
class _Entry:
    name: str
    country: str | None
    list_name: str
    listed_on: date
    source: str
    divisions: bool
    military_user: bool = False


class PartyMatcher:
    """Matches party names against the restricted_parties table."""

    __slots__ = ("_choices", "_entries", "_exact", "_owners", "_parents")

    def __init__(self, entries: Sequence[_Entry], aliases: Sequence[Sequence[str]]) -> None:
        self._entries = tuple(entries)
        self._choices: list[str] = []  # normalised names usable for fuzzy matching
        self._owners: list[list[tuple[int, str]]] = []  # per choice: (entry index, alias as listed)
        self._exact: dict[str, list[tuple[int, str]]] = {}
        self._parents: dict[str, list[tuple[int, str]]] = {}
        index_of: dict[str, int] = {}
        for entry_index, names in enumerate(aliases):
            for alias in names:
                key = normalise_name(alias)
                if not key:
                    continue
                self._exact.setdefault(key, []).append((entry_index, alias))
                if self._entries[entry_index].divisions and " " in key:
                    self._parents.setdefault(key, []).append((entry_index, alias))
                if len(key) >= MIN_FUZZY_LENGTH:
                    if key not in index_of:
                        index_of[key] = len(self._choices)
                        self._choices.append(key)
                        self._owners.append([])
                    self._owners[index_of[key]].append((entry_index, alias))

    @classmethod
    def from_entries(cls, entries: Sequence[Mapping[str, Any]]) -> PartyMatcher:
        """Build from restricted_parties entries; ValueError names the bad entry and field."""
        built: list[_Entry] = []
        aliases: list[list[str]] = []
        for index, raw in enumerate(entries):
            where = Where("restricted_parties", index)
            if not isinstance(raw, Mapping):
                raise where.error(None, "must be a mapping")
            name = raw.get("name")
            if not isinstance(name, str) or not normalise_name(name):
                raise where.error("name", "must be a non-empty name")
            where = where.named(name)
            names = raw.get("aliases") or []
            if not isinstance(names, list) or not all(isinstance(a, str) for a in names):
                raise where.error("aliases", "must be a list of strings")
            country = raw.get("country")
            code = to_alpha2(country) if isinstance(country, str) else None
            if country is not None and code is None:
                raise where.error("country", f"unknown country {country!r}")
            list_name, source = raw.get("list"), raw.get("source")
            if not isinstance(list_name, str) or not list_name.strip():
                raise where.error("list", "must be a non-empty string")
            if not isinstance(source, str) or not source.strip():
                raise where.error("source", "must be a non-empty string")
            listed_on = iso_date(raw.get("listed_on"))
            if listed_on is None:
                raise where.error("listed_on", "must be a date (YYYY-MM-DD)")
            divisions = raw.get("divisions", False)
            if not isinstance(divisions, bool):
                raise where.error("divisions", "must be true or false")
            military = raw.get("military_user", False)
            if not isinstance(military, bool):
                raise where.error("military_user", "must be true or false")
            built.append(
                _Entry(name.strip(), code, list_name.strip(), listed_on, source.strip(), divisions,
                       military)
            )
            aliases.append([name, *names])
        return cls(built, aliases)

    def match(self, name: str, country: str | None = None) -> PartyMatch | None:
        """The best listed entity this party name matches (any of its `spellings`, the name
        before a bracket at its end, or the listed parent it says it belongs to), or None."""
        code = to_alpha2(country) if country else None
        best: tuple[float, int, str] | None = None
        names = spellings(name)
        for before in (before_bracket(name), before_dash(name)):  # a place, a note, a unit
            if before is not None and before not in names:
                names += (before,)
        hits = [hit for spelling in names for hit in self._hits(spelling)]
        parent = owner(name)
        if parent is not None:  # a firm of a listed parent whose divisions are listed with it
            hits += [(100.0, entry_index, alias)
                     for entry_index, alias in self._parents.get(normalise_name(parent), ())]
        for score, entry_index, alias in hits:
            entry = self._entries[entry_index]
            if code and entry.country and code != entry.country and score < 100.0:
                continue
            if best is None or score > best[0]:
                best = (score, entry_index, alias)
        if best is None:
            return None
        score, entry_index, alias = best
        entry = self._entries[entry_index]
        return PartyMatch(
            name=entry.name,
            alias=alias,
            score=round(score, 1),
            list_name=entry.list_name,
            listed_on=entry.listed_on,
            source=entry.source,
            country=entry.country,
            military_user=entry.military_user,
        )

    def _hits(self, name: str) -> list[tuple[float, int, str]]:
        """(score, entry, alias) of every listed name this one matches."""
        query = normalise_name(name)
        if not query:
            return []
        hits: list[tuple[float, int, str]] = []
        for entry_index, alias in self._exact.get(query, ()):
            hits.append((100.0, entry_index, alias))
        words = query.split(" ")
        for cut in range(len(words) - 1, 1, -1):  # a listed parent's name, then more words
            for entry_index, alias in self._parents.get(" ".join(words[:cut]), ()):
                hits.append((100.0, entry_index, alias))
        if not hits and len(query) >= MIN_FUZZY_LENGTH and self._choices:
            for _, score, choice in process.extract(
                query, self._choices, scorer=fuzz.token_sort_ratio, score_cutoff=THRESHOLD, limit=5
            ):
                for entry_index, alias in self._owners[choice]:
                    hits.append((float(score), entry_index, alias))
        return hits

    def __len__(self) -> int:
        return len(self._entries)
