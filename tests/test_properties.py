"""Property: evaluation never raises on any valid Shipment, and its output is consistent."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.engine import Ruleset, evaluate
from service.models import Shipment

COUNTRIES = st.sampled_from(["CN", "HK", "Hongkong", "MY", "马来西亚", "UAE", "US", "USA", "DE",
                             "JPN", "Japan", "SE", "KE", "VN", "SG", "MO"])
KINDS = st.sampled_from(["manufacturer", "trader", "freight_forwarder", "logistics", "end_user",
                         "individual", "unknown"])
WORDS = st.sampled_from(["Gallium metal 99.99%", "高纯镓", "GeO2 5N", "Antimony trioxide 99.5%",
                         "Metal samples", "Alloy scrap", "Cotton T-shirts", "NdFeB magnets",
                         "Dysprosium oxide Dy2O3", "镝", "Tungsten carbide", "Copper cathodes",
                         "spherical graphite", "Holmium oxide", "ｇａｌｌｉｕｍ", "missile parts"])
HS = st.sampled_from(["8112.92", "811292", "8112 92", "8112.92.10", "2825.60", "8505.11",
                      "3801.90", "6109.10", "7601.10", "2846.90", "8110.10"])
TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1,
               max_size=40).filter(lambda s: s.strip() != "")


def party() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"name": st.one_of(TEXT, st.sampled_from(
        ["Raytheon Missiles & Defense", "Sunrise Logistics Sdn Bhd", "Vektor GmbH"])),
        "country": COUNTRIES, "kind": KINDS})


good = st.fixed_dictionaries(
    {"description": st.one_of(WORDS, TEXT), "hs_code": HS,
     "quantity": st.floats(min_value=0, max_value=1e9, allow_nan=False),
     "unit": st.sampled_from(["kg", "g", "t", "lb", "pcs"])},
    optional={"value": st.fixed_dictionaries({
        "amount": st.floats(min_value=0, max_value=1e12, allow_nan=False),
        "currency": st.sampled_from(["USD", "EUR", "CNY", "XAU", "JPY"])}),
        "origin_country": COUNTRIES})
document = st.fixed_dictionaries(
    {"type": st.sampled_from(["dual_use_export_licence", "end_user_certificate",
                              "end_use_statement", "commercial_invoice", "packing_list",
                              "contract", "other"])},
    optional={"issued_by": TEXT, "valid_until": st.dates(),
              "covers_hs": st.lists(HS, max_size=3), "quantity": st.floats(0, 1e6)})
shipment = st.fixed_dictionaries(
    {"reference": TEXT, "ship_date": st.dates(dt.date(2023, 1, 1), dt.date(2028, 12, 31)),
     "exporter": party(), "consignee": party(), "goods": st.lists(good, min_size=1, max_size=4),
     "route": st.fixed_dictionaries({"origin_country": COUNTRIES, "destination_country": COUNTRIES,
                                     "transit_countries": st.lists(COUNTRIES, max_size=3)}),
     "transport_mode": st.sampled_from(["sea", "air", "road", "rail", "post", "courier"])},
    optional={"end_user": party(), "intermediate_consignees": st.lists(party(), max_size=2),
              "documents": st.lists(document, max_size=4), "declared_end_use": TEXT,
              "packaging": TEXT, "forwarder": party(), "notify_party": party()})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=shipment)
def test_evaluation_never_raises(ruleset: Ruleset, raw: dict[str, Any]) -> None:
    s = Shipment.model_validate(raw)
    screening = evaluate(ruleset, s)
    assert screening.decision in ("clear", "review", "hold")
    assert (screening.decision == "clear") == (not screening.findings)
    assert 0 <= screening.risk_score <= 100
    for finding in screening.findings:
        assert finding.citations and finding.evidence
        for evidence in finding.evidence:  # a path into the shipment (or a field it lacks)
            assert evidence.path.split(".")[0].split("[")[0] in Shipment.model_fields
    Shipment.model_validate(raw)  # validation is deterministic


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=shipment)
def test_plan_fires_exactly_the_rules_whose_condition_holds(ruleset: Ruleset,
                                                          raw: dict[str, Any]) -> None:
    """The plan's one function (shared atoms, reordered conjuncts, windows) agrees with each
    rule's whole condition compiled and tested on its own."""
    s = Shipment.model_validate(raw)
    facts, _ = ruleset.tables.derive(s, s.ship_date)
    fired, _ = ruleset.plan.run(facts, s.ship_date)
    expected = [i for i, rule in enumerate(ruleset.rules)
                if (rule.spec.effective.from_ or dt.date.min) <= s.ship_date
                <= (rule.spec.effective.until or dt.date.max)
                and rule.condition.test(facts, facts)]
    assert fired == expected
