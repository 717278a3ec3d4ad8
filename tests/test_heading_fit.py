"""Where the announcement's code list for an item is not fully recorded, a heading of its
group still fits; a heading foreign to the group is still a mismatch."""

from __future__ import annotations

import pytest

from service.engine import Ruleset, evaluate
from service.models import Shipment

from .conftest import example


@pytest.mark.parametrize(("hs", "mismatch"), [
    ("2853.90.90.26", False),  # the recorded reference code
    ("3818.00", False),        # a gallium-group heading (GaN, Ga2O3), codes elided for GaAs
    ("7601.10", True),         # aluminium: no gallium item is declared there
])
def test_gallium_arsenide_headings(ruleset: Ruleset, hs: str, mismatch: bool) -> None:
    raw = example()
    raw["goods"][0].update(description="Gallium arsenide (GaAs) wafers, 6 inch", hs_code=hs)
    raw["documents"][0]["covers_hs"] = [hs]
    flags = {f.red_flag for f in evaluate(ruleset, Shipment.model_validate(raw)).findings}
    assert ("DEC-HS-MISMATCH" in flags) is mismatch
