"""Shared fixtures. How they are chosen: the bundled ruleset is loaded once per session
(it is immutable); tests that need a broken or edited ruleset copy `rules/` into a
temporary directory and change the copy. Shipments are built from the example files
in rules/examples so that tests and rule examples describe the same goods."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from service.engine import Ruleset, load_ruleset

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
SEEDS = ROOT / "seeds"
CASES = Path(__file__).resolve().parent / "cases"


@pytest.fixture(scope="session")
def ruleset() -> Ruleset:
    return load_ruleset(RULES, SEEDS)


def example(name: str = "gallium-direct") -> dict[str, Any]:
    """A fresh copy of a bundled example shipment."""
    data: dict[str, Any] = json.loads((RULES / "examples" / f"{name}.json").read_text("utf-8"))
    return data


def read_cases(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (CASES / name).read_text("utf-8").splitlines()
            if line.strip()]
