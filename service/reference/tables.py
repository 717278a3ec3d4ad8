"""Reference tables built from the `table` lists, and the derivation of facts from a shipment.

This is the normalisation step of the data path: countries and HS codes are rewritten to
canonical form (each rewrite recorded), and every fact a rule may name is computed once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, overload

from ..models import MASS_UNITS, Document, Good, Normalisation, Party, Shipment
from ..models.construct import construct
from .countries import to_alpha2
from .facts import Facts, GoodFacts, PartyFacts
from .hs import canonical_hs, hs_digits
from .items import ControlledItem, ItemCatalogue
from .parties import PartyMatch, PartyMatcher
from .prices import PriceBook

TABLES = ("controlled_items", "restricted_parties", "reference_prices", "fx_rates")
LICENCE = "dual_use_export_licence"


@dataclass(frozen=True)
class ReferenceTables:
    """The tables, with their string lookups memoised: screening traffic repeats the same
    descriptions and party names, and these lookups are pure functions of their text."""

    items: ItemCatalogue
    parties: PartyMatcher
    prices: PriceBook
    named: Callable[[str], ControlledItem | None] = field(init=False, repr=False)
    party_match: Callable[[str, str], PartyMatch | None] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "named", lru_cache(maxsize=8192)(self.items.named))
        object.__setattr__(self, "party_match", lru_cache(maxsize=8192)(self.parties.match))

    @classmethod
    def from_lists(cls, entries: Mapping[str, Sequence[Mapping[str, Any]]]) -> ReferenceTables:
        """Build from list entries by list name; `ValueError("<list>: message")` on bad data."""
        built: dict[str, Any] = {}
        for name, build in (
            ("controlled_items", lambda: ItemCatalogue.from_entries(entries["controlled_items"])),
            ("restricted_parties",
             lambda: PartyMatcher.from_entries(entries.get("restricted_parties", []))),
            ("reference_prices", lambda: PriceBook.from_entries(
                entries.get("reference_prices", []), entries.get("fx_rates", []))),
        ):
            try:
                built[name] = build()
            except KeyError as exc:
                raise ValueError(f"{name}: the list {exc.args[0]} is missing") from exc
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from exc
        return cls(built["controlled_items"], built["restricted_parties"],
                   built["reference_prices"])

    def derive(self, shipment: Shipment, as_of: dt.date) -> tuple[Facts, list[Normalisation]]:
        """The facts for one shipment, and what normalisation rewrote."""
        norm = _Normaliser()
        exporter = norm.party("exporter", shipment.exporter)
        consignee = norm.party("consignee", shipment.consignee)
        end_user = norm.party("end_user", shipment.end_user)
        notify = norm.party("notify_party", shipment.notify_party)
        forwarder = norm.party("forwarder", shipment.forwarder)
        intermediates = [norm.party(f"intermediate_consignees[{i}]", p)
                         for i, p in enumerate(shipment.intermediate_consignees)]
        route = shipment.route
        origin = norm.country("route.origin_country", route.origin_country)
        dest = norm.country("route.destination_country", route.destination_country)
        transit = [norm.country(f"route.transit_countries[{i}]", c)
                   for i, c in enumerate(route.transit_countries)]
        if (origin, dest, transit) != (route.origin_country, route.destination_country,
                                       route.transit_countries):
            route = route.model_copy(update={"origin_country": origin,
                                             "destination_country": dest,
                                             "transit_countries": transit})
        documents = [norm.document(i, d) for i, d in enumerate(shipment.documents)]
        licences = [d for d in documents if d.type == LICENCE]
        fx_missing: list[str] = []
        goods = [self._good(i, norm.good(i, g), licences, as_of, fx_missing)
                 for i, g in enumerate(shipment.goods)]
        roles = [("exporter", "exporter", exporter), ("consignee", "consignee", consignee),
                 ("end_user", "end_user", end_user), ("notify_party", "notify_party", notify),
                 ("forwarder", "forwarder", forwarder)]
        roles += [("intermediate_consignee", f"intermediate_consignees[{i}]", p)
                  for i, p in enumerate(intermediates)]
        parties = [self._party(role, path, p) for role, path, p in roles if p is not None]
        end_user_country = end_user.country if end_user else None
        destinations = [dest] if end_user_country in (None, dest) else [dest, end_user_country]
        facts = Facts(
            reference=shipment.reference, ship_date=shipment.ship_date, as_of=as_of,
            exporter=exporter, consignee=consignee, end_user=end_user, notify_party=notify,
            intermediate_consignees=intermediates, forwarder=forwarder, goods=goods,
            controlled_goods=[g for g in goods if g.controlled], route=route,
            transport_mode=shipment.transport_mode, documents=documents,
            declared_end_use=shipment.declared_end_use, packaging=shipment.packaging,
            parties=parties, restricted_parties=[p for p in parties if p.restricted],
            end_user_country=end_user_country,
            destination_countries=destinations, licences=licences, fx_missing=fx_missing)
        return facts, norm.changes

    def _good(self, index: int, good: Good, licences: list[Document], as_of: dt.date,
              fx_missing: list[str]) -> GoodFacts:
        digits = hs_digits(good.hs_code) or ""
        item = self.named(good.description)
        by_heading = self.items.by_heading(good.hs_code)
        factor = MASS_UNITS.get(good.unit)
        mass = good.quantity * factor if factor is not None else None
        value_usd = None
        if good.value is not None:
            value_usd = self.prices.to_usd(good.value.amount, good.value.currency)
            if value_usd is None and good.value.currency not in fx_missing:
                fx_missing.append(good.value.currency)
        floor = None
        if item is not None:
            floor = self.prices.floor_usd_per_kg(item.id) or self.prices.floor_usd_per_kg(
                item.group)
        covering = [d for d in licences if _covers(d, digits)]
        return GoodFacts(
            index=index, path=f"goods[{index}]", description=good.description,
            hs_code=good.hs_code, heading=digits[:6], quantity=good.quantity, unit=good.unit,
            value=good.value, origin_country=good.origin_country, mass_kg=mass,
            value_usd=value_usd,
            unit_value_usd=value_usd / mass if value_usd is not None and mass else None,
            price_floor_usd=floor,
            item=item.id if item else None, item_name=item.name if item else None,
            group=item.group if item else None,
            announcement=item.announcement if item else None,
            effective_from=item.effective_from if item else None,
            controlled=item is not None and item.in_force(as_of),
            regime_unverified=item is not None and item.unverified(as_of),
            heading_items=[i.id for i in by_heading],
            heading_groups=sorted({i.group for i in by_heading}),
            controlled_heading=bool(by_heading),
            hs_matches_item=(digits[:6] in item.headings) if item else None,
            licence_covered=bool(covering),
            licence_valid=any(d.valid_until is None or d.valid_until >= as_of
                              for d in covering))

    def _party(self, role: str, path: str, party: Party) -> PartyFacts:
        match = self.party_match(party.name, party.country)
        return PartyFacts(
            role=role, path=path, name=party.name, country=party.country, kind=party.kind,
            restricted=match is not None,
            restricted_list=match.list_name if match else None,
            restricted_name=match.name if match else None,
            match_alias=match.alias if match else None,
            match_score=match.score if match else None)


def _covers(licence: Document, digits: str) -> bool:
    """A licence covers a good when one HS code is a prefix of the other (or none are named)."""
    if not licence.covers_hs:
        return True
    for code in licence.covers_hs:
        ld = hs_digits(code) or ""
        if ld and (digits.startswith(ld) or ld.startswith(digits)):
            return True
    return False


class _Normaliser:
    """Rewrites countries and HS codes to canonical form, recording each change."""

    def __init__(self) -> None:
        self.changes: list[Normalisation] = []

    def country(self, path: str, value: str) -> str:
        code = to_alpha2(value) or value
        if code != value:
            self.changes.append(construct(Normalisation, path=path, from_=value, to=code))
        return code

    def hs(self, path: str, value: str) -> str:
        code = canonical_hs(value) or value
        if code != value:
            self.changes.append(construct(Normalisation, path=path, from_=value, to=code))
        return code

    @overload
    def party(self, path: str, party: Party) -> Party: ...
    @overload
    def party(self, path: str, party: None) -> None: ...
    @overload
    def party(self, path: str, party: Party | None) -> Party | None: ...

    def party(self, path: str, party: Party | None) -> Party | None:
        if party is None:
            return None
        code = self.country(f"{path}.country", party.country)
        return party if code == party.country else party.model_copy(update={"country": code})

    def good(self, i: int, good: Good) -> Good:
        update: dict[str, Any] = {}
        hs = self.hs(f"goods[{i}].hs_code", good.hs_code)
        if hs != good.hs_code:
            update["hs_code"] = hs
        if good.origin_country is not None:
            origin = self.country(f"goods[{i}].origin_country", good.origin_country)
            if origin != good.origin_country:
                update["origin_country"] = origin
        return good.model_copy(update=update) if update else good

    def document(self, i: int, doc: Document) -> Document:
        update: dict[str, Any] = {}
        covers = [self.hs(f"documents[{i}].covers_hs[{j}]", c)
                  for j, c in enumerate(doc.covers_hs)]
        if covers != doc.covers_hs:
            update["covers_hs"] = covers
        if doc.destination_country is not None:
            dest = self.country(f"documents[{i}].destination_country", doc.destination_country)
            if dest != doc.destination_country:
                update["destination_country"] = dest
        return doc.model_copy(update=update) if update else doc
