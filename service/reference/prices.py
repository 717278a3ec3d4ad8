"""Reference prices and exchange rates for DEC-UNDERVALUED.

A good is undervalued when its declared unit value in USD/kg is below the floor of its item:
`usd_per_kg x floor_fraction` of the reference price (a fifth by default, so market swings and
cheaper domestic prices stay clear). Amounts in other currencies convert with dated rates; a
currency without a rate gives None and the caller skips the check.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from .entries import Where, iso_date

__all__ = ["DEFAULT_FLOOR_FRACTION", "PRICE_FIELDS", "RATE_FIELDS", "FxRate", "PriceBook",
           "ReferencePrice"]

DEFAULT_FLOOR_FRACTION = 0.2
# The fields of a reference_prices and of an fx_rates entry (`basis`, `range_usd_per_kg`,
# `quote` and `derivation` record how the figure was read, for readers).
PRICE_FIELDS = frozenset(("id", "applies_to", "name", "usd_per_kg", "floor_fraction", "date",
                          "basis", "range_usd_per_kg", "source"))
RATE_FIELDS = frozenset(("currency", "usd_per_unit", "date", "quote", "derivation", "source"))


@dataclass(frozen=True, slots=True)
class ReferencePrice:
    """One sourced reference price, for the floor and for explaining a finding."""

    id: str
    applies_to: tuple[str, ...]
    name: str
    usd_per_kg: float
    floor_fraction: float
    date: date
    source: str

    @property
    def floor_usd_per_kg(self) -> float:
        """The unit value below which a declaration is flagged."""
        return self.usd_per_kg * self.floor_fraction


@dataclass(frozen=True, slots=True)
class FxRate:
    """USD per one unit of a currency on a date, with where it comes from."""

    currency: str
    usd_per_unit: float
    date: date
    source: str


class PriceBook:
    """Reference prices by item id or group, and dated USD conversion rates."""

    __slots__ = ("_dates", "_prices", "_rates")

    def __init__(self, prices: Sequence[ReferencePrice], rates: Sequence[FxRate]) -> None:
        self._prices: dict[str, ReferencePrice] = {}
        for price in prices:
            for key in price.applies_to:
                if key in self._prices:
                    raise ValueError(f"reference_prices: {key!r} has two prices")
                self._prices[key] = price
        by_currency: dict[str, list[FxRate]] = {}
        for rate in rates:
            by_currency.setdefault(rate.currency, []).append(rate)
        self._rates = {c: sorted(rs, key=lambda r: r.date) for c, rs in by_currency.items()}
        self._dates = {c: [r.date for r in rs] for c, rs in self._rates.items()}

    @classmethod
    def from_entries(
        cls, price_entries: Sequence[Mapping[str, Any]], fx_entries: Sequence[Mapping[str, Any]]
    ) -> PriceBook:
        """Build from reference_prices and fx_rates entries; ValueError names entry and field."""
        prices = [_price(i, e) for i, e in enumerate(price_entries)]
        rates = [_rate(i, e) for i, e in enumerate(fx_entries)]
        return cls(prices, rates)

    def reference(self, item_or_group: str) -> ReferencePrice | None:
        """The reference price recorded for this item id or group, for explanations."""
        return self._prices.get(item_or_group)

    def floor_usd_per_kg(self, item_or_group: str) -> float | None:
        """The undervaluation floor for this item id or group; None when no price is recorded."""
        price = self._prices.get(item_or_group)
        return price.floor_usd_per_kg if price else None

    def rate(self, currency: str, on: date | None = None) -> FxRate | None:
        """The rate in force on `on` (the latest dated on or before it, else the earliest);
        the latest rate when `on` is None; None for an unknown currency."""
        code = currency.strip().upper()
        rates = self._rates.get(code)
        if not rates:
            return None
        if on is None:
            return rates[-1]
        index = bisect_right(self._dates[code], on)
        return rates[index - 1] if index else rates[0]

    def to_usd(self, amount: float, currency: str, on: date | None = None) -> float | None:
        """`amount` in USD; None when the currency has no rate."""
        if currency.strip().upper() == "USD":
            return float(amount)
        rate = self.rate(currency, on)
        return amount * rate.usd_per_unit if rate else None

    def currencies(self) -> frozenset[str]:
        """Currencies with a rate (USD is always convertible)."""
        return frozenset(self._rates) | {"USD"}


def _date(value: Any, where: Where) -> date:
    found = iso_date(value)
    if found is None:
        raise where.error("date", "must be a date (YYYY-MM-DD)")
    return found


def _text(entry: Mapping[str, Any], field: str, where: Where) -> str:
    value = entry.get(field)
    if not isinstance(value, str) or not value.strip():
        raise where.error(field, "must be a non-empty string")
    return value.strip()


def _positive(
    entry: Mapping[str, Any], field: str, where: Where, default: float | None = None
) -> float:
    value = entry.get(field, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise where.error(field, "must be a positive number")
    return float(value)


def _price(index: int, entry: Mapping[str, Any]) -> ReferencePrice:
    where = Where("reference_prices", index)
    if not isinstance(entry, Mapping):
        raise where.error(None, "must be a mapping")
    ident = _text(entry, "id", where)
    where = where.named(ident)
    applies = entry.get("applies_to", [ident])
    if not isinstance(applies, list) or not applies or not all(isinstance(a, str) for a in applies):
        raise where.error("applies_to", "must be a list of item ids or groups")
    fraction = _positive(entry, "floor_fraction", where, DEFAULT_FLOOR_FRACTION)
    if fraction >= 1:
        raise where.error("floor_fraction", "must be below 1")
    return ReferencePrice(
        id=ident,
        applies_to=tuple(a.strip() for a in applies),
        name=_text(entry, "name", where),
        usd_per_kg=_positive(entry, "usd_per_kg", where),
        floor_fraction=fraction,
        date=_date(entry.get("date"), where),
        source=_text(entry, "source", where),
    )


def _rate(index: int, entry: Mapping[str, Any]) -> FxRate:
    where = Where("fx_rates", index)
    if not isinstance(entry, Mapping):
        raise where.error(None, "must be a mapping")
    currency = _text(entry, "currency", where).upper()
    if len(currency) != 3 or not currency.isalpha():
        raise where.error("currency", "must be an ISO 4217 code")
    where = where.named(currency)
    return FxRate(
        currency=currency,
        usd_per_unit=_positive(entry, "usd_per_unit", where),
        date=_date(entry.get("date"), where),
        source=_text(entry, "source", where),
    )
