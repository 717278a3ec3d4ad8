"""Finding a list's terms in free text, fast.

Latin terms match as whole words, case- and width-insensitively, with any punctuation
between words and a plural ending allowed ("missile" finds "Missiles"). Chinese, Japanese
and Korean terms match as substrings, since their words are not separated by spaces.
Matching walks the text's words once with a dictionary of first words: no regex alternation
over all terms.
A list may name exceptions: phrases that contain a term without meaning it ("fire defence"
for `defence`, "courier bags" as goods for `courier`). A term that overlaps one of them does
not count, unless the term holds the whole exception and more ("self-defense force" is a term
though "self-defense" is an exception). A term after a negation in its clause says what the
text is not ("non-aluminium", "not for military use", "nothing hidden") and does not count
either, nor does a term joined to "-free" ("covert-free": without it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from .text import fold, is_cjk

_WORD = re.compile(r"[^\W_]+")


def _singulars(word: str) -> tuple[str, ...]:
    if word.endswith("es") and len(word) > 3:
        return (word, word[:-1], word[:-2])
    if word.endswith("s") and len(word) > 2:
        return (word, word[:-1])
    return (word,)


def _phrases(terms: Iterable[str]) -> tuple[dict[str, list[tuple[tuple[str, ...], str]]],
                                          list[tuple[str, str]]]:
    """Latin phrases by their first word (longest first), and the Chinese, Japanese and Korean
    ones (longest first)."""
    first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    cjk: list[tuple[str, str]] = []
    for term in terms:
        folded = fold(term)
        if is_cjk(folded):
            cjk.append((folded.replace(" ", ""), term))
            continue
        words = tuple(_WORD.findall(folded))
        if words:
            first.setdefault(words[0], []).append((words, term))
    for options in first.values():
        options.sort(key=lambda o: len(o[0]), reverse=True)
    cjk.sort(key=lambda o: len(o[0]), reverse=True)
    return first, cjk


def _at(first: dict[str, list[tuple[tuple[str, ...], str]]], words: list[str], i: int
        ) -> tuple[int, str] | None:
    """The longest phrase starting at word `i` (its length in words and its term), or None."""
    last = len(words) - 1
    word = words[i]
    for key in _singulars(word) if word not in first else (word,):
        for phrase, term in first.get(key, ()):
            n = len(phrase)
            if i + n - 1 > last:
                continue
            if n == 1 or (words[i + 1:i + n - 1] == list(phrase[1:-1])
                          and phrase[-1] in _singulars(words[i + n - 1])):
                return n, term
    return None


# Words that negate the rest of their clause ("not for military use", "nothing hidden", "no
# re-export"), and what ends a clause. "Non" negates only the word it is joined to
# ("non-aluminium"; "non-ferrous residues" are residues).
_NEGATIONS = frozenset(("no", "not", "nothing", "never", "without", "excluding", "nicht",
                        "kein", "keine", "keinen", "ohne", "sans", "aucun", "aucune", "sin",
                        "nunca", "sem", "senza"))
_CLAUSE_END = re.compile(r"[,;:()\[\]!?]|\.(?!\d)")


def _free_of(folded: str, words: list[re.Match[str]], end: int) -> bool:
    """Whether the word after the phrase ending before word `end` is "free", joined to it by
    a hyphen ("covert-free packing")."""
    return (end < len(words) and words[end][0] == "free"
            and folded[words[end - 1].end():words[end].start()] == "-")


def _negated(folded: str, words: list[re.Match[str]], i: int) -> bool:
    """Whether a negation stands before word `i` in its clause."""
    if i and words[i - 1][0] == "non":
        return True
    start = words[i].start()
    ends = [m.end() for m in _CLAUSE_END.finditer(folded, 0, start)]
    clause = ends[-1] if ends else 0
    return any(w[0] in _NEGATIONS for w in words[:i] if w.start() >= clause)


class KeywordMatcher:
    """The first term of a list found in a text (or None), outside the list's exceptions."""

    def __init__(self, terms: Iterable[str], cache_size: int = 4096,
                 exceptions: Iterable[str] = ()) -> None:
        self.terms = tuple(dict.fromkeys(t for t in terms if t.strip()))
        self.exceptions = tuple(dict.fromkeys(t for t in exceptions if t.strip()))
        self._first, self._cjk = _phrases(self.terms)
        self._except_first, self._except_cjk = _phrases(self.exceptions)
        self.find = lru_cache(maxsize=cache_size)(self._find)

    def _find(self, text: str) -> str | None:
        folded = fold(text)
        tokens = list(_WORD.finditer(folded))
        words = [m[0] for m in tokens]
        excepted: list[tuple[int, int]] = []  # the spans of exception phrases, in words
        if self._except_first:
            for i in range(len(words)):
                if (found := _at(self._except_first, words, i)) is not None:
                    excepted.append((i, i + found[0]))
        for i in range(len(words)):
            match = _at(self._first, words, i)
            if match is not None and not _negated(folded, tokens, i) and not _free_of(
                    folded, tokens, i + match[0]) and not any(
                    start < i + match[0] and i < end and not (i <= start and end <= i + match[0])
                    for start, end in excepted):
                return match[1]
        if self._cjk and not folded.isascii():
            compact = folded.replace(" ", "")
            for needle, _ in self._except_cjk:
                compact = compact.replace(needle, " ")
            for needle, term in self._cjk:
                if needle in compact:
                    return term
        return None
