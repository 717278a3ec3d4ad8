"""HS codes in their usual spellings, and which digits of a code subdivide its heading."""

from __future__ import annotations

import pytest

from service.reference.hs import canonical_hs, hs_digits, hs_heading, subdivided


@pytest.mark.parametrize(("code", "digits"), [
    ("8112.92", "811292"), ("8112 92 90", "81129290"), ("HS 8112.92.90.10", "8112929010"),
    ("H.S. code: 2825-60", "282560"), ("8112", "8112"),
    ("811", None), ("81129", None), ("81129290101", None), ("8112.9x", None), ("", None),
])
def test_hs_digits(code: str, digits: str | None) -> None:
    assert hs_digits(code) == digits


def test_canonical_and_heading() -> None:
    assert canonical_hs("8112929010") == "8112.92.90.10"
    assert canonical_hs("nope") is None
    assert hs_heading("8112.92.90.10") == "811292"
    assert hs_heading("8112") == "8112"


@pytest.mark.parametrize(("digits", "kept"), [
    ("28418000", "284180"),        # the EU's 2841 80 00: the heading as a whole
    ("2841801000", "28418010"),    # China's 2841.80.10.00
    ("8112929010", "8112929010"),  # a line of its own
    ("81129200", "811292"),
    ("281000", "281000"),          # the heading itself keeps its digits
    ("8505", "8505"),
])
def test_subdivided(digits: str, kept: str) -> None:
    assert subdivided(digits) == kept
