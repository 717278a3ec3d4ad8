"""The audit trail and rule reloads over HTTP: GET /v1/audit and /v1/audit/head (admins, per
organisation), POST /v1/rules:reload (a bad ruleset is refused and the last good one keeps
serving) and SIGHUP, against live servers."""

from __future__ import annotations

import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from service.store import SqlStore
from service.workflow import audit_head, verify_audit

from .api_support import ROOT, LiveServer, assert_problem, shipment, start_server, stop_server

pytest_plugins = ["tests.api_fixtures"]  # store and API fixtures (see its docstring)


def test_audit_lists_the_organisations_events_in_chain_order(api: LiveServer) -> None:
    with api.client("submitter") as submitter, api.client("admin") as admin, \
            api.client("b_admin") as b_admin:
        made = submitter.post("/v1/screenings", json=shipment()).json()
        mine = admin.get("/v1/audit", params={"screening_id": made["id"]}).json()
        [created] = mine["items"]
        assert created["type"] == "screening.created" and created["org"] == "org-a"
        assert created["actor"] == api.keys["submitter"].split(".")[0]
        assert created["payload"]["reference"] == made["reference"]
        assert created["payload"]["decision"] == made["decision"] and mine["next_after"] is None
        assert len(created["hash"]) == 64 and len(created["prev_hash"]) == 64

        seen: list[int] = []
        params: dict[str, object] = {"limit": 5}
        for _ in range(200):
            page = admin.get("/v1/audit", params=params).json()
            seen += [e["seq"] for e in page["items"]]
            assert {e["org"] for e in page["items"]} <= {"org-a", None}
            if page["next_after"] is None:
                break
            params["after"] = page["next_after"]
        assert seen == sorted(seen) and created["seq"] in seen
        keys = admin.get("/v1/audit", params={"type": "key.created"}).json()["items"]
        assert keys and all(e["type"] == "key.created" for e in keys)
        assert b_admin.get("/v1/audit", params={"screening_id": made["id"]}).json()[
            "items"] == []
        assert_problem(admin.get("/v1/audit", params={"type": "nothing"}), 422)

        head = admin.get("/v1/audit/head").json()
        assert head["count"] >= created["seq"] and head["head"] == f"{head['hash']}:" \
                                                                   f"{head['count']}"
    store = SqlStore.from_url(api.database_url)
    try:
        assert audit_head(store).count >= head["count"]
        assert verify_audit(store).ok
    finally:
        store.dispose()


def test_reload_is_for_admins_and_recorded(api: LiveServer) -> None:
    with api.client("admin") as admin:
        version = admin.get("/readyz").json()["ruleset"]["version"]
        reloaded = admin.post("/v1/rules:reload")
        assert reloaded.status_code == 200, reloaded.text
        body = reloaded.json()
        assert body == {**body, "ok": True, "version": version, "previous": version,
                        "changed": False}
        loads = admin.get("/v1/audit", params={"type": "ruleset.loaded"}).json()["items"]
        assert loads[-1]["actor"] == api.keys["admin"].split(".")[0]
        assert loads[-1]["payload"]["trigger"] == "api" and loads[-1]["org"] is None
        assert loads[0]["payload"]["trigger"] == "startup"


@pytest.fixture
def own_rules_server(server_logs: Path, tmp_path: Path) -> Iterator[tuple[LiveServer, Path]]:
    """A server of its own (SQLite) over a copy of rules/ that the test may break."""
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    server = start_server(f"sqlite:///{tmp_path / 'reload.db'}", "sqlite", server_logs,
                          rules_dir=rules)
    try:
        yield server, rules
    finally:
        stop_server(server)


def _serving(http: httpx.Client) -> str:
    version: str = http.get("/readyz").json()["ruleset"]["version"]
    return version


def test_a_bad_ruleset_is_refused_and_sighup_reloads(
        own_rules_server: tuple[LiveServer, Path]) -> None:
    server, rules = own_rules_server
    pack = sorted(rules.glob("*.yaml"))[0]
    good = pack.read_text("utf-8")
    with server.client("admin") as admin:
        before = _serving(admin)
        pack.write_text(good + "\n  - id: [unclosed\n", "utf-8")
        refused = admin.post("/v1/rules:reload")
        problem = assert_problem(refused, 422)
        assert problem["serving"] == before and problem["problems"]
        assert any(pack.name in p for p in problem["problems"])
        assert _serving(admin) == before
        assert admin.post("/v1/screenings", json=shipment()).status_code == 201

        server.process.send_signal(signal.SIGHUP)  # still bad: refused, still serving
        deadline = time.monotonic() + 20
        while "SIGHUP: ruleset refused" not in server.log() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "SIGHUP: ruleset refused" in server.log()
        assert server.process.poll() is None and _serving(admin) == before

        pack.write_text(good + "\n# edited\n", "utf-8")
        server.process.send_signal(signal.SIGHUP)
        while _serving(admin) == before and time.monotonic() < deadline:
            time.sleep(0.1)
        after = _serving(admin)
        assert after != before
        loads = admin.get("/v1/audit", params={"type": "ruleset.loaded"}).json()["items"]
        assert [(e["payload"]["trigger"], e["payload"]["version"]) for e in loads] == [
            ("startup", before), ("sighup", after)]
