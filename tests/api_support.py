"""Helpers for the store and API tests: PostgreSQL schemas, live uvicorn servers, API keys,
test data.

The fixtures built on these are in ``api_fixtures.py``; test modules import helpers from here.
Every live server's database gets two organisations with keys made through the store
(``TEST_KEYS``): ``org-a`` (admin, submitter, reviewer, reviewer2) and ``org-b`` (admin,
submitter, reviewer). ``LiveServer.client(name)`` sends the named key.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from service.auth import create_key
from service.models import Citation, Evidence, Finding, RulesetRef, Screening
from service.store import SqlStore, normalise_url, upgrade

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get(
    "ASSAY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() == "true"

# ------------------------------------------------------------------------------ PostgreSQL


def _connect(**extra: Any) -> Any:
    import psycopg

    url = normalise_url(POSTGRES_URL)
    return psycopg.connect(
        host=url.host or "127.0.0.1", port=url.port or 5432, user=url.username,
        password=url.password, dbname=url.database, connect_timeout=3, **extra,
    )


_pg_problem: list[str | None] = []


def require_postgres() -> None:
    """Skip when PostgreSQL does not answer, with the reason; under CI=true, fail instead."""
    if not _pg_problem:
        import psycopg

        try:
            with _connect() as conn:
                conn.execute("SELECT 1")
            _pg_problem.append(None)
        except psycopg.Error as exc:
            url = normalise_url(POSTGRES_URL)
            _pg_problem.append(
                f"PostgreSQL not reachable at {url.host}:{url.port or 5432}: {exc}".strip())
    problem = _pg_problem[0]
    if problem is not None:
        if IN_CI:
            pytest.fail(f"CI=true and {problem}")
        pytest.skip(problem)


def pg_schema() -> Iterator[str]:
    """Yield the URL of a new schema (via ``search_path``); drop the schema afterwards."""
    require_postgres()
    name = f"assay_test_{uuid.uuid4().hex[:12]}"
    with _connect(autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    sep = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{sep}options={quote(f'-csearch_path={name}')}"
    finally:
        with _connect(autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


# ------------------------------------------------------------------------------ live servers


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# name -> (organisation, role) of the keys every test server's database gets.
TEST_KEYS: dict[str, tuple[str, str]] = {
    "admin": ("org-a", "admin"),
    "submitter": ("org-a", "submitter"),
    "reviewer": ("org-a", "reviewer"),
    "reviewer2": ("org-a", "reviewer"),
    "b_admin": ("org-b", "admin"),
    "b_submitter": ("org-b", "submitter"),
    "b_reviewer": ("org-b", "reviewer"),
}


def make_keys(database_url: str, wanted: dict[str, tuple[str, str]] | None = None
              ) -> dict[str, str]:
    """Make API keys through the store: name -> raw key (``TEST_KEYS`` by default)."""
    store = SqlStore.from_url(database_url)
    try:
        return {name: create_key(store, org=org, role=role, name=f"test {name}").key
                for name, (org, role) in (wanted or TEST_KEYS).items()}
    finally:
        store.dispose()


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@dataclass
class LiveServer:
    base_url: str
    database_url: str
    backend: str
    process: subprocess.Popen[bytes]
    log_path: Path
    keys: dict[str, str] = field(default_factory=dict)

    def client(self, key: str | None = "admin", **kwargs: Any) -> httpx.Client:
        """A client sending the test key ``key`` (a name in ``keys``, or a raw key); None sends
        no key."""
        headers = dict(kwargs.pop("headers", {}))
        if key is not None:
            headers.update(bearer(self.keys.get(key, key)))
        return httpx.Client(base_url=self.base_url, timeout=30.0, headers=headers, **kwargs)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "ASSAY_RULES_DIR": str(ROOT / "rules"),
        "ASSAY_SEEDS_DIR": str(ROOT / "seeds"),
        **extra,
    }
    if "PROMETHEUS_MULTIPROC_DIR" not in extra:
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return env


def launch(command: list[str], database_url: str, backend: str, log_path: Path,
           port: int, env: dict[str, str]) -> LiveServer:
    """Start a server process and wait until ``/readyz`` answers 200 (60 s at most)."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
    server = LiveServer(f"http://127.0.0.1:{port}", database_url, backend, process, log_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{server.log()}")
        try:
            if httpx.get(f"{server.base_url}/readyz", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    stop_server(server)
    raise RuntimeError(f"server did not become ready:\n{server.log()}")


def start_server(database_url: str, backend: str, log_dir: Path, *,
                 rules_dir: Path | None = None, seeds_dir: Path | None = None) -> LiveServer:
    """Migrate, make the test keys, then run uvicorn on the app factory in a subprocess on a
    free port (``uvicorn --factory``: one worker, so SIGHUP reaches the app)."""
    upgrade(database_url)
    keys = make_keys(database_url)
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", "service.api.app:app_from_env", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "info", "--no-access-log",
    ]
    extra = {}
    if rules_dir is not None:
        extra["ASSAY_RULES_DIR"] = str(rules_dir)
    if seeds_dir is not None:
        extra["ASSAY_SEEDS_DIR"] = str(seeds_dir)
    server = launch(command, database_url, backend, log_dir / f"uvicorn-{backend}-{port}.log",
                    port, server_env(database_url, **extra))
    server.keys = keys
    return server


def stop_server(server: LiveServer) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=5)


# ------------------------------------------------------------------------------ data builders


def unique_reference(prefix: str = "T") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def make_screening(
    *, screening_id: str | None = None, reference: str = "PO-1", decision: str = "hold",
    red_flags: tuple[str, ...] = ("TRX-HUB",), version: str = "sha256:test",
) -> Screening:
    """A hand-built screening (the engine's output shape) for store tests."""
    from service.ids import new_screening_id

    citation = Citation(
        source="seed-004", title="t", publisher="p", published="2025-01-01",
        quote="transshipment through third-party nations", span=(812, 853),
    )
    findings = [
        Finding(
            rule_id=f"test.{code.lower()}", red_flag=code, title=f"{code} fired",
            category="transshipment", severity="high", message=f"{code} message",
            evidence=[Evidence(path="route.transit_countries[1]", value="MY", why="in list")],
            citations=[citation], action="Check it.",
        )
        for code in (red_flags if decision != "clear" else ())
    ]
    return Screening.model_validate({
        "id": screening_id or new_screening_id(),
        "reference": reference,
        "as_of": dt.date(2025, 8, 4),
        "ruleset": RulesetRef(version=version, rules=3),
        "decision": decision,
        "risk_score": 80 if findings else 0,
        "findings": findings,
        "checklist": [],
        "normalised": [{"path": "route.transit_countries[0]", "from": "Hongkong", "to": "HK"}],
    })


def shipment(**changes: Any) -> dict[str, Any]:
    """A fresh copy of the example shipment with a unique reference (and ``changes``)."""
    import copy

    from service.models import EXAMPLE_SHIPMENT

    body = copy.deepcopy(EXAMPLE_SHIPMENT)
    body["reference"] = unique_reference("PO")
    body.update(changes)
    return body


PROBLEM_JSON = "application/problem+json"


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """Check an RFC 9457 problem response with ``status``; return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"] and body["type"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body
