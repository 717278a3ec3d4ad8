"""The project carries its own copies of the seeds and labelled cases (a user's clone has
no ../shared); where ../shared is beside the clone, the copies must be identical."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import CASES, ROOT, SEEDS

SHARED = ROOT.parent / "shared"
PAIRS = [(SHARED / "seeds" / p.name, p) for p in sorted(SEEDS.glob("*.txt"))] + [
    (SHARED / "eval" / name, CASES / name) for name in ("dev.jsonl", "dev-shipments.jsonl")]


@pytest.mark.parametrize(("shared", "copy"), PAIRS, ids=[p[1].name for p in PAIRS])
def test_copy_is_identical(shared: Path, copy: Path) -> None:
    if not shared.is_file():
        pytest.skip(f"{shared} is not here (a user's clone has no ../shared)")
    assert copy.read_bytes() == shared.read_bytes()


def test_all_five_seeds_are_carried() -> None:
    assert len(list(SEEDS.glob("*.txt"))) == 5
