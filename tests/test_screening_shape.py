"""The Screening JSON shape: what the engine builds equals what validation would build,
and the fields clients rely on are where DESIGN.md puts them."""

from __future__ import annotations

import json

from service.engine import Ruleset, evaluate
from service.engine.examples import path_steps
from service.models import Screening, Shipment

from .conftest import example, read_cases


def test_engine_output_round_trips_through_validation(ruleset: Ruleset) -> None:
    raw = example()
    raw["route"]["transit_countries"] = ["Hongkong", "马来西亚"]
    raw["goods"][0]["hs_code"] = "811292"
    raw["transport_mode"] = "courier"
    screening = evaluate(ruleset, Shipment.model_validate(raw))
    dumped = screening.model_dump(mode="json", by_alias=True)
    assert Screening.model_validate(dumped).model_dump(mode="json", by_alias=True) == dumped
    assert json.loads(screening.model_dump_json(by_alias=True)) == dumped


def test_shape_of_a_flagged_screening(ruleset: Ruleset) -> None:
    raw = example()
    raw["route"]["transit_countries"] = ["KR", "Hongkong"]
    screening = evaluate(ruleset, Shipment.model_validate(raw))
    data = screening.model_dump(mode="json", by_alias=True)
    assert set(data) == {"id", "reference", "as_of", "ruleset", "decision", "risk_score",
                         "findings", "checklist", "normalised", "created_at", "review"}
    assert data["decision"] == "review"
    assert data["normalised"] == [
        {"path": "route.transit_countries[1]", "from": "Hongkong", "to": "HK"}]
    (hub,) = [f for f in data["findings"] if f["red_flag"] == "TRX-HUB"]
    assert hub["rule_id"] == "transshipment.hub-transit"
    assert {"path": "route.transit_countries[1]", "value": "HK",
            "why": "in list transshipment_hubs"} in hub["evidence"]
    assert {"path": "goods[0].description", "value": "Gallium metal 99.99% ingots",
            "why": "names Gallium metal (MOFCOM/GAC No. 23 of 2023)"} in hub["evidence"]
    cite = hub["citations"][0]
    assert cite["source"] == "seed-004"
    assert cite["quote"] == "transshipment through third-party nations"
    assert cite["span"] == [880, 921]
    statuses = {c["id"]: c["status"] for c in data["checklist"]}
    assert statuses["licence.dual-use"] == "provided"
    assert statuses["documents.end-user-certificate"] == "provided"


def test_clean_licensed_direct_shipment_is_clear(ruleset: Ruleset) -> None:
    screening = evaluate(ruleset, Shipment.model_validate(example()))
    assert screening.decision == "clear" and screening.findings == []
    assert screening.risk_score == 0


def test_effective_dates_follow_as_of(ruleset: Ruleset) -> None:
    raw = example()
    raw["route"]["destination_country"] = "US"
    raw["consignee"] = raw["end_user"] = {"name": "Pacific Semiconductor Inc", "country": "US",
                                          "kind": "manufacturer"}
    raw["documents"][1]["issued_by"] = "Pacific Semiconductor Inc"
    raw["documents"][0]["valid_until"] = "2027-12-31"
    shipment = Shipment.model_validate(raw)
    flags = {d: {f.red_flag for f in evaluate(ruleset, shipment, d).findings}
             for d in map(__import__("datetime").date.fromisoformat,
                          ["2024-12-02", "2024-12-03", "2025-11-08", "2025-11-09",
                           "2026-11-27", "2026-11-28"])}
    assert [("LIC-PROHIBITED-DEST" in f, "REG-UNVERIFIED" in f) for f in flags.values()] == [
        (False, False), (True, False), (True, False), (False, False), (False, False),
        (False, True)]


def _lookup(document: object, steps: list[str | int]) -> tuple[bool, object]:
    """Whether the steps (of a path such as `goods[0].hs_code`) lead to a value in a JSON
    document, and that value."""
    current = document
    for step in steps:
        if isinstance(step, int):
            if not isinstance(current, list) or step >= len(current):
                return False, None
            current = current[step]
        elif isinstance(current, dict) and step in current:
            current = current[step]
        else:
            return False, None
    return True, current


def _resolves(document: object, path: str) -> bool:
    return _lookup(document, path_steps(path))[0]


def _absent(document: object, path: str) -> bool:
    """Whether `path` names a field of an object that leaves it out (or sends it as null)."""
    *parent, last = path_steps(path)
    found, holder = _lookup(document, parent)
    return found and isinstance(holder, dict) and holder.get(last) is None


def test_evidence_points_into_the_submitted_shipment(ruleset: Ruleset) -> None:
    """Every evidence path of every finding on the labelled cases names a value of the
    shipment as submitted: derived facts show the field they are read from, and a condition
    that does not hold shows the fields it read. Only evidence that a field is missing names
    a field the shipment leaves out (and the shipment really does), and evidence that says a
    field is missing always names one: a derived fact found missing (a line's ``named_item``)
    shows the field it is read from, which is there."""
    checked = missing = 0
    for case in [c for n in ("dev.jsonl", "own.jsonl", "blind.jsonl") for c in read_cases(n)]:
        submitted = case.get("shipment", case)
        for finding in evaluate(ruleset, Shipment.model_validate(submitted)).findings:
            for evidence in finding.evidence:
                where = (finding.rule_id, evidence.path)
                if not _resolves(submitted, evidence.path):
                    assert evidence.why == "is missing" and evidence.value is None, where
                    assert _absent(submitted, evidence.path), where
                    missing += 1
                elif evidence.why == "is missing":  # left out, null, or a list left empty
                    assert (_absent(submitted, evidence.path)
                            or _lookup(submitted, path_steps(evidence.path)) == (True, [])), where
                checked += 1
    assert checked > 100 and missing > 0
