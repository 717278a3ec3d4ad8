"""The app factory, the OpenAPI document, and ``write_openapi`` for ``assay openapi``."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import signal
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as dist_version
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from ..auth import KeyCache
from ..engine import Ruleset
from ..store import StoreError
from ..ui import router as ui_router
from .deps import Services
from .handread import add_components
from .metrics import Metrics, mark_process_dead
from .middleware import EdgeMiddleware
from .problems import PROBLEM_JSON, install_handlers
from .routers import audit, health, rules, screenings
from .rulesets import ReloadFollower, RulesetHolder
from .security import PROTECTED_PREFIX, SCHEME, SECURITY_SCHEME, AuthMiddleware
from .settings import Settings

log = logging.getLogger("assay.api")
# Allocations (net of frees) between two collections of the youngest generation.
GC_THRESHOLD = 50_000

DESCRIPTION = """\
Assay screens export shipments of strategic minerals from China (gallium, germanium, antimony,
graphite, rare earths, tungsten and the other dual-use items) for smuggling red flags. Every
finding cites the source text it comes from.

Every `/v1` route needs an API key: `Authorization: Bearer <key>` (401 without a valid one,
403 when its role is not enough). A key belongs to one organisation and sees only that
organisation's screenings. Roles: submitter (screen, read), reviewer (+ review), admin (+ reload
the rules, read the audit trail). `/healthz`, `/readyz` and `/metrics` are open.

Errors are RFC 9457 `application/problem+json`; a 422 lists each bad field in `errors` with
`loc`, a JSON pointer into the request part named by `in`. Every response carries
`X-Request-ID` (echoed when the request sends one). POSTs accept `Idempotency-Key`.
"""


def _install_sighup(services: Services) -> Callable[[], None]:
    """SIGHUP reloads the rules (in a worker thread); returns what puts the old handler back.

    Only from the main thread (a server process, not a test client's thread). Like
    ``POST /v1/rules:reload``, a reload that takes is followed by every other server process on
    the database. Under ``--workers N`` uvicorn's supervisor takes SIGHUP itself and restarts
    the workers, which load the rules as they start.
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(
            signal, "SIGHUP"):
        return lambda: None
    loop = asyncio.get_running_loop()

    def reload() -> None:
        try:
            result = services.reload_rules(trigger="sighup")
        except Exception:  # keep serving whatever happens
            log.exception("SIGHUP: ruleset reload failed")
            return
        if result.ok:
            log.info("SIGHUP: serving ruleset %s (was %s)", result.version, result.previous)
        else:
            log.error("SIGHUP: ruleset refused, still serving %s:\n%s", result.version,
                      "\n".join(result.problems))

    def on_sighup(_signum: int, _frame: object) -> None:
        loop.call_soon_threadsafe(loop.run_in_executor, None, reload)

    previous = signal.signal(signal.SIGHUP, on_sighup)

    def uninstall() -> None:
        signal.signal(signal.SIGHUP, previous)

    return uninstall



def _version() -> str:
    try:
        return dist_version("assay")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0.0.0"


def create_app(settings: Settings | None = None) -> FastAPI:
    """A new, independent app. Nothing is opened until the server starts it (the lifespan):
    then the store opens and the ruleset loads, and a bad ruleset stops the start."""
    settings = settings or Settings()
    metrics = Metrics()

    def ruleset_changed(ruleset: Ruleset) -> None:
        metrics.set_ruleset(ruleset.version, len(ruleset.rules))

    services = Services(
        settings=settings, metrics=metrics,
        rulesets=RulesetHolder(settings.rules_dir, settings.seeds_dir, on_change=ruleset_changed),
        keys=KeyCache(settings.auth_cache_seconds),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        store = services.open_store()
        ruleset = services.rulesets.load()
        # The ruleset and everything imported live as long as the process: keep them out of
        # the collector's way so that large batches do not pay for traversing them. What a
        # request allocates is freed by reference counting as it ends; collecting cycles
        # every 700 new objects (the default) would walk each batch's screenings many times.
        gc.collect()
        gc.freeze()
        gc.set_threshold(GC_THRESHOLD, 10, 10)
        log.info("serving ruleset %s (%d rules) on %s", ruleset.version, len(ruleset.rules),
                 store.backend)
        try:
            if store.revision() != store.expected_revision():
                log.warning("database schema is not at %s: run `assay db upgrade`",
                            store.expected_revision())
            else:
                services.record_ruleset(trigger="startup", previous=None)
                services.note_reload_requests()
        except StoreError as exc:
            log.warning("database not reachable at startup: %s", exc)
        # Reloads done by other processes on this database (workers, hosts) reach this one.
        follower = ReloadFollower(services.follow_reload_request,
                                  settings.reload_poll_seconds)
        follower.start()
        uninstall = _install_sighup(services)
        try:
            yield
        finally:
            uninstall()
            follower.stop()
            services.close_store()
            mark_process_dead(os.getpid())

    app = FastAPI(
        title="Assay", version=_version(), description=DESCRIPTION, lifespan=lifespan,
        docs_url="/docs", redoc_url=None,
    )
    app.state.services = services
    install_handlers(app)

    def body_limit(path: str) -> int:
        if path.endswith(":batch"):
            return settings.max_batch_body_bytes
        return settings.max_body_bytes

    # Added first, so inside EdgeMiddleware: its answers get the request id and are counted.
    app.add_middleware(AuthMiddleware, keys=services.keys, store=lambda: services.store)
    app.add_middleware(EdgeMiddleware, metrics=metrics, body_limit=body_limit)
    app.include_router(screenings.router)
    app.include_router(rules.router)
    app.include_router(audit.router)
    app.include_router(health.router)
    app.include_router(ui_router)

    def custom_openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _finish_openapi(get_openapi(
                title=app.title, version=app.version, description=app.description,
                routes=app.routes, tags=TAGS,
            ))
        return app.openapi_schema

    app.openapi = custom_openapi  # type: ignore[method-assign]
    return app


def app_from_env() -> FastAPI:
    """The app with settings from the environment (uvicorn's ``--factory`` target)."""
    return create_app(Settings())


TAGS = [
    {"name": "screenings", "description": "Screen shipments and read stored screenings."},
    {"name": "review", "description": "The review queue and review decisions."},
    {"name": "audit", "description": "The hash-chained audit trail (admins)."},
    {"name": "rules", "description": "The serving ruleset."},
    {"name": "sources", "description": "The source articles rules cite."},
    {"name": "checklist", "description": "What a kind of shipment needs before it leaves."},
    {"name": "operations", "description": "Health, readiness and metrics."},
]

_REQUEST_ID = {
    "X-Request-ID": {
        "description": "the request's id: echoed from the request, or generated",
        "schema": {"type": "string"},
    }
}


def _finish_openapi(schema: dict[str, Any]) -> dict[str, Any]:
    """Error responses as problem+json, X-Request-ID on every response, a catch-all default,
    and the bearer scheme on every /v1 operation (``AuthMiddleware`` enforces it)."""
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    schema.setdefault("components", {}).setdefault("securitySchemes", {})[SCHEME] = \
        SECURITY_SCHEME
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            if path.startswith(PROTECTED_PREFIX):
                operation["security"] = [{SCHEME: []}]
            responses: dict[str, Any] = operation.setdefault("responses", {})
            responses.setdefault("default", {"description": "Error (problem details)"})
            for status, response in responses.items():
                if status == "default" or int(status) >= 400:
                    response["content"] = {PROBLEM_JSON: {"schema": problem_ref}}
                    if status == "422":
                        response["description"] = "Invalid request: `errors` lists each bad field"
                response.setdefault("headers", {}).update(_REQUEST_ID)
    add_components(schema)
    components = schema.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema


def openapi_document(settings: Settings | None = None) -> dict[str, Any]:
    """The OpenAPI document of the app (nothing is started or opened)."""
    return create_app(settings or Settings()).openapi()


def render_openapi(settings: Settings | None = None) -> str:
    """The OpenAPI document as the text ``openapi/openapi.json`` holds."""
    return json.dumps(openapi_document(settings), indent=2, ensure_ascii=False) + "\n"


def write_openapi(path: Path | str = Path("openapi/openapi.json")) -> Path:
    """Write the OpenAPI document to ``path`` (parents created); ``assay openapi`` calls this."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_openapi(), encoding="utf-8")
    return target
