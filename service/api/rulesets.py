"""The ruleset a server serves, and reloading it with last-good fallback.

Loading is all or nothing (``service.engine.load_ruleset``). ``reload()`` swaps in a new ruleset
only when it loads cleanly; otherwise the last good one keeps serving and the problems are
returned. ``POST /v1/rules:reload`` and SIGHUP call ``reload()`` (through
``Services.reload_rules``, which also records the load in the audit trail and asks every other
server process on the database to reload: a reload request, see ``service.store``).

``ReloadFollower`` is how the other processes hear of it: a daemon thread that polls for a new
reload request every ``ASSAY_RELOAD_POLL_SECONDS`` (``Services.follow_reload_request``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..engine import Ruleset, RulesetError, load_ruleset
from ..errors import AssayError
from ..store import StoreError

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
    rules: int = 0
    generation: int | None = None  # the reload request other processes follow, once recorded


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
            return ReloadResult(ok=True, version=ruleset.version, previous=previous,
                                rules=len(ruleset.rules))

    def _swap(self, ruleset: Ruleset) -> None:
        self._current = ruleset
        if self._on_change is not None:
            self._on_change(ruleset)


class ReloadFollower:
    """Calls ``check`` every ``interval`` seconds in a daemon thread, off the request path,
    until ``stop()``. A failing check is logged (a store fault once per outage) and tried again
    at the next tick."""

    def __init__(self, check: Callable[[], object], interval: float) -> None:
        self._check = check
        self._interval = interval
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._interval <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="assay-reload-follower",
                                        daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        failing = False
        while not self._stopping.wait(self._interval):
            try:
                self._check()
            except StoreError as exc:
                if not failing:
                    log.warning("cannot check for reload requests (will retry): %s", exc)
                failing = True
                continue
            except Exception:  # keep following whatever happens
                log.exception("checking for reload requests failed")
                continue
            if failing:
                log.info("checking for reload requests again")
            failing = False


class RulesetRefused(AssayError):
    """A reload found problems in the ruleset on disk; the last good one keeps serving (422)."""

    def __init__(self, result: ReloadResult) -> None:
        self.result = result
        n = len(result.problems)
        super().__init__(f"the ruleset on disk has {n} problem{'s' * (n != 1)}; still serving "
                         f"{result.version}")
