"""Health, readiness, metrics (one worker and several), and the OpenAPI document."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import httpx
import pytest

from service.api import openapi_document, render_openapi
from service.store import upgrade

from .api_support import (
    ROOT,
    bearer,
    free_port,
    launch,
    make_keys,
    server_env,
    shipment,
    stop_server,
)

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
    key = make_keys(database, {"submitter": ("org-a", "submitter")})["submitter"]
    port = free_port()
    code = ("from service.api import serve; "
            f"serve(port={port}, workers=2, log_level='warning', access_log=False)")
    server = launch([sys.executable, "-c", code], database, "sqlite",
                    server_logs / "workers.log", port, server_env(database))
    try:
        n = 24
        for _ in range(n):
            # A new connection each time, so that both workers get requests.
            with server.client(key) as one:
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


def test_openapi_declares_bearer_auth_on_every_v1_route() -> None:
    doc = openapi_document()
    scheme = doc["components"]["securitySchemes"]["bearerAuth"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
    for path, operations in doc["paths"].items():
        for operation in operations.values():
            if path.startswith("/v1/"):
                assert operation["security"] == [{"bearerAuth": []}], path
                assert {"401", "403"} <= set(operation["responses"]), path
                assert "WWW-Authenticate" in operation["responses"]["401"]["headers"]
            else:
                assert "security" not in operation, path


def test_v1_needs_a_key_but_health_and_metrics_do_not(api: object) -> None:
    from .api_support import LiveServer, assert_problem

    assert isinstance(api, LiveServer)
    with api.client(None) as anonymous:
        for path in ("/healthz", "/readyz", "/metrics", "/openapi.json"):
            assert anonymous.get(path).status_code == 200, path
        for method, path in (("GET", "/v1/screenings"), ("GET", "/v1/rules"),
                             ("POST", "/v1/screenings"), ("GET", "/v1/audit/head"),
                             ("POST", "/v1/rules:reload"), ("GET", "/v1/queue/counts")):
            problem = assert_problem(anonymous.request(method, path), 401)
            assert "Bearer" in problem["detail"]
        missing = anonymous.get("/v1/screenings")
        assert missing.headers["www-authenticate"] == 'Bearer realm="assay"'
        for header in ("Bearer ak_0000000000000000.x", "Basic dXNlcjpwYXNz", "Bearer",
                       "Bearer " + "ak_0000000000000000." + "A" * 43):
            response = anonymous.get("/v1/screenings", headers={"Authorization": header})
            assert_problem(response, 401)
        wrong = anonymous.get("/v1/screenings", headers=bearer(
            api.keys["admin"][:-4] + "AAAA"))
        assert 'error="invalid_token"' in wrong.headers["www-authenticate"]


def test_readyz_fails_when_the_store_writer_is_gone(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A server whose writer process died stores nothing: it must stop saying it is ready."""
    import asyncio

    from service.api.app import create_app
    from service.api.settings import Settings

    url = f"sqlite:///{tmp_path / 'assay.db'}"
    upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    app = create_app(Settings())

    async def check() -> None:
        async with app.router.lifespan_context(app), httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://assay") as client:
            assert (await client.get("/readyz")).status_code == 200
            process = app.state.services.writer._process
            process.kill()
            process.wait(10)
            response = await client.get("/readyz")
            assert response.status_code == 503
            assert "store writer" in response.json()["detail"]

    asyncio.run(check())
