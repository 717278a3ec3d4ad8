"""The Shipment: what traders and forwarders submit for screening."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .types import Country, Currency, HsCode, IsoDate, Name, NonNegative, Text

PartyKind = Literal[
    "manufacturer", "trader", "freight_forwarder", "logistics", "end_user", "individual", "unknown"
]
TransportMode = Literal["sea", "air", "road", "rail", "post", "courier"]
DocumentType = Literal[
    "dual_use_export_licence", "end_user_certificate", "end_use_statement", "contract",
    "commercial_invoice", "packing_list", "bill_of_lading", "air_waybill",
    "certificate_of_origin", "customs_declaration", "other",
]
MASS_UNITS: dict[str, float] = {"kg": 1.0, "g": 0.001, "t": 1000.0, "lb": 0.45359237}
Unit = Literal["kg", "g", "t", "lb", "pcs", "units", "sets", "pairs", "rolls", "sheets"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Party(_Strict):
    name: Name
    country: Country
    kind: PartyKind = "unknown"
    address: Text | None = None


class Money(_Strict):
    amount: NonNegative
    currency: Currency = Field(examples=["USD"])


class Good(_Strict):
    description: Text = Field(examples=["Gallium metal 99.99% ingots"])
    hs_code: HsCode
    quantity: NonNegative
    unit: Unit
    value: Money | None = None
    origin_country: Country | None = None


class Route(_Strict):
    origin_country: Country
    transit_countries: list[Country] = Field(default_factory=list, max_length=50)
    destination_country: Country


class Document(_Strict):
    type: DocumentType
    number: Name | None = None
    issued_by: Name | None = None
    issued_to: Name | None = None
    end_user: Name | None = None
    issued_on: IsoDate | None = None
    valid_until: IsoDate | None = None
    covers_hs: list[HsCode] = Field(default_factory=list, max_length=200)
    quantity: NonNegative | None = None
    unit: Unit | None = None
    destination_country: Country | None = None


EXAMPLE_SHIPMENT: dict[str, Any] = {
    "reference": "PO-2025-0193",
    "ship_date": "2025-08-04",
    "exporter": {"name": "Guangxi Huaxin Metals Co", "country": "CN", "kind": "trader"},
    "consignee": {"name": "Sunrise Logistics Sdn Bhd", "country": "MY",
                  "kind": "freight_forwarder"},
    "end_user": {"name": "Vektor Halbleiter GmbH", "country": "DE", "kind": "manufacturer"},
    "goods": [{"description": "Gallium metal 99.99% ingots", "hs_code": "8112.92",
               "quantity": 500, "unit": "kg", "value": {"amount": 160000, "currency": "USD"},
               "origin_country": "CN"}],
    "route": {"origin_country": "CN", "transit_countries": ["HK", "MY"],
              "destination_country": "DE"},
    "transport_mode": "sea",
    "documents": [{"type": "dual_use_export_licence", "number": "MOFCOM-2025-0012",
                   "issued_by": "MOFCOM", "valid_until": "2025-12-31", "covers_hs": ["8112.92"]},
                  {"type": "end_user_certificate", "issued_by": "Vektor Halbleiter GmbH"}],
    "declared_end_use": "semiconductor wafer production",
    "packaging": "sealed steel drums",
}


class Shipment(_Strict):
    """One export shipment. Unknown fields are rejected so that typos never pass silently."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, json_schema_extra={"examples": [EXAMPLE_SHIPMENT]}
    )

    reference: Name
    ship_date: IsoDate
    exporter: Party
    consignee: Party
    end_user: Party | None = None
    notify_party: Party | None = None
    intermediate_consignees: list[Party] = Field(default_factory=list, max_length=50)
    forwarder: Party | None = None
    goods: list[Good] = Field(min_length=1, max_length=1000)
    route: Route
    transport_mode: TransportMode
    documents: list[Document] = Field(default_factory=list, max_length=200)
    declared_end_use: Text | None = None
    packaging: Text | None = None
