"""Country names to ISO 3166-1 alpha-2.

pycountry supplies codes and English names, and its translations the names in Chinese
(simplified and traditional), the main European languages of trade documents and the
languages of the Asian and Middle Eastern buyers and hubs (Japanese, Korean, Russian,
Vietnamese, Thai, Malay, Indonesian, Arabic, Turkish); the alias
table adds what traders actually write ("UAE", "Hongkong", 马来西亚, 香港). Names also match
with their punctuation and spaces removed ("Hong-Kong", "U.S.A", "Dubai, UAE").
"""

from __future__ import annotations

import gettext
import re
from functools import cache, lru_cache
from importlib import resources

import pycountry
import yaml

from .text import fold


@cache
def _aliases() -> dict[str, str]:
    raw = resources.files(__package__).joinpath("data/country_aliases.yaml").read_text("utf-8")
    table: dict[str, list[str]] = yaml.safe_load(raw)
    return {fold(alias): code for code, names in table.items() for alias in names}


# Chinese first (the exporters' language), then the languages of the buyers and hubs the seeds
# name; where two give one text to two countries, the earlier wins.
_LANGUAGES = ("zh_CN", "zh_TW", "zh_HK", "de", "fr", "es", "it", "pt", "pt_BR", "nl", "ja", "ko",
              "ru", "vi", "th", "ms", "id", "ar", "tr", "pl", "sv", "cs", "uk")
_NOT_ALNUM = re.compile(r"[\W_]+")
_NAMES = ("name", "official_name", "common_name")


def _squash(text: str) -> str:
    return _NOT_ALNUM.sub("", fold(text))


@cache
def _index() -> dict[str, str]:
    index: dict[str, str] = {}
    for country in pycountry.countries:
        code = country.alpha_2
        for attr in ("alpha_2", "alpha_3", *_NAMES):
            value = getattr(country, attr, None)
            if value:
                index.setdefault(fold(value), code)
    index.update(_aliases())
    for language in _LANGUAGES:
        try:
            names = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
        except OSError:
            continue
        for country in pycountry.countries:
            for attr in _NAMES:
                value = getattr(country, attr, None)
                if value:
                    index.setdefault(fold(names.gettext(value)), country.alpha_2)
    return index


@cache
def _squashed() -> dict[str, str]:
    """Names with punctuation and spaces removed; a squashed form two countries share is dropped."""
    out: dict[str, str] = {}
    clash: set[str] = set()
    for name, code in _index().items():
        key = _squash(name)
        if len(key) < 2:
            continue
        if key in out and out[key] != code:
            clash.add(key)
        out.setdefault(key, code)
    for key in clash:
        del out[key]
    return out


# The canonical codes themselves: what most shipments send, so normalising them is a set lookup.
ALPHA2 = frozenset(country.alpha_2 for country in pycountry.countries)


# A UN/LOCODE ("SGSIN", "AE JEA"), written in capitals: its first two letters are the country.
_LOCODE = re.compile(r"\s*([A-Z]{2})\s?[A-Z2-9]{3}\s*")


@lru_cache(maxsize=8192)  # bounded: it sees every country text submitted, valid or not
def to_alpha2(value: str) -> str | None:
    """The alpha-2 code for a code, name, alias or Chinese name, a UN/LOCODE, or a place
    followed by its country ("Dubai, AE", "Rotterdam, Netherlands"); None when unknown."""
    folded = fold(value)
    found = _index().get(folded)
    if found is None and not (len(folded) <= 3 and folded.isalpha()):
        found = _squashed().get(_squash(value))
    if found is None and (locode := _LOCODE.fullmatch(value)) and locode[1] in ALPHA2:
        found = locode[1]
    if found is None and "," in value:
        place, _, country = value.rpartition(",")
        if place.strip() and "," not in place:
            found = to_alpha2(country)
    return found


@cache
def country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    return str(getattr(country, "common_name", None) or country.name)
