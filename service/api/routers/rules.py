"""The rulebook: rules, the source articles they cite, the checklist for a kind of shipment, and
reloading the rules (admins). Every route needs an API key (``security.AuthMiddleware``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel

from ...engine import CompiledRule, Ruleset, checklist_for
from ...engine.sources import Seed
from ...models import RulesetRef
from ...models.types import Country, HsCode
from ...reference.countries import to_alpha2
from ...reference.hs import canonical_hs
from ..deps import RulesetDep, ServicesDep
from ..params import IsoDate
from ..rulesets import RulesetRefused
from ..schemas import (
    ChecklistAnswer,
    EffectiveWindow,
    ReloadResultOut,
    RuleDetail,
    RuleExamples,
    RuleList,
    RuleReference,
    RuleSummary,
    Source,
    SourceList,
    SourceSummary,
)
from ..security import AdminDep
from .common import AUTH, problem_responses

router = APIRouter(prefix="/v1", tags=["rules"])


def _ref(ruleset: Ruleset) -> RulesetRef:
    return RulesetRef(version=ruleset.version, rules=len(ruleset.rules))


def _summary_fields(rule: CompiledRule) -> dict[str, Any]:
    spec = rule.spec
    return {
        "id": spec.id, "title": spec.title, "red_flag": spec.red_flag,
        "category": spec.category, "severity": spec.severity,
        "effective": EffectiveWindow(from_=spec.effective.from_, until=spec.effective.until),
    }


def _example(example: str | BaseModel) -> str | dict[str, Any]:
    return example if isinstance(example, str) else example.model_dump(mode="json")


@router.get("/rules", response_model=RuleList, operation_id="listRules",
            summary="The rules of the serving ruleset", responses=problem_responses(*AUTH, 503))
def list_rules(ruleset: RulesetDep) -> RuleList:
    return RuleList(ruleset=_ref(ruleset),
                    rules=[RuleSummary(**_summary_fields(rule)) for rule in ruleset.rules])


@router.get("/rules/{rule_id}", response_model=RuleDetail, operation_id="getRule",
            summary="One rule with its condition, citations, references and examples",
            responses=problem_responses(*AUTH, 404, 422, 503))
def get_rule(
    rule_id: Annotated[str, Path(min_length=1, max_length=100,
                                 examples=["transshipment.hub-transit"])],
    ruleset: RulesetDep,
) -> RuleDetail:
    rule = ruleset.rule(rule_id)
    if rule is None:
        raise HTTPException(404, f"no rule {rule_id!r} in ruleset {ruleset.version}")
    spec = rule.spec
    return RuleDetail(
        **_summary_fields(rule),
        message=spec.message, action=spec.action, verified_as_of=spec.verified_as_of,
        when=spec.when, citations=list(rule.citations),
        references=[RuleReference(**r.model_dump()) for r in spec.references],
        examples=RuleExamples(hit=[_example(e) for e in spec.examples.hit],
                              miss=[_example(e) for e in spec.examples.miss]),
        file=rule.file, line=rule.line, ruleset=_ref(ruleset),
    )


def _source_fields(seed: Seed) -> dict[str, Any]:
    return {"id": seed.id, "file": seed.file, "title": seed.title, "publisher": seed.publisher,
            "published": seed.published, "reports": seed.reports, "length": len(seed.text)}


@router.get("/sources", response_model=SourceList, operation_id="listSources",
            summary="The source articles rules cite", tags=["sources"],
            responses=problem_responses(*AUTH, 503))
def list_sources(ruleset: RulesetDep) -> SourceList:
    return SourceList(ruleset=_ref(ruleset), sources=[
        SourceSummary(**_source_fields(seed)) for seed in ruleset.seeds.values()])


@router.get("/sources/{source_id}", response_model=Source, operation_id="getSource",
            summary="One source article: metadata and the full text citation spans index into",
            tags=["sources"], responses=problem_responses(*AUTH, 404, 422, 503))
def get_source(
    source_id: Annotated[str, Path(min_length=1, max_length=50, examples=["seed-004"])],
    ruleset: RulesetDep,
) -> Source:
    seed = ruleset.seeds.get(source_id)
    if seed is None:
        raise HTTPException(404, f"no source {source_id!r}")
    return Source(**_source_fields(seed), text=seed.text)


@router.get("/checklist", response_model=ChecklistAnswer, operation_id="getChecklist",
            summary="What a shipment of these goods to this destination needs before it leaves",
            tags=["checklist"], responses=problem_responses(*AUTH, 422, 503))
def get_checklist(
    hs_code: Annotated[HsCode, Query(description="any usual spelling: 8112.92, 811292")],
    destination: Annotated[Country, Query(description="ISO alpha-2/alpha-3 or a name")],
    ruleset: RulesetDep,
    ship_date: Annotated[IsoDate | None, Query(description="default: today (UTC)")] = None,
) -> ChecklistAnswer:
    code = canonical_hs(hs_code) or hs_code
    country = to_alpha2(destination) or destination
    day = ship_date or dt.datetime.now(dt.UTC).date()
    items = checklist_for(ruleset, hs_code=code, destination=country, ship_date=day)
    return ChecklistAnswer(hs_code=code, destination=country, ship_date=day,
                           ruleset=_ref(ruleset), items=items)


@router.post(
    "/rules:reload", response_model=ReloadResultOut, operation_id="reloadRules",
    summary="Load the rules from disk again (admins); a bad ruleset is refused",
    description="All or nothing: a ruleset with any problem is refused (422, `problems` lists "
                "them) and the last good one keeps serving, in every process. A good one "
                "serves from the next request on in the process that answers (`version`), is "
                "recorded in the audit trail (ruleset.loaded) and becomes reload request "
                "`generation`: every other server process on the same database (the other "
                "workers, other hosts) follows within about 2 s, reloading from its own rules "
                "directory (and keeping its last good ruleset should that one be refused). "
                "SIGHUP to a single-worker server does the same.",
    responses=problem_responses(
        *AUTH, 422, 503,
        descriptions={422: "The ruleset on disk has problems (`problems`); the last good one "
                           "(`serving`) keeps serving"}),
)
def reload_rules(services: ServicesDep, principal: AdminDep) -> ReloadResultOut:
    result = services.reload_rules(trigger="api", actor=principal)
    if not result.ok:
        raise RulesetRefused(result)
    assert result.version is not None
    return ReloadResultOut(ok=True, version=result.version, previous=result.previous,
                           rules=result.rules, changed=result.version != result.previous,
                           generation=result.generation)
