"""What routes get from the app, through ``Annotated`` dependency aliases (no module globals).

The dependency functions are ``async`` only so that FastAPI runs them inline: they do no I/O,
and a plain ``def`` would cost a threadpool round trip each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from ..engine import Ruleset
from ..store import GroupCommitWriter, SqlStore, StoreUnavailable
from .metrics import Metrics
from .rulesets import RulesetHolder
from .settings import Settings


@dataclass
class Services:
    """Everything one app instance owns. The store opens in the lifespan, not at import."""

    settings: Settings
    metrics: Metrics
    rulesets: RulesetHolder
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
