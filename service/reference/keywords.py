"""Finding a list's terms in free text, fast.

Latin terms match as whole words, case- and width-insensitively, with any punctuation
between words and a plural ending allowed ("missile" finds "Missiles"). Chinese terms
match as substrings, since Chinese words are not separated by spaces. Matching walks the
text's words once with a dictionary of first words: no regex alternation over all terms.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from .text import fold

_WORD = re.compile(r"[^\W_]+")


def _is_cjk(text: str) -> bool:
    return any("\u2e80" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in text)


def _singulars(word: str) -> tuple[str, ...]:
    if word.endswith("es") and len(word) > 3:
        return (word, word[:-1], word[:-2])
    if word.endswith("s") and len(word) > 2:
        return (word, word[:-1])
    return (word,)


class KeywordMatcher:
    """The first term of a list found in a text (or None)."""

    def __init__(self, terms: Iterable[str], cache_size: int = 4096) -> None:
        self.terms = tuple(dict.fromkeys(t for t in terms if t.strip()))
        self._cjk: list[tuple[str, str]] = []
        self._first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for term in self.terms:
            folded = fold(term)
            if _is_cjk(folded):
                self._cjk.append((folded.replace(" ", ""), term))
                continue
            words = tuple(_WORD.findall(folded))
            if words:
                self._first.setdefault(words[0], []).append((words, term))
        for options in self._first.values():
            options.sort(key=lambda o: len(o[0]), reverse=True)
        self._cjk.sort(key=lambda o: len(o[0]), reverse=True)
        self.find = lru_cache(maxsize=cache_size)(self._find)

    def _find(self, text: str) -> str | None:
        folded = fold(text)
        words = _WORD.findall(folded)
        first = self._first
        last = len(words) - 1
        for i, word in enumerate(words):
            for key in _singulars(word) if word not in first else (word,):
                for phrase, term in first.get(key, ()):
                    n = len(phrase)
                    if i + n - 1 > last:
                        continue
                    if n == 1 or (words[i + 1:i + n - 1] == list(phrase[1:-1])
                                  and phrase[-1] in _singulars(words[i + n - 1])):
                        return term
        if self._cjk and not folded.isascii():
            compact = folded.replace(" ", "")
            for needle, term in self._cjk:
                if needle in compact:
                    return term
        return None
