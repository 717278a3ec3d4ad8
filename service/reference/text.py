"""Text folding: case, width and punctuation, so that matching is robust to how text was typed."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})
_SPACE = re.compile(r"\s+")
_PUNCT = re.compile(r"[^\w%+./-]+")


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """NFKC (full-width to half-width), case-folded, whitespace collapsed."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


@lru_cache(maxsize=65536)
def fold_words(text: str) -> str:
    """`fold` with punctuation turned into single spaces: the form keyword matching sees."""
    return _SPACE.sub(" ", _PUNCT.sub(" ", fold(text))).strip()


def normalise_quotes(text: str) -> str:
    """Typographic quotes to ASCII, as citation matching compares them."""
    return text.translate(_QUOTES)
