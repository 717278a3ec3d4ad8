"""The ruleset a server serves, and reloading it with last-good fallback.

Loading is all or nothing (``service.engine.load_ruleset``). ``reload()`` swaps in a new ruleset
only when it loads cleanly; otherwise the last good one keeps serving and the problems are
returned. ``POST /v1/rules:reload`` and SIGHUP call ``reload()`` (through
``Services.reload_rules``, which also records the load in the audit trail).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..engine import Ruleset, RulesetError, load_ruleset
from ..errors import AssayError

log = logging.getLogger("assay.rules")


class RulesetNotLoaded(RulesetError):
    """The server has no ruleset yet (startup failed or has not happened)."""

    def __init__(self) -> None:
        super().__init__([])
        self.args = ("no ruleset is loaded",)


@dataclass(frozen=True)
class ReloadResult:
    """What a reload did: ``ok`` when the new ruleset now serves; else why it was refused."""

    ok: bool
    version: str | None
    previous: str | None
    problems: list[str] = field(default_factory=list)


class RulesetHolder:
    """Holds the current ruleset. Reads are a plain attribute read; reloads are serialised."""

    def __init__(
        self, rules_dir: Path, seeds_dir: Path,
        *, loader: Callable[[Path, Path], Ruleset] = load_ruleset,
        on_change: Callable[[Ruleset], None] | None = None,
    ) -> None:
        self.rules_dir = rules_dir
        self.seeds_dir = seeds_dir
        self._loader = loader
        self._on_change = on_change
        self._current: Ruleset | None = None
        self._lock = threading.Lock()

    @property
    def current(self) -> Ruleset:
        """The serving ruleset; raises ``RulesetNotLoaded`` before the first successful load."""
        ruleset = self._current
        if ruleset is None:
            raise RulesetNotLoaded()
        return ruleset

    @property
    def loaded(self) -> bool:
        return self._current is not None

    def load(self) -> Ruleset:
        """Load and serve the ruleset; raises ``RulesetError`` (nothing changes) when it is bad."""
        with self._lock:
            ruleset = self._loader(self.rules_dir, self.seeds_dir)
            self._swap(ruleset)
            return ruleset

    def reload(self) -> ReloadResult:
        """Try to load the ruleset again; keep the last good one when the new one is bad."""
        with self._lock:
            previous = self._current.version if self._current is not None else None
            try:
                ruleset = self._loader(self.rules_dir, self.seeds_dir)
            except RulesetError as exc:
                problems = [str(p) for p in exc.problems] or [str(exc)]
                log.error("ruleset reload refused (%d problems); still serving %s",
                          len(problems), previous)
                return ReloadResult(ok=False, version=previous, previous=previous,
                                    problems=problems)
            self._swap(ruleset)
            log.info("ruleset reloaded: %s -> %s", previous, ruleset.version)
            return ReloadResult(ok=True, version=ruleset.version, previous=previous)

    def _swap(self, ruleset: Ruleset) -> None:
        self._current = ruleset
        if self._on_change is not None:
            self._on_change(ruleset)


class RulesetRefused(AssayError):
    """A reload found problems in the ruleset on disk; the last good one keeps serving (422)."""

    def __init__(self, result: ReloadResult) -> None:
        self.result = result
        n = len(result.problems)
        super().__init__(f"the ruleset on disk has {n} problem{'s' * (n != 1)}; still serving "
                         f"{result.version}")
