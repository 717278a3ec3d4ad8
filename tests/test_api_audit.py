"""The audit trail and rule reloads over HTTP: GET /v1/audit and /v1/audit/head (admins, per
organisation), POST /v1/rules:reload (a bad ruleset is refused and the last good one keeps
serving; a good one reaches every worker) and SIGHUP, against live servers."""

from __future__ import annotations

import re
import shutil
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from service.store import SqlStore
from service.workflow import audit_head, verify_audit

from .api_support import (
    ROOT,
    LiveServer,
    assert_problem,
    free_port,
    launch,
    make_keys,
    server_env,
    shipment,
    start_server,
    stop_server,
)

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
        params: dict[str, int] = {"limit": 5}
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

        def loads() -> list[tuple[str, str]]:
            items = admin.get("/v1/audit", params={"type": "ruleset.loaded"}).json()["items"]
            return [(e["payload"]["trigger"], e["payload"]["version"]) for e in items]

        # the new ruleset serves first; its audit event is committed just after
        while len(loads()) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert loads() == [("startup", before), ("sighup", after)]


# ------------------------------------------------------------------------------ several workers

_RULESET_INFO = re.compile(r"^assay_ruleset_info\{([^}]*)\} (\S+)$", re.MULTILINE)


def _worker_versions(http: httpx.Client) -> dict[str, str]:
    """pid -> the ruleset version that worker serves, from /metrics (which sums all workers
    and keeps ``assay_ruleset_info`` per pid)."""
    serving: dict[str, str] = {}
    for labels, value in _RULESET_INFO.findall(http.get("/metrics").text):
        found = dict(re.findall(r'(\w+)="([^"]*)"', labels))
        if float(value) == 1 and "pid" in found:
            serving[found["pid"]] = found["version"]
    return serving


def _wait_for_workers(http: httpx.Client, want: set[str], *, workers: int = 2,
                      seconds: float = 6.0) -> dict[str, str]:
    """Poll /metrics (at most 40 times in ``seconds``) until ``workers`` workers serve a
    version in ``want``; return what they serve then."""
    deadline = time.monotonic() + seconds
    serving = _worker_versions(http)
    for _ in range(40):
        if len(serving) >= workers and set(serving.values()) <= want:
            break
        if time.monotonic() > deadline:
            break
        time.sleep(seconds / 40)
        serving = _worker_versions(http)
    return serving


def _rule_severities(server: LiveServer, rule_id: str, n: int = 20) -> set[str]:
    """The rule's severity as ``n`` fresh connections see it (they spread over the workers)."""
    seen: set[str] = set()
    for _ in range(n):
        with server.client("admin") as one:
            seen.add(one.get(f"/v1/rules/{rule_id}").json()["severity"])
    return seen


@pytest.fixture
def two_workers(server_logs: Path, tmp_path: Path, database_url: str
                ) -> Iterator[tuple[LiveServer, Path]]:
    """`assay serve --workers 2` (``serve(workers=2)``) over a copy of rules/ the test may
    edit, on SQLite and on PostgreSQL."""
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    keys = make_keys(database_url, {"admin": ("org-a", "admin")})
    port = free_port()
    code = ("from service.api import serve; "
            f"serve(port={port}, workers=2, log_level='info', access_log=False)")
    server = launch([sys.executable, "-c", code], database_url, "workers",
                    tmp_path / "workers.log", port,
                    server_env(database_url, ASSAY_RULES_DIR=str(rules)))
    server.keys = keys
    try:
        yield server, rules
    finally:
        stop_server(server)


def test_a_reload_reaches_every_worker_and_a_bad_one_none(
        two_workers: tuple[LiveServer, Path]) -> None:
    server, rules = two_workers
    rule_id = "concealment.postal-channel"
    pack = rules / "concealment.yaml"
    good = pack.read_text("utf-8")
    with server.client("admin") as admin:
        before = _serving(admin)
        started = _wait_for_workers(admin, {before})
        assert len(started) == 2 and set(started.values()) == {before}, server.log()
        assert _rule_severities(server, rule_id) == {"high"}

        edited = good.replace("    severity: high\n", "    severity: medium\n", 1)
        assert edited != good
        pack.write_text(edited, "utf-8")
        reloaded = admin.post("/v1/rules:reload")
        assert reloaded.status_code == 200, reloaded.text
        body = reloaded.json()
        after = body["version"]
        assert after != before and body["previous"] == before and body["changed"] is True

        # The other worker follows within ~2 s (it polls for reload requests every second).
        serving = _wait_for_workers(admin, {after})
        assert set(serving) == set(started) and set(serving.values()) == {after}, (
            serving, server.log())
        assert _rule_severities(server, rule_id) == {"medium"}
        assert isinstance(body["generation"], int) and body["generation"] >= 1

        # One ruleset.loaded for the reload (workers that follow record none).
        loads = admin.get("/v1/audit", params={"type": "ruleset.loaded"}).json()["items"]
        assert [(e["payload"]["trigger"], e["payload"]["version"]) for e in loads] == [
            ("startup", before), ("api", after)]
        assert loads[-1]["payload"]["generation"] == body["generation"]

        # A broken ruleset is refused, and no worker drops the last good one.
        pack.write_text(edited + "\n  - id: [unclosed\n", "utf-8")
        refused = assert_problem(admin.post("/v1/rules:reload"), 422)
        assert refused["serving"] == after and refused["problems"]
        time.sleep(2.5)  # longer than a follower's poll: nothing is there to follow
        assert _worker_versions(admin) == serving
        assert _rule_severities(server, rule_id) == {"medium"}
        made = admin.post("/v1/screenings", json=shipment())
        assert made.status_code == 201 and made.json()["ruleset"]["version"] == after
