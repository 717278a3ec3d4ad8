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

from ..models import MASS_UNITS, Document, Good, Money, Normalisation, Party, Route, Shipment
from ..models.construct import construct, replace
from .countries import ALPHA2, to_alpha2
from .entries import EntryError
from .facts import DocumentFacts, Facts, GoodFacts, PartyFacts
from .hs import canonical_hs, hs_digits, subdivided
from .items import ITEM_FIELDS, ControlledItem, ItemCatalogue
from .parties import PARTY_FIELDS, PartyMatch, PartyMatcher, same_party
from .prices import PRICE_FIELDS, RATE_FIELDS, PriceBook
from .text import among_text, carriage_text, label_text

# What a licence says that decides whether it covers a line: its HS codes, valid until,
# issued on.
LicenceTerms = tuple[tuple[str, ...], dt.date | None, dt.date | None]
# The lists read by code rather than as `@name`, with the fields their entries may have.
TABLE_FIELDS: Mapping[str, frozenset[str]] = {
    "controlled_items": ITEM_FIELDS, "restricted_parties": PARTY_FIELDS,
    "reference_prices": PRICE_FIELDS, "fx_rates": RATE_FIELDS,
    "finished_articles": frozenset(("term", "reason", "source"))}
TABLES = tuple(TABLE_FIELDS)
LICENCE = "dual_use_export_licence"
# Documents that record this consignment: their quantity must equal the declared one.
TRANSACTIONAL = frozenset({"commercial_invoice", "packing_list", "bill_of_lading", "air_waybill",
                           "customs_declaration", "certificate_of_origin"})
TRANSPORT = frozenset({"bill_of_lading", "air_waybill"})
# Documents that authorise or agree a quantity: the consignment must not exceed it.
CEILING = frozenset({LICENCE, "end_user_certificate", "end_use_statement", "contract"})
# Documents made out to the buyer: the consignee, the end user or the notify party.
MADE_OUT_TO_BUYER = frozenset({"commercial_invoice", "packing_list", "bill_of_lading",
                               "air_waybill", "contract"})
# Documents the seller issues: the exporter.
ISSUED_BY_SELLER = frozenset({"commercial_invoice", "packing_list"})
# The end user's papers: either stands for the other, line by line.
END_USER_PAPERS = frozenset({"end_user_certificate", "end_use_statement"})
# Gross and net weights, rounding: a document within 2 % of the declaration agrees with it.
QUANTITY_TOLERANCE = 0.02


@dataclass(frozen=True)
class ReferenceTables:
    """The tables, with their string lookups memoised: screening traffic repeats the same
    descriptions and party names, and these lookups are pure functions of their text."""

    items: ItemCatalogue
    parties: PartyMatcher
    prices: PriceBook
    named: Callable[[str, str], ControlledItem | None] = field(init=False, repr=False)
    mentioned: Callable[[str], ControlledItem | None] = field(init=False, repr=False)
    party_match: Callable[[str, str], PartyMatch | None] = field(init=False, repr=False)
    party_facts: Callable[..., PartyFacts] = field(init=False, repr=False)
    _good_facts: Callable[..., GoodFacts] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "named", lru_cache(maxsize=8192)(self.items.named))
        object.__setattr__(self, "mentioned", lru_cache(maxsize=8192)(self.items.mentioned))
        object.__setattr__(self, "party_match", lru_cache(maxsize=8192)(self.parties.match))
        # Facts for a party or a line of goods depend only on these immutable arguments.
        object.__setattr__(self, "party_facts", lru_cache(maxsize=8192)(self._party))
        object.__setattr__(self, "_good_facts", lru_cache(maxsize=8192)(self._good))

    def good_facts(self, index: int, good: Good, licences: tuple[LicenceTerms, ...],
                   as_of: dt.date) -> GoodFacts:
        """The facts of one line of goods, memoised on its fields (plain values hash far
        faster than the models), the licences and the date."""
        money = good.value
        return self._good_facts(index, good.description, good.hs_code, good.quantity,
                                good.unit, money.amount if money else None,
                                money.currency if money else None, good.origin_country,
                                licences, as_of)

    @classmethod
    def from_lists(cls, entries: Mapping[str, Sequence[Mapping[str, Any]]]) -> ReferenceTables:
        """Build from list entries by list name; `EntryError` for a bad entry,
        `ValueError("<list>: message")` for other bad data."""
        built: dict[str, Any] = {}
        for name, build in (
            ("controlled_items", lambda: ItemCatalogue.from_entries(
                entries["controlled_items"], entries.get("finished_articles", []))),
            ("restricted_parties",
             lambda: PartyMatcher.from_entries(entries.get("restricted_parties", []))),
            ("reference_prices", lambda: PriceBook.from_entries(
                entries.get("reference_prices", []), entries.get("fx_rates", []))),
        ):
            try:
                built[name] = build()
            except KeyError as exc:
                raise ValueError(f"{name}: the list {exc.args[0]} is missing") from exc
            except EntryError:
                raise
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
        route = norm.route(shipment.route)
        raw_documents = [norm.document(i, d) for i, d in enumerate(shipment.documents)]
        licences = tuple((tuple(d.covers_hs), d.valid_until, d.issued_on)
                         for d in raw_documents if d.type == LICENCE)
        goods = [self.good_facts(i, norm.good(i, g), licences, as_of)
                 for i, g in enumerate(shipment.goods)]
        lists = _GoodLists(goods)
        end_user_country = end_user.country if end_user else None
        dest = route.destination_country
        destinations = [dest] if end_user_country in (None, dest) else [dest, end_user_country]
        lines: list[list[GoodFacts]] = []  # the lines each document speaks of
        certified: set[int] = set()  # the lines an end-user paper speaks of
        for d in raw_documents:
            lines.append(spoken := _lines(d, goods))
            if d.type in END_USER_PAPERS:
                certified.update(g.index for g in spoken)
        buyers = tuple(p.name for p in (consignee, end_user, notify, *intermediates)
                       if p is not None)
        documents = [_document(i, d, lines, goods, destinations, route.transit_countries,
                               raw_documents, buyers, exporter.name)
                     for i, d in enumerate(raw_documents)]
        party_facts = self.party_facts
        parties = [party_facts(role, role, p.name, p.country, p.kind) for role, p in (
            ("exporter", exporter), ("consignee", consignee), ("end_user", end_user),
            ("notify_party", notify), ("forwarder", forwarder)) if p is not None]
        parties += [party_facts("intermediate_consignee", f"intermediate_consignees[{i}]",
                                p.name, p.country, p.kind) for i, p in enumerate(intermediates)]
        # The parties the papers name (the buyer on an invoice, the issuer of an end-user
        # certificate) are screened against the lists too, though they have no role of their own.
        listed = self.party_match
        named = [party_facts(f"{role} the {d.type.replace('_', ' ')}", f"documents[{i}]",
                             name, "", "unknown", name_field)
                 for i, d in enumerate(raw_documents)
                 if d.type != LICENCE and (d.issued_to or d.issued_by or d.end_user)
                 for name_field, role, name in (("issued_to", "buyer on", d.issued_to),
                                                ("issued_by", "issuer of", d.issued_by),
                                                ("end_user", "end user on", d.end_user))
                 if name and listed(name, "") is not None]
        packaging = shipment.packaging
        label = label_text(packaging) if packaging else None
        labelled = self.mentioned(label) if label else None
        # Positional, in field order (see `Facts`): 34 keyword arguments cost more to match
        # than the rest of this statement, once per shipment.
        facts = Facts(
            shipment.reference, shipment.ship_date, as_of,
            exporter, consignee, end_user, notify, intermediates, forwarder,
            goods, lists.controlled, route, shipment.transport_mode, documents,
            shipment.declared_end_use, packaging,
            label, labelled.id if labelled else None,  # packaging_label, packaging_label_item
            among_text(packaging) if packaging else None,  # packaging_among
            carriage_text(packaging) if packaging else None,  # packaging_carriage
            parties, [p for p in parties if p.restricted] + named,  # restricted_parties
            end_user_country, destinations,
            [d for d in documents if d.type == LICENCE],  # licences
            [d for d in documents if d.discrepancy is not None],  # inconsistent_documents
            lists.misdeclared, lists.undervalued, lists.unlicensed,
            [g for g in lists.controlled if g.index not in certified],  # uncertified_goods
            lists.expired_licence, lists.unverified, lists.foreign_currencies, lists.fx_missing)
        return facts, norm.changes

    def _heading_fits(self, digits: str, item: ControlledItem) -> bool:
        """The declared code is one of the item's headings; where the announcement's code list
        for the item is not fully recorded (`more_codes`), a heading of its group counts too."""
        if _fits(digits, item.headings):
            return True
        return not item.codes_complete and _fits(digits, self.items.group_headings(item.group))

    def _good(self, index: int, description: str, hs_code: str, quantity: float, unit: str,
              amount: float | None, currency: str | None, origin_country: str | None,
              licences: tuple[LicenceTerms, ...], as_of: dt.date) -> GoodFacts:
        digits = hs_digits(hs_code) or ""
        item = self.named(description, hs_code)
        mentioned = item or self.mentioned(description)
        # the items whose heading this is and which are controlled on the day: a heading is not
        # a controlled one before its first item's control starts
        by_heading = [i for i in self.items.by_heading(hs_code) if i.controlled_on(as_of)]
        factor = MASS_UNITS.get(unit)
        mass = quantity * factor if factor is not None else None
        value_usd = value = None
        if amount is not None and currency is not None:
            value = construct(Money, amount=amount, currency=currency)
            value_usd = self.prices.to_usd(amount, currency, as_of)
        floor = None
        if item is not None:
            floor = self.prices.floor_usd_per_kg(item.id) or self.prices.floor_usd_per_kg(
                item.group)
        covering = [(until, issued) for codes, until, issued in licences
                    if _covers_codes(codes, digits)]
        unit_value = value_usd / mass if value_usd is not None and mass else None
        return GoodFacts(
            index=index, path=f"goods[{index}]", description=description,
            hs_code=hs_code, heading=digits[:6], quantity=quantity, unit=unit,
            value=value, origin_country=origin_country, mass_kg=mass,
            value_usd=value_usd,
            unit_value_usd=unit_value,
            price_floor_usd=floor,
            undervalued=unit_value is not None and floor is not None and unit_value < floor,
            item=item.id if item else None, item_name=item.name if item else None,
            group=item.group if item else None,
            announcement=item.announcement if item else None,
            effective_from=item.effective_from if item else None,
            # Past the verified date the record is not a fact: the good is neither controlled
            # nor clear, it is REG-UNVERIFIED (never a silent guess either way).
            controlled=item is not None and item.controlled_on(as_of),
            regime_unverified=item is not None and item.unverified(as_of),
            named_item=mentioned.id if mentioned else None,
            heading_items=[i.id for i in by_heading],
            heading_groups=sorted({i.group for i in by_heading}),
            controlled_heading=bool(by_heading),
            hs_matches_item=self._heading_fits(digits, item) if item and item.headings else None,
            licence_covered=bool(covering),
            licence_valid=any((until is None or until >= as_of)
                              and (issued is None or issued <= as_of)
                              for until, issued in covering))

    def _party(self, role: str, path: str, name: str, country: str, kind: str,
               name_field: str = "name") -> PartyFacts:
        match = self.party_match(name, country)
        return PartyFacts(
            role=role, path=path, name=name, country=country, kind=kind, name_field=name_field,
            restricted=match is not None,
            restricted_list=match.list_name if match else None,
            restricted_name=match.name if match else None,
            match_alias=match.alias if match else None,
            match_score=match.score if match else None,
            restricted_military=bool(match and match.military_user))


class _GoodLists:
    """The derived lists of goods, in one pass over the lines."""

    __slots__ = ("controlled", "expired_licence", "foreign_currencies", "fx_missing",
                 "misdeclared", "undervalued", "unlicensed", "unverified")

    def __init__(self, goods: list[GoodFacts]) -> None:
        self.controlled: list[GoodFacts] = []
        self.misdeclared: list[GoodFacts] = []
        self.undervalued: list[GoodFacts] = []
        self.unlicensed: list[GoodFacts] = []
        self.expired_licence: list[GoodFacts] = []
        self.unverified: list[GoodFacts] = []
        foreign: set[str] = set()
        missing: dict[str, None] = {}
        for g in goods:
            if g.controlled:
                self.controlled.append(g)
                if g.hs_matches_item is False:
                    self.misdeclared.append(g)
                if g.undervalued:
                    self.undervalued.append(g)
                if not g.licence_covered:
                    self.unlicensed.append(g)
                elif not g.licence_valid:
                    self.expired_licence.append(g)
            if g.regime_unverified:
                self.unverified.append(g)
            if g.value is not None:
                if g.value.currency != "USD":
                    foreign.add(g.value.currency)
                if g.value_usd is None:
                    missing[g.value.currency] = None
        self.foreign_currencies = sorted(foreign)
        self.fx_missing = list(missing)


def _fits(digits: str, headings: frozenset[str]) -> bool:
    """The code is under one of the headings (a 4-digit code: one heading is under it)."""
    if len(digits) >= 6:
        return digits[:6] in headings
    return bool(digits) and any(h.startswith(digits) for h in headings)


def _declared_quantity(doc: Document, lines: list[GoodFacts]) -> float | None:
    """The declared quantity of the lines a document speaks of, in the document's unit (kg for
    mass units); None when they cannot be compared (counts against masses, mixed counts)."""
    if not lines:
        return None
    unit: str | None = doc.unit
    if unit is None:
        units = {g.unit for g in lines}
        if len(units) != 1:
            masses = [g.mass_kg for g in lines]
            return None if any(m is None for m in masses) else sum(m or 0.0 for m in masses)
        unit = units.pop()
    if unit in MASS_UNITS:
        masses = [g.mass_kg for g in lines]
        if any(m is None for m in masses):
            return None
        return sum(m or 0.0 for m in masses) / MASS_UNITS[unit]
    if any(g.unit != unit for g in lines):
        return None
    return sum(g.quantity for g in lines)


def _lines(doc: Document, goods: list[GoodFacts]) -> list[GoodFacts]:
    """The lines a document speaks of: those its HS codes cover, or all when it names none."""
    codes = doc.covers_hs
    if not codes:
        return goods
    return [g for g in goods if _covers_codes(codes, hs_digits(g.hs_code) or "")]


def _document(index: int, doc: Document, all_lines: list[list[GoodFacts]],
              goods: list[GoodFacts], destinations: list[str], transit: list[str],
              all_documents: Sequence[Document], buyers: Sequence[str], seller: str
              ) -> DocumentFacts:
    """A document with its comparison against the declaration (computed once per shipment).

    A document stating HS codes speaks of the lines they cover (`all_lines[index]`); one
    stating none, of all lines. Its codes disagree with the declaration when they cover no
    line, or when a controlled line is covered by no document of its kind: a packing list
    per line of goods covers the shipment as one packing list would (an end-user
    certificate and an end-use statement are of one kind, and a line neither covers is
    DOC-EUC-MISSING). Transactional documents (invoice, packing list, bills, customs
    declaration, certificate of origin) must state the declared quantity; a licence,
    end-user certificate, end-use statement or contract states a ceiling the consignment
    must not exceed. An invoice, packing list, bill, waybill or contract made out to a
    party the shipment does not name (consignee, end user, notify party, an intermediate
    consignee; for a contract, the exporter too) is made out to another buyer; an invoice or
    packing list issued by another firm than the exporter comes from another seller."""
    codes = doc.covers_hs
    if (doc.quantity is None and not codes and doc.destination_country is None
            and doc.issued_to is None and doc.issued_by is None):
        # states nothing to compare (most papers name a type and a number): agrees
        return DocumentFacts(
            index, f"documents[{index}]", doc.type, doc.number, None, None, doc.end_user,
            doc.issued_on, doc.valid_until, codes, None, doc.unit, None, None, False, False,
            False, False, False, None)
    lines = all_lines[index]
    declared = _declared_quantity(doc, lines) if doc.quantity is not None else None
    quantity_mismatch = False
    problems: list[str] = []
    if doc.quantity is not None and declared is not None and doc.type != "other":
        unit = doc.unit or (lines[0].unit if lines else "")
        shown = f"{doc.quantity:g} {unit}".strip()
        if doc.type in CEILING:
            quantity_mismatch = declared > doc.quantity * (1 + QUANTITY_TOLERANCE)
            if quantity_mismatch:
                problems.append(f"covers {shown} but {declared:g} {unit} are declared")
        else:
            larger = max(declared, doc.quantity)
            quantity_mismatch = larger > 0 and abs(declared - doc.quantity) > (
                larger * QUANTITY_TOLERANCE)
            if quantity_mismatch:
                problems.append(f"states {shown} but {declared:g} {unit} are declared")
    hs_mismatch = False
    if codes and doc.type != LICENCE:
        # a licence that does not cover the goods is LIC-INVALID, not an inconsistency
        own = {g.index for g in lines}
        kind = _kind(doc.type)
        # a controlled line no end-user paper speaks of is DOC-EUC-MISSING (uncertified_goods)
        uncovered = [] if kind == "end_user_paper" else [
            g for g in goods if g.controlled and g.index not in own]
        if uncovered:  # rare: only then look at the other documents of its kind
            kin = {g.index for other, spoken_of in zip(all_documents, all_lines, strict=True)
                   if _kind(other.type) == kind and other.covers_hs for g in spoken_of}
            uncovered = [g for g in uncovered if g.index not in kin]
        hs_mismatch = not lines or bool(uncovered)
        if hs_mismatch:
            shown_codes = ", ".join(doc.covers_hs)
            declared_codes = ", ".join(g.hs_code for g in (uncovered or goods))
            problems.append(f"names HS {shown_codes} but the goods are declared under "
                            f"{declared_codes}")
    # a bill of lading or air waybill may name the port where the goods are transhipped
    allowed = destinations + transit if doc.type in TRANSPORT else destinations
    destination_mismatch = (doc.destination_country is not None
                            and doc.destination_country not in allowed)
    if destination_mismatch:
        problems.append(f"names destination {doc.destination_country}, the shipment goes to "
                        f"{', '.join(destinations)}")
    # a contract may be made out to either side of the sale
    parties = (*buyers, seller) if doc.type == "contract" else buyers
    buyer_mismatch = (doc.type in MADE_OUT_TO_BUYER and doc.issued_to is not None
                      and not any(same_party(doc.issued_to, b) for b in parties))
    if buyer_mismatch:
        problems.append(f"is made out to {doc.issued_to}, whom the shipment does not name")
    seller_mismatch = (doc.type in ISSUED_BY_SELLER and doc.issued_by is not None
                       and not same_party(doc.issued_by, seller))
    if seller_mismatch:
        problems.append(f"is issued by {doc.issued_by}, not by the exporter {seller}")
    discrepancy = None
    if problems:
        label = doc.type.replace("_", " ") + (f" {doc.number}" if doc.number else "")
        discrepancy = f"{label} {'; '.join(problems)}"
    # Positional, in field order: twenty keyword arguments cost three times as much to match,
    # and this runs for every document of every shipment.
    return DocumentFacts(
        index, f"documents[{index}]", doc.type, doc.number, doc.issued_by, doc.issued_to,
        doc.end_user, doc.issued_on, doc.valid_until, doc.covers_hs, doc.quantity, doc.unit,
        doc.destination_country, declared, quantity_mismatch, hs_mismatch,
        destination_mismatch, buyer_mismatch, seller_mismatch, discrepancy)


def _kind(doc_type: str) -> str:
    """Documents of one kind: an end-use statement stands for an end-user certificate."""
    return "end_user_paper" if doc_type in END_USER_PAPERS else doc_type


def _covers_codes(codes: Sequence[str], digits: str) -> bool:
    """A document's HS codes cover a good when one code is a prefix of the other, once zeros
    that do not subdivide a heading are set aside (`subdivided`), or when none are named."""
    return not codes or _covers(tuple(codes), digits)


@lru_cache(maxsize=8192)
def _covers(codes: tuple[str, ...], digits: str) -> bool:
    """`_covers_codes`, memoised: a paper's codes are compared with each line's."""
    digits = subdivided(digits)
    for code in codes:
        ld = subdivided(hs_digits(code) or "")
        if ld and (digits.startswith(ld) or ld.startswith(digits)):
            return True
    return False


class _Normaliser:
    """Rewrites countries and HS codes to canonical form, recording each change (a change's
    path is `path.format(*args)`, written out only when there is a change)."""

    def __init__(self) -> None:
        self.changes: list[Normalisation] = []

    def _rewrite(self, canonical: Callable[[str], str | None], value: str, path: str,
                 args: tuple[object, ...]) -> str:
        code = canonical(value) or value
        if code != value:
            self.changes.append(construct(Normalisation, path=path.format(*args), from_=value,
                                          to=code))
        return code

    def country(self, value: str, path: str, *args: object) -> str:
        return value if value in ALPHA2 else self._rewrite(to_alpha2, value, path, args)

    def hs(self, value: str, path: str, *args: object) -> str:
        return self._rewrite(canonical_hs, value, path, args)

    @overload
    def party(self, path: str, party: Party) -> Party: ...
    @overload
    def party(self, path: str, party: None) -> None: ...
    @overload
    def party(self, path: str, party: Party | None) -> Party | None: ...

    def party(self, path: str, party: Party | None) -> Party | None:
        if party is None or party.country in ALPHA2:
            return party
        code = self.country(party.country, "{}.country", path)
        return party if code == party.country else replace(party, country=code)

    def route(self, route: Route) -> Route:
        if (route.origin_country in ALPHA2 and route.destination_country in ALPHA2
                and ALPHA2.issuperset(route.transit_countries)):
            return route  # most routes are written in codes already
        origin = self.country(route.origin_country, "route.origin_country")
        dest = self.country(route.destination_country, "route.destination_country")
        transit = [self.country(c, "route.transit_countries[{}]", i)
                   for i, c in enumerate(route.transit_countries)]
        if (origin, dest, transit) == (route.origin_country, route.destination_country,
                                       route.transit_countries):
            return route
        return replace(route, origin_country=origin, destination_country=dest,
                       transit_countries=transit)

    def good(self, i: int, good: Good) -> Good:
        if canonical_hs(good.hs_code) == good.hs_code and (
                good.origin_country is None or good.origin_country in ALPHA2):
            return good
        update: dict[str, Any] = {}
        hs = self.hs(good.hs_code, "goods[{}].hs_code", i)
        if hs != good.hs_code:
            update["hs_code"] = hs
        if good.origin_country is not None:
            origin = self.country(good.origin_country, "goods[{}].origin_country", i)
            if origin != good.origin_country:
                update["origin_country"] = origin
        return replace(good, **update) if update else good

    def document(self, i: int, doc: Document) -> Document:
        if (doc.destination_country is None or doc.destination_country in ALPHA2) and all(
                canonical_hs(c) == c for c in doc.covers_hs):
            return doc  # most papers are written in canonical codes already
        update: dict[str, Any] = {}
        if doc.covers_hs:
            covers = [self.hs(c, "documents[{}].covers_hs[{}]", i, j)
                      for j, c in enumerate(doc.covers_hs)]
            if covers != doc.covers_hs:
                update["covers_hs"] = covers
        if doc.destination_country is not None:
            dest = self.country(doc.destination_country, "documents[{}].destination_country", i)
            if dest != doc.destination_country:
                update["destination_country"] = dest
        return replace(doc, **update) if update else doc
