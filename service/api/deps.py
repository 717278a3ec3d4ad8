"""What routes get from the app, through ``Annotated`` dependency aliases (no module globals).

The dependency functions are ``async`` only so that FastAPI runs them inline: they do no I/O,
and a plain ``def`` would cost a threadpool round trip each.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from .. import workflow
from ..audit import AuditError
from ..auth import KeyCache, Principal
from ..engine import Ruleset
from ..store import GroupCommitWriter, SqlStore, StoreError, StoreUnavailable
from .metrics import Metrics
from .rulesets import ReloadResult, RulesetHolder
from .settings import Settings

log = logging.getLogger("assay.api")


@dataclass
class Services:
    """Everything one app instance owns. The store opens in the lifespan, not at import."""

    settings: Settings
    metrics: Metrics
    rulesets: RulesetHolder
    keys: KeyCache = field(default_factory=lambda: KeyCache(0.0))
    _store: SqlStore | None = field(default=None, repr=False)
    _writer: GroupCommitWriter | None = field(default=None, repr=False)

    @property
    def store(self) -> SqlStore:
        if self._store is None:
            raise StoreUnavailable("the store is not open (the app has not started)")
        return self._store

    @property
    def writer(self) -> GroupCommitWriter:
        """Where screenings are stored (group commit); reads use ``store`` directly."""
        if self._writer is None:
            raise StoreUnavailable("the store is not open (the app has not started)")
        return self._writer

    def open_store(self) -> SqlStore:
        if self._store is None:
            self._store = SqlStore.from_url(self.settings.database_url)
            self._writer = GroupCommitWriter(self._store)
            self._writer.start()
        return self._store

    def record_ruleset(self, *, trigger: str, previous: str | None,
                       actor: Principal | None = None) -> None:
        """Append ruleset.loaded for the serving ruleset (at startup only when it differs from
        the last one recorded). A store fault is logged, not raised: the ruleset serves."""
        ruleset = self.rulesets.current
        try:
            workflow.record_ruleset_loaded(
                self.store, version=ruleset.version, rules=len(ruleset.rules),
                previous=previous, trigger=trigger, actor=actor,
                only_if_changed=trigger == "startup")
        except (StoreError, AuditError) as exc:
            log.error("could not record ruleset.loaded for %s: %s", ruleset.version, exc)

    def reload_rules(self, *, trigger: str, actor: Principal | None = None) -> ReloadResult:
        """Reload the ruleset (``POST /v1/rules:reload``, SIGHUP): a bad one is refused and the
        last good one keeps serving; a good one is recorded in the audit trail."""
        result = self.rulesets.reload()
        self.metrics.ruleset_reloads.labels("ok" if result.ok else "refused").inc()
        if result.ok:
            self.record_ruleset(trigger=trigger, previous=result.previous, actor=actor)
        return result

    def close_store(self) -> None:
        if self._writer is not None:
            self._writer.stop()
            self._writer = None
        if self._store is not None:
            self._store.dispose()
            self._store = None


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def get_store(request: Request) -> SqlStore:
    services: Services = request.app.state.services
    return services.store


async def get_ruleset(request: Request) -> Ruleset:
    """The ruleset at the start of this request (a reload during it does not change it)."""
    services: Services = request.app.state.services
    return services.rulesets.current


async def get_settings(request: Request) -> Settings:
    services: Services = request.app.state.services
    return services.settings


ServicesDep = Annotated[Services, Depends(get_services)]
StoreDep = Annotated[SqlStore, Depends(get_store)]
RulesetDep = Annotated[Ruleset, Depends(get_ruleset)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
