"""Liveness, readiness and metrics."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ...models import RulesetRef
from ..deps import ServicesDep
from ..schemas import Health, Readiness
from .common import problem_responses

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health, operation_id="healthz",
            summary="The process is alive")
async def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, operation_id="readyz",
            summary="The database answers at the expected schema, the store writer runs and a "
                    "ruleset is loaded",
            responses=problem_responses(503))
def readyz(services: ServicesDep) -> Readiness:
    ruleset = services.rulesets.current
    store = services.store
    if not services.writer.alive():
        raise HTTPException(503, "the store writer is not running: restart the server")
    store.ping()
    revision = store.revision()
    expected = store.expected_revision()
    if revision != expected:
        raise HTTPException(
            503, f"database schema is at {revision or 'nothing'}, expected {expected}: "
                 "run `assay db upgrade`")
    return Readiness(status="ready", database="ok", schema_revision=revision,
                     ruleset=RulesetRef(version=ruleset.version, rules=len(ruleset.rules)))


@router.get(
    "/metrics", operation_id="metrics", summary="Prometheus metrics (all workers)",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                     "description": "Prometheus text exposition format"}},
)
async def metrics(services: ServicesDep) -> Response:
    body = await run_in_threadpool(services.metrics.render)
    return Response(body, media_type=services.metrics.content_type)
