"""The facts rules see: the normalised shipment plus fields derived from the reference lists.

Rule paths name these attributes (`goods`, `controlled_goods`, `end_user_country`, ...);
`service.engine.fields` reads their annotations, so adding a field here makes it
available to rules, checked at load time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..models import Document, Evidence, Money, Party, Route
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
    item: str | None
    item_name: str | None
    group: str | None
    announcement: str | None
    effective_from: dt.date | None
    controlled: bool
    regime_unverified: bool
    heading_items: list[str]
    heading_groups: list[str]
    controlled_heading: bool
    hs_matches_item: bool | None
    licence_covered: bool
    licence_valid: bool

    def evidence(self) -> Evidence:
        """How this line shows in a finding's evidence."""
        why = (f"names {self.item_name} ({self.announcement})" if self.item_name
               else f"declared under HS {self.hs_code}")
        return construct(Evidence, path=f"{self.path}.description", value=self.description,
                                        why=why)


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

    def evidence(self) -> Evidence:
        why = (f"matches {self.restricted_name!r} on the {self.restricted_list} "
               f"(alias {self.match_alias!r}, score {self.match_score})" if self.restricted
               else f"{self.role}, {self.kind}, {self.country}")
        return construct(Evidence, path=f"{self.path}.name", value=self.name, why=why)


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
    documents: list[Document]
    declared_end_use: str | None
    packaging: str | None
    parties: list[PartyFacts]
    restricted_parties: list[PartyFacts]
    end_user_country: str | None
    destination_countries: list[str]
    licences: list[Document]
    fx_missing: list[str]
