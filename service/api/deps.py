"""What routes get from the app, through ``Annotated`` dependency aliases (no module globals).

The dependency functions are ``async`` only so that FastAPI runs them inline: they do no I/O,
and a plain ``def`` would cost a threadpool round trip each.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field, replace
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
    _seen_generation: int | None = field(default=None, repr=False)
    _seen_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

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
        last good one keeps serving. A good one is recorded in the audit trail together with a
        reload request that every other server process on the database follows (within
        ``reload_poll_seconds`` and its own load time); the result's ``generation`` names it.
        A store fault is logged, not raised: this process serves the new ruleset, the others
        keep theirs (``generation`` None)."""
        result = self.rulesets.reload()
        self.metrics.ruleset_reloads.labels("ok" if result.ok else "refused").inc()
        if not result.ok or result.version is None:
            return result
        try:
            recorded = workflow.record_ruleset_reload(
                self.store, version=result.version, rules=result.rules,
                previous=result.previous, trigger=trigger, actor=actor)
        except (StoreError, AuditError) as exc:
            log.error("could not record the reload of %s; other server processes will not "
                      "follow it: %s", result.version, exc)
            return result
        self._seen(recorded.request.generation)
        return replace(result, generation=recorded.request.generation)

    def _seen(self, generation: int) -> bool:
        """Note a reload request as handled; False when it was already (or a newer one was)."""
        with self._seen_lock:
            if self._seen_generation is not None and generation <= self._seen_generation:
                return False
            self._seen_generation = generation
            return True

    def note_reload_requests(self) -> None:
        """At startup: the reload requests so far are done (this process loaded the rules from
        disk just now). A store fault is logged; the first poll then decides."""
        try:
            request = workflow.reload_request(self.store)
        except StoreError as exc:
            log.warning("cannot read the reload request: %s", exc)
            return
        self._seen(request.generation if request is not None else 0)

    def follow_reload_request(self) -> ReloadResult | None:
        """Reload the rules from this process's rules directory when another process recorded
        a reload request since the last look and this one does not serve its version yet. A bad
        ruleset is refused (the last good one keeps serving). Cheap when nothing changed: one
        primary-key read. Called by ``ReloadFollower``; raises ``StoreError``."""
        request = workflow.reload_request(self.store)
        if request is None or not self._seen(request.generation):
            return None
        if self.rulesets.loaded and self.rulesets.current.version == request.version:
            return None
        result = self.rulesets.reload()
        self.metrics.ruleset_reloads.labels("ok" if result.ok else "refused").inc()
        if not result.ok:
            log.error("reload request %d (%s): ruleset refused, still serving %s:\n%s",
                      request.generation, request.version, result.version,
                      "\n".join(result.problems))
        elif result.version != request.version:
            log.warning("reload request %d asked for %s; the rules here are %s (was %s): "
                        "is this host's rules directory the same?", request.generation,
                        request.version, result.version, result.previous)
        else:
            log.info("reload request %d: serving ruleset %s (was %s)", request.generation,
                     result.version, result.previous)
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
