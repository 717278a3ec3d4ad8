"""Tenancy, roles, the review workflow (ETag / If-Match, four eyes) and the queue over HTTP,
against the live server on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from .api_support import LiveServer, assert_problem, bearer, make_keys, shipment

pytest_plugins = ["tests.api_fixtures"]  # store and API fixtures (see its docstring)


def held_shipment() -> dict[str, Any]:
    """A shipment the rules hold: gallium to a US defence firm (LIC-PROHIBITED-DEST)."""
    body = shipment()
    body["end_user"] = {"name": "Lockheed Martin", "country": "US", "kind": "manufacturer"}
    body["route"] = {**body["route"], "destination_country": "US"}
    return body


def submit(http: httpx.Client, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = http.post("/v1/screenings", json=body or shipment())
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def review(http: httpx.Client, screening: dict[str, Any], decision: str, etag: str | None,
           reason: str | None = "checked", disposition: str | None = "confirmed"
           ) -> httpx.Response:
    findings = [] if disposition is None else [
        {"rule_id": f["rule_id"], "disposition": disposition, "note": "seen"}
        for f in screening["findings"]]
    headers = {"If-Match": etag} if etag is not None else {}
    return http.post(f"/v1/screenings/{screening['id']}/review", headers=headers,
                     json={"decision": decision, "reason": reason, "findings": findings})


def test_another_organisations_screening_is_404_and_never_listed(api: LiveServer) -> None:
    with api.client("submitter") as a, api.client("b_admin") as b:
        made = submit(a)
        path = f"/v1/screenings/{made['id']}"
        assert a.get(path).status_code == 200
        problem = assert_problem(b.get(path), 404)
        unknown = assert_problem(b.get("/v1/screenings/scr_00000000000000000000000000"), 404)
        assert problem["detail"].replace(made["id"], "X") == unknown["detail"].replace(
            "scr_00000000000000000000000000", "X")
        listed = b.get("/v1/screenings", params={"reference": made["reference"]}).json()
        assert listed == {"items": [], "next_cursor": None}
        assert a.get("/v1/screenings", params={"reference": made["reference"]}
                     ).json()["items"][0]["id"] == made["id"]
        assert_problem(b.post(f"{path}/review", headers={"If-Match": '"v1"'},
                              json={"decision": "start"}), 404)
        assert b.get("/v1/audit", params={"screening_id": made["id"]}).json()["items"] == []


def test_idempotency_keys_are_per_organisation(api: LiveServer) -> None:
    key = str(uuid.uuid4())
    body = shipment()
    with api.client("submitter") as a, api.client("b_submitter") as b:
        first = a.post("/v1/screenings", json=body, headers={"Idempotency-Key": key})
        other = b.post("/v1/screenings", json=body, headers={"Idempotency-Key": key})
        assert first.status_code == other.status_code == 201
        assert first.json()["id"] != other.json()["id"]  # not a replay of org A's screening
        assert "idempotent-replayed" not in other.headers
        different = b.post("/v1/screenings", json=shipment(), headers={"Idempotency-Key": key})
        assert_problem(different, 409)  # org B's own record, not A's


def test_roles(api: LiveServer) -> None:
    with api.client("submitter") as submitter, api.client("reviewer") as reviewer:
        made = submit(submitter)
        etag = submitter.get(f"/v1/screenings/{made['id']}").headers["etag"]
        problem = assert_problem(review(submitter, made, "start", etag), 403)
        assert "reviewer role" in problem["detail"]
        for path in ("/v1/audit", "/v1/audit/head"):
            assert_problem(submitter.get(path), 403)
            assert_problem(reviewer.get(path), 403)
        assert_problem(reviewer.post("/v1/rules:reload"), 403)
        assert submitter.get("/v1/rules").status_code == 200
        assert submitter.get("/v1/queue/counts").status_code == 200
        assert reviewer.post("/v1/screenings", json=shipment()).status_code == 201


def test_review_with_etags(api: LiveServer) -> None:
    with api.client("submitter") as submitter, api.client("reviewer") as reviewer:
        made = submit(submitter)
        got = reviewer.get(f"/v1/screenings/{made['id']}")
        etag = got.headers["etag"]
        assert etag == '"v1"' and got.json()["review"] == {"status": "open", "history": []}

        missing = assert_problem(review(reviewer, made, "start", None), 428)
        assert "If-Match" in missing["detail"]
        assert_problem(review(reviewer, made, "start", "*"), 428)
        stale = review(reviewer, made, "start", '"v9"')
        assert_problem(stale, 412)
        assert stale.headers["etag"] == etag

        started = review(reviewer, made, "start", etag, reason=None, disposition=None)
        assert started.status_code == 200, started.text
        new_etag = started.headers["etag"]
        assert new_etag != etag
        assert started.json()["review"]["status"] == "in_review"
        assert reviewer.get(f"/v1/screenings/{made['id']}").headers["etag"] == new_etag
        assert_problem(review(reviewer, made, "approve", etag), 412)  # the old version

        no_reason = assert_problem(review(reviewer, made, "approve", new_etag, reason=None), 422)
        assert no_reason["errors"][0]["loc"] == "/reason"
        partial = review(reviewer, made, "approve", new_etag)
        body = partial.json()
        assert partial.status_code == 200, partial.text
        assert body["review"]["status"] == "approved"
        last = body["review"]["history"][-1]
        assert last["decision"] == "approve" and last["reason"] == "checked"
        assert {f["rule_id"] for f in last["findings"]} == {f["rule_id"] for f in
                                                            made["findings"]}
        assert last["by"] == reviewer.get("/v1/screenings", params={
            "reference": made["reference"]}).json()["items"][0]["review"]["history"][-1]["by"]
        closed = review(reviewer, made, "reject", partial.headers["etag"])
        assert_problem(closed, 409)
        assert_problem(reviewer.post(f"/v1/screenings/{made['id']}/review",
                                     headers={"If-Match": partial.headers["etag"]},
                                     json={"decision": "approve", "extra": 1}), 422)


def test_four_eyes_and_own_submissions(api: LiveServer) -> None:
    with api.client("submitter") as submitter, api.client("reviewer") as alice, \
            api.client("reviewer2") as bob:
        held = submit(submitter, held_shipment())
        assert held["decision"] == "hold", [f["red_flag"] for f in held["findings"]]
        first = review(alice, held, "approve", '"v1"')
        assert first.status_code == 200, first.text
        assert first.json()["review"]["status"] == "awaiting_second"
        twice = assert_problem(review(alice, held, "approve", first.headers["etag"]), 403)
        assert "four eyes" in twice["detail"]
        queued = submitter.get("/v1/screenings", params={
            "reference": held["reference"], "status": "awaiting_second"}).json()["items"]
        assert [s["id"] for s in queued] == [held["id"]]
        second = review(bob, held, "approve", first.headers["etag"], disposition=None)
        assert second.status_code == 200, second.text
        assert second.json()["review"]["status"] == "approved"
        assert len({a["by"] for a in second.json()["review"]["history"]}) == 2

        own = submit(alice)
        problem = assert_problem(review(alice, own, "start", '"v1"'), 403)
        assert "own key" in problem["detail"]
        assert review(bob, own, "escalate", '"v1"').json()["review"]["status"] == "escalated"
        assert_problem(review(bob, own, "start", '"v2"'), 403)  # escalated: an admin decides
        with api.client("admin") as admin:
            assert review(admin, own, "start", '"v2"').status_code == 200


def test_queue_counts_for_a_fresh_organisation(api: LiveServer) -> None:
    org = f"org-{uuid.uuid4().hex[:8]}"
    keys = make_keys(api.database_url, {"sub": (org, "submitter"), "rev": (org, "reviewer")})
    with api.client(keys["sub"]) as submitter, api.client(keys["rev"]) as reviewer:
        made = [submit(submitter) for _ in range(3)]
        submit(submitter, held_shipment())
        clear = shipment()
        clear.update(consignee=clear["end_user"], route={"origin_country": "CN",
                                                         "destination_country": "DE"})
        cleared = submit(submitter, clear)
        assert review(reviewer, made[0], "start", '"v1"').status_code == 200
        counts = reviewer.get("/v1/queue/counts").json()
        by_decision = {"clear": 0, "review": 3, "hold": 1}
        by_decision[cleared["decision"]] += 1
        assert counts["by_decision"] == by_decision and counts["total"] == 5
        assert counts["by_status"]["in_review"] == 1
        assert counts["by_status"]["open"] == 3 + (cleared["decision"] != "clear")
        held = reviewer.get("/v1/queue/counts", params={"decision": "hold"}).json()
        assert held["total"] == 1 and held["by_status"]["open"] == 1
        in_review = reviewer.get("/v1/screenings", params={"status": "in_review"}).json()
        assert [s["id"] for s in in_review["items"]] == [made[0]["id"]]
        assert_problem(reviewer.get("/v1/queue/counts", params={"decision": "x"}), 422)
    with api.client("admin") as other:  # org-a sees none of them
        assert other.get("/v1/screenings", params={
            "reference": made[0]["reference"]}).json()["items"] == []


def test_a_revoked_or_foreign_key_does_not_get_in(api: LiveServer) -> None:
    from service.auth import revoke_key
    from service.store import SqlStore

    keys = make_keys(api.database_url, {"gone": ("org-a", "submitter")})
    store = SqlStore.from_url(api.database_url)
    try:
        key_id = keys["gone"].split(".")[0]
        assert revoke_key(store, key_id)
    finally:
        store.dispose()
    # never used before revocation, so no server has it cached
    with httpx.Client(base_url=api.base_url, headers=bearer(keys["gone"])) as http:
        assert_problem(http.get("/v1/screenings"), 401)
