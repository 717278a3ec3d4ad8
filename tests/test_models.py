"""The Shipment contract: what is accepted, normalised later, and rejected with its path."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from service.inputs import field_path
from service.models import Shipment

from .conftest import example


def problems(raw: dict[str, Any]) -> list[str]:
    try:
        Shipment.model_validate(raw)
    except ValidationError as exc:
        return [field_path(tuple(e["loc"])) for e in exc.errors()]
    return []


@pytest.mark.parametrize(("path", "value"), [
    (("route", "transit_countries"), ["Hongkong", "马来西亚", "UAE", "SGP", "Viet Nam"]),
    (("goods", 0, "hs_code"), "811292"),
    (("goods", 0, "hs_code"), "8112 92"),
    (("goods", 0, "hs_code"), "8112.92.10"),
    (("consignee", "country"), "Deutschland"),
])
def test_accepted_spellings(path: tuple[Any, ...], value: Any) -> None:
    raw = example()
    target: Any = raw
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    assert problems(raw) == []


@pytest.mark.parametrize(("change", "where"), [
    (lambda r: r.update(transport="sea"), "transport"),
    (lambda r: r["goods"][0].update(quantity=-1), "goods[0].quantity"),
    (lambda r: r["goods"][0]["value"].update(currency="XYZ"), "goods[0].value.currency"),
    (lambda r: r.update(ship_date=0), "ship_date"),
    (lambda r: r.update(ship_date="2025-02-30"), "ship_date"),
    (lambda r: r.update(reference="PO\x00-1"), "reference"),
    (lambda r: r["route"].update(destination_country="Atlantis"), "route.destination_country"),
    (lambda r: r.update(goods=[]), "goods"),
    (lambda r: r.update(transport_mode="pigeon"), "transport_mode"),
    (lambda r: r["documents"][0].update(type="licence"), "documents[0].type"),
])
def test_rejected_with_the_field_path(change: Any, where: str) -> None:
    raw = example()
    change(raw)
    assert where in problems(raw)
