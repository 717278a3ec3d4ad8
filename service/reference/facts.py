"""The facts rules see: the normalised shipment plus fields derived from the reference lists.

Rule paths name these attributes (`goods`, `controlled_goods`, `end_user_country`, ...);
`service.engine.fields` reads their annotations, so adding a field here makes it
available to rules, checked at load time.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import ClassVar

from ..models import Evidence, Money, Party, Route
from ..models.construct import construct


@dataclass(slots=True)
class GoodFacts:
    """One line of goods, as submitted and as understood."""

    index: int
    path: str
    description: str
    hs_code: str
    heading: str
    quantity: float
    unit: str
    value: Money | None
    origin_country: str | None
    mass_kg: float | None
    value_usd: float | None
    unit_value_usd: float | None
    price_floor_usd: float | None
    undervalued: bool
    item: str | None
    item_name: str | None
    group: str | None
    announcement: str | None
    effective_from: dt.date | None
    controlled: bool
    regime_unverified: bool
    named_item: str | None
    heading_items: list[str]
    heading_groups: list[str]
    controlled_heading: bool
    hs_matches_item: bool | None
    licence_covered: bool
    licence_valid: bool
    # `evidence()`, made once: a line's facts are memoised and shared between screenings
    _shown: Evidence | None = field(default=None, init=False, repr=False, compare=False)

    # Derived fields, and the submitted field of the line each is read from ("": the line).
    SUBMITTED: ClassVar[dict[str, str]] = {
        **dict.fromkeys(("item", "item_name", "group", "announcement", "effective_from",
                         "controlled", "regime_unverified", "named_item"), "description"),
        **dict.fromkeys(("heading", "heading_items", "heading_groups", "controlled_heading",
                         "hs_matches_item"), "hs_code"),
        "mass_kg": "quantity",
        **dict.fromkeys(("value_usd", "unit_value_usd", "price_floor_usd", "undervalued"),
                        "value"),
        **dict.fromkeys(("licence_covered", "licence_valid"), ""),
    }

    def evidence(self) -> Evidence:
        """How this line shows in a finding's evidence."""
        if self._shown is None:
            why = (f"names {self.item_name} ({self.announcement})" if self.item_name
                   else f"declared under HS {self.hs_code}")
            self._shown = construct(Evidence, path=f"{self.path}.description",
                                    value=self.description, why=why)
        return self._shown


@dataclass(slots=True)
class PartyFacts:
    """A party in any role, with its restricted-list match if any."""

    role: str
    path: str
    name: str
    country: str
    kind: str
    restricted: bool
    restricted_list: str | None
    restricted_name: str | None
    match_alias: str | None
    match_score: float | None
    restricted_military: bool
    # The submitted field holding the name: a document's parties are named by `issued_to`,
    # `issued_by` or `end_user`.
    name_field: str = "name"
    _shown: Evidence | None = field(default=None, init=False, repr=False, compare=False)

    SUBMITTED: ClassVar[dict[str, str]] = {
        "role": "",
        **dict.fromkeys(("restricted", "restricted_list", "restricted_name", "match_alias",
                         "match_score", "restricted_military"), "name"),
    }

    def evidence(self) -> Evidence:
        """How this party shows in a finding's evidence (made once, as a line's is)."""
        if self._shown is None:
            why = (f"matches {self.restricted_name!r} on the {self.restricted_list} "
                   f"(alias {self.match_alias!r}, score {self.match_score})" if self.restricted
                   else f"{self.role}, {self.kind}, {self.country}")
            self._shown = construct(Evidence, path=f"{self.path}.{self.name_field}",
                                    value=self.name, why=why)
        return self._shown


@dataclass(slots=True)
class DocumentFacts:
    """A submitted document, with how it compares with the declaration where it states
    quantities, HS codes, a destination or the party it is made out to."""

    index: int
    path: str
    type: str
    number: str | None
    issued_by: str | None
    issued_to: str | None
    end_user: str | None
    issued_on: dt.date | None
    valid_until: dt.date | None
    covers_hs: list[str]
    quantity: float | None
    unit: str | None
    destination_country: str | None
    declared_quantity: float | None
    quantity_mismatch: bool
    hs_mismatch: bool
    destination_mismatch: bool
    buyer_mismatch: bool
    seller_mismatch: bool
    discrepancy: str | None

    SUBMITTED: ClassVar[dict[str, str]] = {
        "declared_quantity": "quantity", "quantity_mismatch": "quantity",
        "hs_mismatch": "covers_hs", "destination_mismatch": "destination_country",
        "buyer_mismatch": "issued_to", "seller_mismatch": "issued_by", "discrepancy": "",
    }

    def evidence(self) -> Evidence:
        why = self.discrepancy or f"{self.type.replace('_', ' ')} {self.number or ''}".strip()
        return construct(Evidence, path=self.path, value=self.number or self.type, why=why)


@dataclass(slots=True)
class Facts:
    """The root of every rule path."""

    reference: str
    ship_date: dt.date
    as_of: dt.date
    exporter: Party
    consignee: Party
    end_user: Party | None
    notify_party: Party | None
    intermediate_consignees: list[Party]
    forwarder: Party | None
    goods: list[GoodFacts]
    controlled_goods: list[GoodFacts]
    route: Route
    transport_mode: str
    documents: list[DocumentFacts]
    declared_end_use: str | None
    packaging: str | None
    packaging_label: str | None  # what the packaging says is written on the packages
    packaging_label_item: str | None  # the controlled item the label names, if it names one
    packaging_among: str | None  # the other goods the packaging says they travel among
    packaging_carriage: str | None  # the packaging without what it says of the papers' travel
    parties: list[PartyFacts]
    restricted_parties: list[PartyFacts]
    end_user_country: str | None
    destination_countries: list[str]
    licences: list[DocumentFacts]
    inconsistent_documents: list[DocumentFacts]
    misdeclared_goods: list[GoodFacts]
    undervalued_goods: list[GoodFacts]
    unlicensed_goods: list[GoodFacts]
    uncertified_goods: list[GoodFacts]  # controlled lines no end-user paper speaks of
    expired_licence_goods: list[GoodFacts]
    unverified_goods: list[GoodFacts]
    foreign_currencies: list[str]
    fx_missing: list[str]


# Root facts derived from submitted fields, and where they stand in the submitted shipment
# (one place per position for a derived list: `destination_countries` is the route's
# destination, then the end user's country where it differs). An item of a derived list of
# lines or documents shows as itself (its own `path`); the list as a whole, as the list it
# is drawn from.
SOURCES: dict[str, tuple[str, ...]] = {
    "end_user_country": ("end_user.country",),
    "packaging_label": ("packaging",),
    "packaging_label_item": ("packaging",),
    "packaging_among": ("packaging",),
    "packaging_carriage": ("packaging",),
    "destination_countries": ("route.destination_country", "end_user.country"),
    "foreign_currencies": ("goods",),
    "fx_missing": ("goods",),
    **{name: ("goods",) for name in (
        "controlled_goods", "misdeclared_goods", "undervalued_goods", "unlicensed_goods",
        "uncertified_goods", "expired_licence_goods", "unverified_goods")},
    "licences": ("documents",),
    "inconsistent_documents": ("documents",),
}
_DERIVED = tuple(SOURCES)
_ROOT = re.compile(r"^([A-Za-z_]+)(?:\[(\d+)\])?(.*)$")
# The facts of an item, by the submitted field it stands for.
_ITEMS: dict[str, type[GoodFacts] | type[PartyFacts] | type[DocumentFacts]] = {
    "goods": GoodFacts, "documents": DocumentFacts,
    **dict.fromkeys(("exporter", "consignee", "end_user", "notify_party", "forwarder",
                     "intermediate_consignees"), PartyFacts),
}
_ITEM_FIELDS = frozenset(f for kind in (GoodFacts, PartyFacts, DocumentFacts)
                         for f in kind.SUBMITTED)
_ITEM = re.compile(r"^(([A-Za-z_]+)(?:\[\d+\])?)\.([A-Za-z_]+)$")


@lru_cache(maxsize=4096)
def submitted_path(path: str) -> str:
    """The path in the submitted shipment of a fact's path: `destination_countries[1]` is
    `end_user.country`, `goods[0].controlled_heading` is `goods[0].hs_code`; other paths are
    already there."""
    if path.startswith(_DERIVED):
        match = _ROOT.match(path)
        sources = SOURCES.get(match.group(1)) if match else None
        if match is not None and sources is not None:
            index = int(match.group(2) or 0)
            path = sources[min(index, len(sources) - 1)] + match.group(3)
    if path.rpartition(".")[2] in _ITEM_FIELDS:  # most evidence is of submitted fields
        match = _ITEM.match(path)
        kind = _ITEMS.get(match.group(2)) if match else None
        if match is not None and kind is not None and match.group(3) in kind.SUBMITTED:
            field = kind.SUBMITTED[match.group(3)]
            return f"{match.group(1)}.{field}" if field else match.group(1)
    return path
