"""Reference prices and exchange rates from the real rules/lists tables."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from service.reference.items import ItemCatalogue
from service.reference.prices import DEFAULT_FLOOR_FRACTION, PriceBook

LISTS = Path(__file__).resolve().parents[1] / "rules" / "lists"


def _entries(name: str) -> list[dict[str, Any]]:
    data = yaml.safe_load((LISTS / f"{name}.yaml").read_text("utf-8"))
    entries: list[dict[str, Any]] = data["entries"]
    return entries


@pytest.fixture(scope="module")
def book() -> PriceBook:
    return PriceBook.from_entries(_entries("reference_prices"), _entries("fx_rates"))


@pytest.fixture(scope="module")
def catalogue() -> ItemCatalogue:
    return ItemCatalogue.from_entries(_entries("controlled_items"))


def test_usd_is_identity(book: PriceBook) -> None:
    assert book.to_usd(1234.5, "USD") == 1234.5
    assert book.to_usd(10, "usd") == 10


def test_conversion(book: PriceBook) -> None:
    cny = book.to_usd(715.26, "CNY")
    assert cny is not None
    assert cny == pytest.approx(100, rel=1e-4)  # the latest rate: 100 USD = 715.26 CNY
    assert book.to_usd(100, "cny") == pytest.approx(cny / 7.1526)
    assert book.to_usd(100, "EUR") == pytest.approx(116.26, rel=1e-3)
    assert book.to_usd(1_000_000, "JPY") == pytest.approx(6729.6, rel=1e-3)
    assert book.to_usd(3.6725, "AED") == pytest.approx(1.0, abs=0.01)  # the dirham's peg
    assert book.to_usd(7.8, "HKD") == pytest.approx(1.0, abs=0.01)  # the HKD band
    for currency in ("CNY", "EUR", "JPY", "HKD", "SGD", "MYR", "AED", "GBP", "KRW"):
        assert book.to_usd(1, currency) is not None, currency


def test_unknown_currency_has_no_rate(book: PriceBook) -> None:
    assert book.to_usd(100, "XYZ") is None
    assert book.to_usd(100, "RUB") is None
    assert "RUB" not in book.currencies() and "USD" in book.currencies()


def test_dated_rates(book: PriceBook) -> None:
    early = book.rate("EUR", date(2025, 3, 1))
    late = book.rate("EUR", date(2025, 8, 1))
    assert early is not None and early.date == date(2025, 2, 25)
    assert late is not None and late.date == date(2025, 7, 16)
    before_all = book.rate("EUR", date(2020, 1, 1))
    assert before_all is not None and before_all.date == date(2025, 2, 25)
    assert book.to_usd(100, "EUR", date(2025, 3, 1)) == pytest.approx(105.01, rel=1e-3)
    assert early.source.startswith("China Foreign Exchange Trade System")


# (item id, unit value in USD/kg) of the labelled dev shipments
CLEAN = [
    ("gallium-metal", 805.3),
    ("gallium-metal", 1169.7),
    ("germanium-dioxide", 2035.6),
    ("graphite-spherical", 4.0),
    ("graphite-natural-flake", 0.45),  # flake fines at their October 2024 low
    ("ndfeb-tb-dy-magnet", 95.7),
    ("tungsten-oxide", 72.9),
    ("antimony-metal", 63.4),
    ("dysprosium-oxide", 499.9),
]
UNDERVALUED = [("gallium-metal", 16.5), ("ndfeb-tb-dy-magnet", 2.6),
               ("graphite-natural-flake", 0.05)]


@pytest.mark.parametrize(("item_id", "unit_value"), CLEAN)
def test_clean_examples_stay_clear(book: PriceBook, item_id: str, unit_value: float) -> None:
    floor = book.floor_usd_per_kg(item_id)
    assert floor is None or unit_value >= floor


@pytest.mark.parametrize(("item_id", "unit_value"), UNDERVALUED)
def test_undervalued_examples_flag(book: PriceBook, item_id: str, unit_value: float) -> None:
    floor = book.floor_usd_per_kg(item_id)
    assert floor is not None and unit_value < floor


def test_floor_is_a_fifth(book: PriceBook) -> None:
    gallium = book.reference("gallium-metal")
    assert gallium is not None
    assert gallium.floor_fraction == DEFAULT_FLOOR_FRACTION == 0.2
    assert book.floor_usd_per_kg("gallium-metal") == pytest.approx(gallium.usd_per_kg * 0.2)
    assert gallium.date == date(2023, 12, 15)
    assert "fastmarkets" in gallium.source


def test_unpriced_items_have_no_floor(book: PriceBook) -> None:
    assert book.floor_usd_per_kg("germanium-dioxide") is None  # no verified price found
    assert book.floor_usd_per_kg("cotton") is None
    assert book.reference("gallium-nitride") is None  # no verified price for gallium compounds


def test_rare_earth_metals_use_their_oxides_floor(book: PriceBook) -> None:
    for metal, oxide in (("terbium-metal", "terbium-oxide"),
                         ("dysprosium-metal", "dysprosium-oxide")):
        assert book.reference(metal) is book.reference(oxide) is not None


def test_samarium_cobalt_magnets_use_the_ndfeb_floor_as_a_lower_bound(book: PriceBook) -> None:
    smco = book.reference("samarium-cobalt-magnet")
    assert smco is not None and smco is book.reference("ndfeb-tb-dy-magnet")
    assert "gauder.net" in smco.source


def test_prices_apply_to_known_items(book: PriceBook, catalogue: ItemCatalogue) -> None:
    known = {i.id for i in catalogue} | catalogue.groups()
    for entry in _entries("reference_prices"):
        assert set(entry["applies_to"]) <= known, entry["id"]
        assert entry["floor_fraction"] == 0.2
        assert isinstance(entry["date"], date)
        assert "http" in entry["source"]


def test_rates_are_sourced() -> None:
    for entry in _entries("fx_rates"):
        assert isinstance(entry["date"], date)
        assert "http" in entry["source"] and entry["quote"]
        assert entry["usd_per_unit"] > 0


@pytest.mark.parametrize(
    ("prices", "rates", "message"),
    [
        (
            [{"id": "x", "name": "x", "usd_per_kg": -1, "date": "2025-01-01", "source": "s"}],
            [],
            "usd_per_kg",
        ),
        ([{"id": "x", "name": "x", "usd_per_kg": 1, "date": "later", "source": "s"}], [], "date"),
        (
            [
                {
                    "id": "x",
                    "name": "x",
                    "usd_per_kg": 1,
                    "date": "2025-01-01",
                    "source": "s",
                    "floor_fraction": 1.5,
                }
            ],
            [],
            "floor_fraction",
        ),
        (
            [],
            [{"currency": "EURO", "usd_per_unit": 1.1, "date": "2025-01-01", "source": "s"}],
            "currency",
        ),
        (
            [],
            [{"currency": "EUR", "usd_per_unit": 0, "date": "2025-01-01", "source": "s"}],
            "usd_per_unit",
        ),
    ],
)
def test_bad_entries(
    prices: list[dict[str, Any]], rates: list[dict[str, Any]], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        PriceBook.from_entries(prices, rates)


def test_two_prices_for_one_item_rejected() -> None:
    entry = {
        "id": "a",
        "applies_to": ["gallium-metal"],
        "name": "n",
        "usd_per_kg": 1,
        "date": "2025-01-01",
        "source": "s",
    }
    with pytest.raises(ValueError, match="two prices"):
        PriceBook.from_entries([entry, {**entry, "id": "b"}], [])
