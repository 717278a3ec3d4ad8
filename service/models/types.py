"""Constrained scalar types shared by the contract models."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

import pycountry
from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints

from ..reference.countries import to_alpha2
from ..reference.hs import canonical_hs


def _country(value: str) -> str:
    if to_alpha2(value) is None:
        raise ValueError(f"unknown country {value!r}: use ISO 3166-1 alpha-2 (e.g. 'MY'), "
                         "alpha-3, a UN/LOCODE (e.g. 'SGSIN') or a name")
    return value


def _hs(value: str) -> str:
    if canonical_hs(value) is None:
        raise ValueError(f"invalid HS code {value!r}: 4 to 10 digits, e.g. '8112.92' or '811292'")
    return value


def _iso_date(value: object) -> object:
    """Dates are ISO 8601 text (or date objects); numbers are not read as timestamps."""
    if isinstance(value, int | float | bool):
        raise ValueError("a date must be ISO 8601 text, e.g. '2025-08-04'")
    return value


def _currency(value: str) -> str:
    code = value.strip().upper()
    if pycountry.currencies.get(alpha_3=code) is None:
        raise ValueError(f"unknown ISO 4217 currency {value!r}")
    return code


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _printable(value: str) -> str:
    """No control characters (NUL and the like) in text: they mean a broken client, and
    some stores cannot hold them."""
    if _CONTROL.search(value):
        raise ValueError("text must not contain control characters")
    return value


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
                 AfterValidator(_printable)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300),
                 AfterValidator(_printable)]
Country = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=2, max_length=80),
    AfterValidator(_country),
    Field(examples=["MY"]),
]
HsCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=4, max_length=16),
    AfterValidator(_hs),
    Field(examples=["8112.92"]),
]
Currency = Annotated[str, StringConstraints(min_length=3, max_length=3), AfterValidator(_currency)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date), Field(examples=["2025-08-04"])]
