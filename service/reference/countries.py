"""Country names to ISO 3166-1 alpha-2.

pycountry supplies codes and English names; the alias table adds what traders
actually write ("UAE", "Hongkong") and Chinese names (马来西亚, 香港).
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import pycountry
import yaml

from .text import fold


@cache
def _aliases() -> dict[str, str]:
    raw = resources.files(__package__).joinpath("data/country_aliases.yaml").read_text("utf-8")
    table: dict[str, list[str]] = yaml.safe_load(raw)
    return {fold(alias): code for code, names in table.items() for alias in names}


@cache
def _index() -> dict[str, str]:
    index: dict[str, str] = {}
    for country in pycountry.countries:
        code = country.alpha_2
        for attr in ("alpha_2", "alpha_3", "name", "official_name", "common_name"):
            value = getattr(country, attr, None)
            if value:
                index.setdefault(fold(value), code)
    index.update(_aliases())
    return index


@cache
def to_alpha2(value: str) -> str | None:
    """The alpha-2 code for a code, name, alias or Chinese name; None when unknown."""
    return _index().get(fold(value))


@cache
def country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    return str(getattr(country, "common_name", None) or country.name)
