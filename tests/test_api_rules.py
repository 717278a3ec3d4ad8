"""GET /v1/rules, /v1/sources and /v1/checklist against a live server."""

from __future__ import annotations

import httpx

from .api_support import assert_problem

pytest_plugins = ["tests.api_fixtures"]  # store and API fixtures (see its docstring)


def test_rules_list_and_detail(client: httpx.Client) -> None:
    listed = client.get("/v1/rules")
    assert listed.status_code == 200
    body = listed.json()
    assert body["ruleset"]["version"].startswith("sha256:")
    assert body["ruleset"]["rules"] == len(body["rules"]) > 0
    first = body["rules"][0]
    detail = client.get(f"/v1/rules/{first['id']}")
    assert detail.status_code == 200
    rule = detail.json()
    assert {k: rule[k] for k in first} == first
    assert rule["citations"] and rule["examples"]["hit"] and rule["examples"]["miss"]
    assert rule["when"] and rule["file"].endswith(".yaml") and rule["line"] >= 1
    assert_problem(client.get("/v1/rules/no.such.rule"), 404)


def test_sources_carry_the_text_that_citations_index(client: httpx.Client) -> None:
    sources = client.get("/v1/sources").json()["sources"]
    assert sources and all(s["id"].startswith("seed-") for s in sources)
    rules = client.get("/v1/rules").json()["rules"]
    rule = client.get(f"/v1/rules/{rules[0]['id']}").json()
    citation = rule["citations"][0]
    source = client.get(f"/v1/sources/{citation['source']}").json()
    start, end = citation["span"]
    assert len(source["text"]) == source["length"]
    cited = " ".join(source["text"][start:end].split())
    assert cited.replace("’", "'").replace("“", '"').replace("”", '"') == \
        " ".join(citation["quote"].split())
    assert_problem(client.get("/v1/sources/seed-999"), 404)


def test_checklist_for_controlled_goods(client: httpx.Client) -> None:
    response = client.get("/v1/checklist", params={
        "hs_code": "811292", "destination": "Germany", "ship_date": "2025-08-04"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["hs_code"] == "8112.92" and body["destination"] == "DE"
    assert body["items"] and {i["status"] for i in body["items"]} <= {
        "provided", "missing", "not_applicable"}
    assert any(i["status"] == "missing" for i in body["items"])


def test_checklist_rejects_bad_input(client: httpx.Client) -> None:
    problem = assert_problem(client.get("/v1/checklist", params={
        "hs_code": "xx", "destination": "Atlantis"}), 422)
    assert {e["loc"] for e in problem["errors"]} == {"/hs_code", "/destination"}
    assert_problem(client.get("/v1/checklist"), 422)
