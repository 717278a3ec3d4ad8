"""POST/GET /v1/screenings against a live uvicorn server, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.models import EXAMPLE_SHIPMENT, Screening

from .api_support import (
    LiveServer,
    assert_problem,
    shipment,
    start_server,
    stop_server,
    unique_reference,
)

pytest_plugins = ["tests.api_fixtures"]  # store and API fixtures (see its docstring)

def test_post_example_returns_201_with_findings_and_citations(client: httpx.Client) -> None:
    response = client.post("/v1/screenings", json=EXAMPLE_SHIPMENT)
    assert response.status_code == 201, response.text
    assert response.headers["content-type"] == "application/json"
    screening = Screening.model_validate(response.json())
    assert screening.id and screening.id.startswith("scr_")
    assert response.headers["location"] == f"/v1/screenings/{screening.id}"
    assert screening.created_at is not None and screening.findings
    assert all(f.citations for f in screening.findings)
    assert screening.ruleset.version.startswith("sha256:")
    assert screening.decision != "clear" and screening.review is not None
    assert screening.review.status == "open"

    again = client.get(response.headers["location"])
    assert again.status_code == 200
    assert again.json() == response.json()


def test_request_id_is_echoed_or_generated(client: httpx.Client) -> None:
    echoed = client.get("/healthz", headers={"X-Request-ID": "trace-123"})
    assert echoed.headers["x-request-id"] == "trace-123"
    made = client.get("/healthz")
    assert len(made.headers["x-request-id"]) >= 16
    bad = client.get("/healthz", headers={"X-Request-ID": "x" * 500})
    assert bad.headers["x-request-id"] != "x" * 500
    problem = client.get("/v1/screenings/scr_nope", headers={"X-Request-ID": "r-404"})
    assert problem.headers["x-request-id"] == "r-404"
    assert assert_problem(problem, 404)["request_id"] == "r-404"


def test_invalid_fields_are_422_with_json_pointer_locs(client: httpx.Client) -> None:
    body = shipment(transport_mode="teleport", colour="red")
    body["goods"] = [{**body["goods"][0], "hs_code": "12x"}]
    del body["consignee"]
    problem = assert_problem(client.post("/v1/screenings", json=body), 422)
    locs = {(e["in"], e["loc"]) for e in problem["errors"]}
    assert ("body", "/goods/0/hs_code") in locs
    assert ("body", "/transport_mode") in locs
    assert ("body", "/consignee") in locs
    assert ("body", "/colour") in locs
    assert all(e["msg"] and e["type"] for e in problem["errors"])


def test_invalid_json_and_wrong_shapes_are_4xx_never_500(client: httpx.Client) -> None:
    headers = {"content-type": "application/json"}
    for raw in (b"{", b"[]", b"null", b'"text"', b"{\"goods\": 5}", b"\xff\xfe", b"1e999"):
        response = client.post("/v1/screenings", content=raw, headers=headers)
        assert_problem(response, 422)
    empty = client.post("/v1/screenings", content=b"", headers=headers)
    assert_problem(empty, 422)


def test_non_json_body_is_415(client: httpx.Client) -> None:
    response = client.post("/v1/screenings", content=json.dumps(EXAMPLE_SHIPMENT),
                           headers={"content-type": "text/plain"})
    assert_problem(response, 415)
    form = client.post("/v1/screenings", data={"reference": "x"})
    assert_problem(form, 415)
    vendor = client.post("/v1/screenings", content=json.dumps(shipment()),
                         headers={"content-type": "application/vnd.assay+json; charset=utf-8"})
    assert vendor.status_code == 201


def test_body_over_1_mib_is_413(client: httpx.Client) -> None:
    body = shipment(declared_end_use="x" * 1000)
    body["documents"] = [{"type": "other", "number": "n" * 290}] * 200
    big = json.dumps(body) + " " * (1024 * 1024)
    assert_problem(client.post("/v1/screenings", content=big,
                               headers={"content-type": "application/json"}), 413)

    def chunks() -> Any:  # no Content-Length: the limit applies while reading
        for _ in range(40):
            yield b" " * 32768
        yield json.dumps(body).encode()

    chunked = client.post("/v1/screenings", content=chunks(),
                          headers={"content-type": "application/json"})
    assert_problem(chunked, 413)


def test_unknown_routes_and_methods_are_problems(client: httpx.Client) -> None:
    assert_problem(client.get("/v1/nothing"), 404)
    assert_problem(client.get("/v1/screenings/scr_01JD3X5Q7Z8K9M2N4P6R8T0V2W"), 404)
    response = client.delete("/v1/screenings")
    assert_problem(response, 405)
    assert "allow" in response.headers


def test_as_of_overrides_the_ship_date(client: httpx.Client) -> None:
    response = client.post("/v1/screenings", params={"as_of": "2024-01-02"}, json=shipment())
    assert response.status_code == 201
    assert response.json()["as_of"] == "2024-01-02"
    assert_problem(client.post("/v1/screenings", params={"as_of": "yesterday"},
                               json=shipment()), 422)


def test_idempotency_key_replays_and_conflicts(client: httpx.Client) -> None:
    key = str(uuid.uuid4())
    body = shipment()
    first = client.post("/v1/screenings", json=body, headers={"Idempotency-Key": key})
    assert first.status_code == 201
    second = client.post("/v1/screenings", json=body, headers={"Idempotency-Key": key})
    assert second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert second.headers["location"] == first.headers["location"]
    other = client.post("/v1/screenings", json=shipment(), headers={"Idempotency-Key": key})
    assert "different request" in assert_problem(other, 409)["detail"]
    as_of = client.post("/v1/screenings", json=body, params={"as_of": "2025-01-01"},
                        headers={"Idempotency-Key": key})
    assert_problem(as_of, 409)
    listed = client.get("/v1/screenings", params={"reference": body["reference"]}).json()
    assert [s["id"] for s in listed["items"]] == [first.json()["id"]]


def test_concurrent_requests_with_one_key_store_one_screening(api: LiveServer) -> None:
    key = str(uuid.uuid4())
    body = shipment()
    responses: list[httpx.Response] = []

    def post() -> None:
        with api.client() as http:
            responses.append(http.post("/v1/screenings", json=body,
                                       headers={"Idempotency-Key": key}))

    threads = [threading.Thread(target=post) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    with api.client() as http:
        listed = http.get("/v1/screenings", params={"reference": body["reference"]}).json()
    assert len(listed["items"]) == 1


def test_bad_idempotency_key_is_422(client: httpx.Client) -> None:
    response = client.post("/v1/screenings", json=shipment(),
                           headers={"Idempotency-Key": "x" * 300})
    problem = assert_problem(response, 422)
    assert problem["errors"][0]["in"] == "header"
    assert problem["errors"][0]["loc"] == "/Idempotency-Key"


def test_batch_answers_each_item_in_order(client: httpx.Client) -> None:
    reference = unique_reference("B")
    good = [shipment(reference=reference) for _ in range(3)]
    bad = shipment(reference=reference)
    bad["goods"] = [{**bad["goods"][0], "hs_code": "nope"}]
    items: list[Any] = [good[0], bad, good[1], "not an object", good[2]]
    response = client.post("/v1/screenings:batch", json={"shipments": items})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == [201, 422, 201, 422, 201]
    assert results[1]["problem"]["errors"][0]["loc"] == "/shipments/1/goods/0/hs_code"
    assert results[3]["problem"]["errors"][0]["loc"] == "/shipments/3"
    ids = [r["screening"]["id"] for r in results if r["status"] == 201]
    for result in results:
        if result["status"] == 201:
            stored = client.get(f"/v1/screenings/{result['screening']['id']}")
            assert stored.json() == result["screening"]
    listed = client.get("/v1/screenings", params={"reference": reference}).json()
    assert sorted(s["id"] for s in listed["items"]) == sorted(ids)


def test_batch_limits_and_idempotency(client: httpx.Client) -> None:
    assert_problem(client.post("/v1/screenings:batch", json={"shipments": []}), 422)
    too_many: dict[str, list[dict[str, Any]]] = {"shipments": [{}] * 1001}
    problem = assert_problem(client.post("/v1/screenings:batch", json=too_many), 422)
    assert problem["errors"][0]["loc"] == "/shipments"
    assert_problem(client.post("/v1/screenings:batch", json={"items": []}), 422)

    # Over 1 MiB is fine for a batch (its limit is 16 MiB) ...
    body = shipment(declared_end_use="y" * 1500)
    batch = {"shipments": [body] * 700}
    assert len(json.dumps(batch)) > 1024 * 1024
    key = str(uuid.uuid4())
    first = client.post("/v1/screenings:batch", json=batch, headers={"Idempotency-Key": key})
    assert first.status_code == 200
    replay = client.post("/v1/screenings:batch", json=batch, headers={"Idempotency-Key": key})
    assert replay.json() == first.json() and replay.headers["idempotent-replayed"] == "true"
    other = client.post("/v1/screenings:batch", json={"shipments": [body]},
                        headers={"Idempotency-Key": key})
    assert_problem(other, 409)
    single = client.post("/v1/screenings", json=body, headers={"Idempotency-Key": key})
    assert_problem(single, 409)
    # ... and over 16 MiB is not.
    huge = b'{"shipments": [' + b" " * (16 * 1024 * 1024) + b"]}"
    assert_problem(client.post("/v1/screenings:batch", content=huge,
                               headers={"content-type": "application/json"}), 413)


def test_list_filters_and_pages(client: httpx.Client) -> None:
    reference = unique_reference("L")
    made = [client.post("/v1/screenings", json=shipment(reference=reference)).json()
            for _ in range(5)]
    newest_first = [s["id"] for s in reversed(made)]

    seen: list[str] = []
    params: dict[str, Any] = {"reference": reference, "limit": 2}
    while True:
        page = client.get("/v1/screenings", params=params)
        assert page.status_code == 200
        body = page.json()
        seen += [s["id"] for s in body["items"]]
        # New screenings keep arriving; they must not shift the pages being walked.
        client.post("/v1/screenings", json=shipment(reference=reference))
        if body["next_cursor"] is None:
            break
        params["cursor"] = body["next_cursor"]
    assert seen == newest_first

    flags = {f["red_flag"] for f in made[0]["findings"]}
    flag = sorted(flags)[0]
    by_flag = client.get("/v1/screenings", params={"reference": reference, "red_flag": flag})
    assert len(by_flag.json()["items"]) >= 5
    decision = made[0]["decision"]
    other = {"clear", "review", "hold"} - {decision}
    for d in other:
        empty = client.get("/v1/screenings", params={"reference": reference, "decision": d})
        assert empty.json() == {"items": [], "next_cursor": None}
    future = client.get("/v1/screenings", params={"reference": reference,
                                                  "since": "2999-01-01T00:00:00Z"})
    assert future.json()["items"] == []
    until = client.get("/v1/screenings", params={"reference": reference,
                                                 "until": "2000-01-01T00:00:00"})
    assert until.json()["items"] == []
    status = client.get("/v1/screenings", params={"reference": reference, "status": "open"})
    assert len(status.json()["items"]) >= 5


def test_list_rejects_bad_parameters(client: httpx.Client) -> None:
    cases: list[tuple[dict[str, str | int], str]] = [
        ({"cursor": "garbage!"}, "/cursor"), ({"limit": 0}, "/limit"),
        ({"limit": 10_000}, "/limit"), ({"decision": "maybe"}, "/decision"),
        ({"red_flag": "NOT-A-FLAG"}, "/red_flag"), ({"since": "soon"}, "/since")]
    for params, loc in cases:
        problem = assert_problem(client.get("/v1/screenings", params=params), 422)
        assert problem["errors"][0] == {**problem["errors"][0], "in": "query", "loc": loc}


@pytest.fixture(scope="module", params=[300, 20], ids=["page-max-300", "page-max-20"])
def limited_server(request: pytest.FixtureRequest, server_logs: Path
                   ) -> Iterator[tuple[LiveServer, int]]:
    """A server of its own with ASSAY_MAX_BATCH_ITEMS=2 and ASSAY_PAGE_LIMIT_MAX raised above
    the default 200 or lowered below it."""
    page_max: int = request.param
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ASSAY_MAX_BATCH_ITEMS", "2")
        env.setenv("ASSAY_PAGE_LIMIT_MAX", str(page_max))
        env.setenv("ASSAY_PAGE_LIMIT_DEFAULT", "10")
        database = server_logs / f"limits-{page_max}-{uuid.uuid4().hex[:8]}.db"
        server = start_server(f"sqlite:///{database}", "sqlite", server_logs)
    try:
        yield server, page_max
    finally:
        stop_server(server)


def test_batch_size_is_the_setting(limited_server: tuple[LiveServer, int]) -> None:
    server, _ = limited_server
    with server.client("submitter") as client:
        three = {"shipments": [shipment() for _ in range(3)]}
        problem = assert_problem(client.post("/v1/screenings:batch", json=three), 422)
        assert problem["errors"] == [{
            "loc": "/shipments", "in": "body", "type": "too_long",
            "msg": "List should have at most 2 items after validation, not 3"}]
        two = client.post("/v1/screenings:batch", json={"shipments": three["shipments"][:2]})
        assert two.status_code == 200, two.text
        assert [r["status"] for r in two.json()["results"]] == [201, 201]


def test_page_limit_cap_is_the_setting(limited_server: tuple[LiveServer, int]) -> None:
    server, page_max = limited_server
    reference = unique_reference("LIM")
    with server.client("submitter") as client:
        for _ in range(2):
            assert client.post("/v1/screenings",
                               json=shipment(reference=reference)).status_code == 201
        at_cap = client.get("/v1/screenings", params={"reference": reference,
                                                      "limit": page_max})
        assert at_cap.status_code == 200, at_cap.text
        assert len(at_cap.json()["items"]) == 2
        over = client.get("/v1/screenings", params={"limit": page_max + 1})
        problem = assert_problem(over, 422)
        assert problem["errors"] == [{
            "loc": "/limit", "in": "query", "type": "less_than_equal",
            "msg": f"Input should be less than or equal to {page_max}"}]
        one = client.get("/v1/screenings", params={"reference": reference, "limit": 1}).json()
        assert len(one["items"]) == 1 and one["next_cursor"]
