"""Health, readiness, metrics (one worker and several), and the OpenAPI document."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import httpx

from service.api import openapi_document, render_openapi
from service.store import upgrade

from .api_support import ROOT, free_port, launch, server_env, shipment, stop_server

pytest_plugins = ["tests.api_fixtures"]  # store and API fixtures (see its docstring)

OPENAPI_FILE = ROOT / "openapi" / "openapi.json"


def test_healthz_and_readyz(client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["database"] == "ok"
    assert ready["ruleset"]["version"].startswith("sha256:")
    assert ready["schema_revision"]


def _metric(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_metrics_count_requests_screenings_and_ruleset(client: httpx.Client) -> None:
    before = client.get("/metrics").text
    made = client.post("/v1/screenings", json=shipment()).json()
    client.get("/v1/screenings/scr_missing")
    after = client.get("/metrics")
    assert after.headers["content-type"].startswith("text/plain")
    text = after.text
    decision = made["decision"]
    assert (_metric(text, "assay_screenings_total", decision=decision)
            == _metric(before, "assay_screenings_total", decision=decision) + 1)
    assert _metric(text, "assay_http_requests_total", route="/v1/screenings/{screening_id}",
                   status="404") >= 1
    assert _metric(text, "assay_http_request_duration_seconds_count",
                   route="/v1/screenings", method="POST") >= 1
    version = made["ruleset"]["version"]
    assert _metric(text, "assay_ruleset_info", version=version) == 1


def test_metrics_add_up_across_workers(server_logs: Path) -> None:
    """`serve(workers=2)` turns on multiprocess mode; /metrics sums both workers."""
    database = f"sqlite:///{server_logs / 'workers.db'}"
    upgrade(database)
    port = free_port()
    code = ("from service.api import serve; "
            f"serve(port={port}, workers=2, log_level='warning', access_log=False)")
    server = launch([sys.executable, "-c", code], database, "sqlite",
                    server_logs / "workers.log", port, server_env(database))
    try:
        n = 24
        for _ in range(n):
            # A new connection each time, so that both workers get requests.
            with server.client() as one:
                assert one.post("/v1/screenings", json=shipment()).status_code == 201
        with server.client() as http:
            text = http.get("/metrics").text
        pids = set(re.findall(r'assay_ruleset_info\{pid="(\d+)"', text))
        assert _metric(text, "assay_screenings_total") == n, text
        assert _metric(text, "assay_http_requests_total", route="/v1/screenings",
                       method="POST", status="201") == n
        assert len(pids) == 2, text
    finally:
        stop_server(server)


def test_openapi_file_matches_the_app() -> None:
    """Run `assay openapi` (service.api.write_openapi) after changing the API."""
    assert OPENAPI_FILE.exists(), "openapi/openapi.json is missing: run `assay openapi`"
    assert json.loads(OPENAPI_FILE.read_text("utf-8")) == openapi_document(), (
        "openapi/openapi.json is out of date: run `assay openapi`")
    assert OPENAPI_FILE.read_text("utf-8") == render_openapi()


def test_served_openapi_is_the_file(client: httpx.Client) -> None:
    assert client.get("/openapi.json").json() == json.loads(OPENAPI_FILE.read_text("utf-8"))


def test_openapi_documents_problems_examples_and_headers() -> None:
    doc = openapi_document()
    create = doc["paths"]["/v1/screenings"]["post"]
    assert set(create["responses"]) >= {"201", "409", "413", "415", "422", "default"}
    assert "application/problem+json" in create["responses"]["422"]["content"]
    assert "Location" in create["responses"]["201"]["headers"]
    assert create["responses"]["201"]["content"]["application/json"]["example"]
    body_schema = create["requestBody"]["content"]["application/json"]["schema"]
    assert body_schema == {"$ref": "#/components/schemas/Shipment"}
    assert doc["components"]["schemas"]["Shipment"]["examples"]
    batch = doc["components"]["schemas"]["BatchRequest"]["properties"]["shipments"]
    assert batch["items"] == {"$ref": "#/components/schemas/Shipment"}
    for path in doc["paths"].values():
        for operation in path.values():
            for response in operation["responses"].values():
                assert "X-Request-ID" in response["headers"]
