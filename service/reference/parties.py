"""Restricted-party screening: does a party name match a listed entity?

Names are compared after normalisation (width, case, "&" as "and", punctuation, legal suffixes
such as "Co., Ltd", "Inc", "GmbH", "Sdn Bhd", 有限公司 removed, and what stands beside a name
without being it: an address, a registration number, a unit of the organisation, the firm it
says it belongs to). A name written twice, in two scripts or with its acronym in brackets, is
read as each of its `spellings`. A name matches an entry's name or alias when, normalised:

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

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz, process

from .countries import to_alpha2
from .entries import Where, iso_date
from .text import is_cjk

__all__ = ["MIN_FUZZY_LENGTH", "PARTY_FIELDS", "THRESHOLD", "PartyMatch", "PartyMatcher",
           "normalise_name", "owner", "same_party", "spellings"]

THRESHOLD = 90.0
# The fields of a restricted_parties entry.
PARTY_FIELDS = frozenset(("name", "aliases", "country", "list", "listed_on", "source", "divisions",
                          "military_user"))
MIN_FUZZY_LENGTH = 10

_CJK_SUFFIXES = (
    "股份有限公司", "有限责任公司", "有限責任公司", "有限公司", "总公司", "總公司", "公司"
)  # fmt: skip
# Japanese and Korean company forms, before or after the name (NFKC has made ㈱ "(株)").
_CJK_FORMS = ("株式会社", "有限会社", "(株)", "(有)", "주식회사", "유한회사", "(주)", "(유)")
# Legal-form words, stripped from the end (repeatedly) once punctuation is gone.
# fmt: off
_LEGAL = frozenset((
    "co", "company", "companies", "corp", "corporation", "inc", "incorporated", "ltd", "limited",
    "llc", "lc", "lp", "llp", "plc", "pllc", "gmbh", "mbh", "ag", "kg", "kgaa", "sa", "sas", "sarl",
    "srl", "spa", "bv", "nv", "ab", "as", "asa", "oy", "oyj", "aps", "kk", "yk", "jsc", "ojsc",
    "pjsc", "ooo", "zao", "sdn", "bhd", "pte", "pty", "pvt", "private", "tbk", "nl", "sl", "sau",
    "sae", "cv", "se", "aktiebolag", "aktiengesellschaft", "kabushikigaisha", "osakeyhtiö",
    "osakeyhtio", "aksjeselskap", "aktieselskab", "berhad", "sro", "kft", "doo", "spzoo",
    "vzw", "asbl",
))
# fmt: on
# Legal forms written out in words, as the form they spell.
_PHRASES = {
    ("limited", "partnership"): "lp",
    ("kabushiki", "kaisha"): "kk",
    ("yugen", "kaisha"): "yk",
    ("sendirian", "berhad"): "bhd",
    ("societe", "anonyme"): "sa", ("société", "anonyme"): "sa",
    ("sociedad", "anonima"): "sa", ("sociedad", "anónima"): "sa",
    ("societa", "per", "azioni"): "spa", ("società", "per", "azioni"): "spa",
    ("sp", "z", "oo"): "spzoo", ("sp", "z", "o", "o"): "spzoo",
    ("spółka", "z", "oo"): "spzoo", ("spolka", "z", "oo"): "spzoo",
    ("besloten", "vennootschap"): "bv",
    ("naamloze", "vennootschap"): "nv",
    ("gesellschaft", "mbh"): "gmbh",
    ("joint", "stock", "company"): "jsc", ("joint", "stock", "co"): "jsc",
    ("gesellschaft", "mit", "beschrankter", "haftung"): "gmbh",
    ("gesellschaft", "mit", "beschränkter", "haftung"): "gmbh",
}
_PHRASE_LENGTHS = sorted({len(p) for p in _PHRASES}, reverse=True)
_DOTS = re.compile(r"(?<=\w)\.(?=\w)|\.(?=\s|$)")
# An address after the name: from the first comma whose part holds a number ("Elbtal
# Halbleitertechnik GmbH, Manfred-von-Ardenne-Ring 20, 01099 Dresden"; not "Co., Ltd.").
_ADDRESS = re.compile(r",(?=[^,]*\d).*\Z", re.DOTALL)
# A registration number beside the name: in brackets with a digit in them ("Sachsen Photonik
# GmbH (EORI DE4471209856321)"; not "(Hong Kong)"), or after a label of such numbers.
# (Possessive and from a run's first space: no backtracking over long runs of spaces.)
_IDENTIFIER = re.compile(
    r"(?<!\s)(?:\s*+[(\[（][^)\]）\d]*+\d[^)\]）]*+[)\]）]"
    r"|\s++(?i:eori|vat|tax\s+id|tin|uscc|usci|uen|abn|cnpj|nif|nip|siret|krs|regon"
    r"|reg(?:istration)?\.?\s+no)\b[\s:#.]*+[\w-]*\d[\w-]*)")
_NON_WORD = re.compile(r"[\W_]+")


# Legal forms that name the same kind of company, as one form (co and company name none).
_SAME_FORM = {"limited": "ltd", "incorporated": "corp", "inc": "corp", "corporation": "corp",
              "mbh": "gmbh", "kgaa": "kg", "oyj": "oy", "ojsc": "jsc", "pjsc": "jsc",
              "sdn": "bhd", "berhad": "bhd", "aktiebolag": "ab", "aktiengesellschaft": "ag",
              "kabushikigaisha": "kk", "osakeyhtiö": "oy", "osakeyhtio": "oy",
              "aksjeselskap": "as", "aktieselskab": "as"}
_NO_FORM = frozenset(("co", "company", "companies"))


def normalise_name(name: str) -> str:
    """The comparable form of a company name: folded, punctuation and legal suffixes removed."""
    return _split_name(name)[0]


# A unit of the organisation after its name: ", Department of Applied Physics", " – Tucson
# Operations", ", Supply Chain Compliance", ", Attn. Purchasing".
_UNIT_WORDS = (r"department|dept|division|faculty|school|laboratory|lab|plant|site|branch"
               r"|factory|works|campus|facility|unit|office|operations|procurement|purchasing"
               r"|supply\s+chain|attn|attention|c/o|care\s+of")
_UNIT = re.compile(
    rf"(?:,|\s[-–—])\s*(?:(?i:(?:the\s+)?(?:{_UNIT_WORDS}))\b|[^,()]*\b(?i:{_UNIT_WORDS})\.?\s*$)"
    r".*\Z", re.DOTALL)
# A name with a bracket at its end (which may hold one more): "宁波科田磁业有限公司 (Ningbo
# Ketian Magnet Co Ltd)", "Raytheon Missiles and Defense (RMD)", "中国北方稀土（集团）高科技
# 股份有限公司（China Northern Rare Earth (Group) High-Tech Co.,Ltd）".
_BRACKETED = re.compile(r"\s*(.+?)\s*[(（]((?:[^()（）]|[(（][^()（）]*[)）])+)[)）]\s*")
# "Sikorsky Aircraft Corporation, a Lockheed Martin Company": the firm it belongs to.
_OWNER = re.compile(r"(?i:\s*[,(]\s*(?:an?|part\s+of)\s+(.+?)\s+"
                    r"(?:company|subsidiary|business|group\s+company|division)\)?\s*)$")
_NOT_INITIAL = frozenset(("and", "of", "the", "for", "de", "der", "und", "et", "y", "e"))


def _acronym(short: str, long: str) -> bool:
    """Whether `short` (one word) is made of the initials of `long`'s words ("RMD" of
    "Raytheon Missiles and Defense", "imec" of "Interuniversitair Micro-Electronica Centrum")."""
    letters = "".join(ch for ch in short.casefold() if ch.isalnum())
    words = [w for w in re.split(r"[\s/-]+", long.casefold()) if w and w not in _NOT_INITIAL]
    initials = "".join(w[0] for w in words if w[0].isalnum())
    return 2 <= len(letters) <= 8 and (letters == initials or letters == initials[:-1])


@lru_cache(maxsize=8192)
def spellings(name: str) -> tuple[str, ...]:
    """The name, and, where a bracket at its end holds the name in another script (Chinese,
    Japanese or Korean and another) or an acronym of it (or the name it is an acronym of), each
    of the two: papers often give one of them alone. A unit of the organisation after the name
    is set aside first."""
    found = _BRACKETED.fullmatch(_UNIT.sub("", name))
    if found:
        outside, inside = found[1], found[2]
        first = outside.split()[:1]
        if (is_cjk(outside) != is_cjk(inside) or _acronym(inside, outside)
                or (first and _acronym(first[0], inside))):
            return name, outside, inside
    return (name,)


def owner(name: str) -> str | None:
    """The firm a name says it belongs to ("…, a Lockheed Martin Company"), or None."""
    found = _OWNER.search(name)
    return found[1] if found else None


@lru_cache(maxsize=8192)
def same_party(a: str, b: str) -> bool:
    """Two names of one party: equal once normalised, or nearly so (word order aside), and not
    of two different legal forms ("Kessler Sensorik AG" is not "Kessler Sensorik GmbH"). A
    name is the party of each of its `spellings`."""
    return any(_same_name(x, y) for x in spellings(a) for y in spellings(b))


def _same_name(a: str, b: str) -> bool:
    (x, forms_x), (y, forms_y) = _split_name(a), _split_name(b)
    if forms_x and forms_y and forms_x.isdisjoint(forms_y):
        return False
    return x == y or fuzz.token_sort_ratio(x, y) >= 90


@lru_cache(maxsize=16384)
def _split_name(name: str) -> tuple[str, frozenset[str]]:
    """The name without its legal forms, and the forms it ends with, one word for each kind
    ("Co., Ltd." and "Limited" are both ``ltd``; "GmbH" is ``gmbh``, "AG" ``ag``)."""
    text = unicodedata.normalize("NFKC", name)
    text = _OWNER.sub("", _UNIT.sub("", _ADDRESS.sub("", _IDENTIFIER.sub("", text))))
    text = text.casefold().strip()
    for suffix in _CJK_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)]
            break
    for form in _CJK_FORMS:
        if len(text) > len(form) and (text.startswith(form) or text.endswith(form)):
            text = text.removeprefix(form).removesuffix(form).strip()
    text = text.replace("&", " and ").replace("＆", " and ")
    text = _DOTS.sub("", text)  # "L.L.C." -> "llc", "Co." -> "co"
    words = [w for w in _NON_WORD.split(text) if w]
    if words and words[0] == "the":
        words = words[1:]
    forms: set[str] = set()
    while len(words) > 1:
        phrase = next((n for n in _PHRASE_LENGTHS
                       if len(words) > n and tuple(words[-n:]) in _PHRASES), 0)
        if phrase:
            forms.add(_PHRASES[tuple(words[-phrase:])])
            words = words[:-phrase]
        elif words[-1] in _LEGAL:
            if words[-1] not in _NO_FORM:
                forms.add(_SAME_FORM.get(words[-1], words[-1]))
            words = words[:-1]
        else:
            break
    return " ".join(words), frozenset(forms)


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
        bracketed = _BRACKETED.fullmatch(_UNIT.sub("", name))
        if bracketed and len(names) == 1:  # a place: "洛克希德·马丁公司（美国马里兰州贝塞斯达）"
            names += (bracketed[1],)
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
