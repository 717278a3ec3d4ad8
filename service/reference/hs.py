"""Harmonized System codes in any usual spelling: "8112.92", "811292", "8112 92", "8112.92.10"."""

from __future__ import annotations

import re
from functools import lru_cache

_SEPARATORS = re.compile(r"[\s.\-/]")
# "HS 8112.92", "HTS: 8112.92.90", "H.S. code 811292": a label in front of the code.
_LABEL = re.compile(r"^\s*(?:h\.?\s*t?\.?\s*s\.?|tariff)(?:\s*code)?\s*(?:no\.?)?\s*[:#]?\s*", re.I)


@lru_cache(maxsize=16384)
def hs_digits(code: str) -> str | None:
    """The bare digits of an HS code (4 to 10, even count), or None when it is not one."""
    digits = _SEPARATORS.sub("", _LABEL.sub("", code))
    if not digits.isdigit() or not 4 <= len(digits) <= 10 or len(digits) % 2:
        return None
    return digits


def subdivided(digits: str) -> str:
    """The digits of a code that subdivide its heading: a pair of zeros at the end, past the
    six-digit heading, says the line is not subdivided there ("2841 80 00" in the EU's
    nomenclature is 2841.80 as a whole; China's "2841.80.10.00" is 2841.80.10), so a code
    that ends in them is not another line than a longer code of the same heading."""
    while len(digits) > 6 and digits.endswith("00"):
        digits = digits[:-2]
    return digits


@lru_cache(maxsize=16384)
def canonical_hs(code: str) -> str | None:
    """Dotted form: "8112", "8112.92", "8112.92.10", "8112.92.90.10"; None when invalid."""
    digits = hs_digits(code)
    if digits is None:
        return None
    parts = [digits[:4]] + [digits[i : i + 2] for i in range(4, len(digits), 2)]
    return ".".join(parts)


def hs_heading(code: str) -> str:
    """The six-digit international heading (digits only) of a valid code, or fewer if shorter."""
    digits = hs_digits(code) or ""
    return digits[:6]
