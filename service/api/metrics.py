"""Prometheus metrics: requests, latency, screenings by decision, the ruleset version.

Each app owns its metric objects in its own registry (no module globals, so tests can build many
apps). Under ``--workers N`` the server sets ``PROMETHEUS_MULTIPROC_DIR`` before any worker
imports prometheus-client; values then live in files there and ``/metrics`` aggregates every
worker's with a ``MultiProcessCollector``.
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as prometheus_multiprocess
from prometheus_client import values as prometheus_values

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def multiprocess_dir() -> str | None:
    """The multiprocess directory when multiprocess mode is on, else None.

    On only when prometheus-client itself chose file-backed values (the variable was set before
    it was first imported); a variable set later would make ``/metrics`` read empty files.
    """
    path = os.environ.get(MULTIPROC_ENV) or None
    if path is None or prometheus_values.ValueClass is prometheus_values.MutexValue:
        return None
    return path


class Metrics:
    """The API's metrics. ``render()`` gives the exposition text and its content type."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "assay_http_requests_total", "HTTP requests by method, route template and status.",
            ["method", "route", "status"], registry=self.registry,
        )
        self.latency = Histogram(
            "assay_http_request_duration_seconds",
            "Time from the request's arrival to the end of its response.",
            ["method", "route"], buckets=LATENCY_BUCKETS, registry=self.registry,
        )
        self.screenings = Counter(
            "assay_screenings_total", "Screenings stored, by decision.",
            ["decision"], registry=self.registry,
        )
        self.ruleset = Gauge(
            "assay_ruleset_info", "The ruleset a process serves (1) and ones it served before (0).",
            ["version"], registry=self.registry, multiprocess_mode="liveall",
        )
        self.ruleset_rules = Gauge(
            "assay_ruleset_rules", "Number of rules in the ruleset a process serves.",
            registry=self.registry, multiprocess_mode="livemax",
        )
        self.ruleset_reloads = Counter(
            "assay_ruleset_reloads_total", "Ruleset reloads by outcome.",
            ["outcome"], registry=self.registry,
        )
        self._version: str | None = None
        # The labelled children by (method, route, status): ``labels()`` costs a lock and a
        # few checks on every request; the set of routes and statuses is small.
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = (self.requests.labels(method, route, str(status)),
                        self.latency.labels(method, route))
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def count_screening(self, decision: str, n: int = 1) -> None:
        self.screenings.labels(decision).inc(n)

    def set_ruleset(self, version: str, rules: int) -> None:
        if self._version is not None and self._version != version:
            self.ruleset.labels(self._version).set(0)
        self.ruleset.labels(version).set(1)
        self.ruleset_rules.set(rules)
        self._version = version

    def render(self) -> bytes:
        """The exposition text: every worker's values in multiprocess mode, else this app's."""
        path = multiprocess_dir()
        if path is None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(registry, path=path)  # type: ignore[no-untyped-call]
        return generate_latest(registry)


def mark_process_dead(pid: int) -> None:
    """Drop a stopped worker's live gauges (its counters stay summed)."""
    path = multiprocess_dir()
    if path is not None:
        prometheus_multiprocess.mark_process_dead(pid, path)  # type: ignore[no-untyped-call]
