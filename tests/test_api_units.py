"""API pieces that need no server: problem pointers, ruleset reload fallback, following other
processes' reloads, settings."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from service.api import RulesetHolder, Settings
from service.api.deps import Services
from service.api.examples import EXAMPLE_SCREENING
from service.api.metrics import Metrics
from service.api.middleware import is_json_media_type
from service.api.problems import field_errors, pointer
from service.api.rulesets import ReloadFollower
from service.errors import Problem, RulesetError
from service.models import Screening
from service.store import StoreUnavailable, upgrade
from service.workflow import record_ruleset_reload


def test_pointer_escapes_per_rfc_6901() -> None:
    assert pointer(["goods", 0, "hs_code"]) == "/goods/0/hs_code"
    assert pointer(["a/b", "m~n"]) == "/a~1b/m~0n"
    assert pointer([]) == ""


def test_field_errors_split_the_request_part() -> None:
    errors = field_errors([
        {"loc": ("body", "goods", 0, "hs_code"), "msg": "bad", "type": "value_error"},
        {"loc": ("query", "limit"), "msg": "too big", "type": "less_than_equal"},
        {"loc": ("header", "idempotency-key"), "msg": "long", "type": "string_too_long"},
        {"loc": ("body", 7), "msg": "JSON decode error", "type": "json_invalid",
         "ctx": {"error": "Expecting value"}},
    ])
    assert [(e["in"], e["loc"]) for e in errors] == [
        ("body", "/goods/0/hs_code"), ("query", "/limit"), ("header", "/Idempotency-Key"),
        ("body", ""),
    ]
    assert errors[3]["msg"] == "invalid JSON at character 7: Expecting value"


@pytest.mark.parametrize("value,ok", [
    ("application/json", True), ("application/json; charset=utf-8", True),
    ("Application/Problem+JSON", True), ("text/plain", False), ("", False),
    ("application/x-www-form-urlencoded", False), ("text/json", False),
])
def test_json_media_types(value: str, ok: bool) -> None:
    assert is_json_media_type(value) is ok


class _Fake:
    def __init__(self, version: str) -> None:
        self.version = version
        self.rules: tuple[Any, ...] = ()


def test_reload_keeps_the_last_good_ruleset() -> None:
    outcomes: list[Any] = [_Fake("sha256:a"), RulesetError([Problem("r.yaml", 3, 5, "bad", "no")]),
                           _Fake("sha256:b")]
    changes: list[str] = []

    def loader(rules: Path, seeds: Path) -> Any:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    holder = RulesetHolder(Path("r"), Path("s"), loader=loader,
                           on_change=lambda r: changes.append(r.version))
    assert not holder.loaded
    with pytest.raises(RulesetError):
        _ = holder.current
    holder.load()
    refused = holder.reload()
    assert not refused.ok and refused.version == "sha256:a"
    assert refused.problems == ["r.yaml:3:5: bad: no"]
    assert holder.current.version == "sha256:a"
    accepted = holder.reload()
    assert accepted.ok and accepted.previous == "sha256:a" and accepted.version == "sha256:b"
    assert changes == ["sha256:a", "sha256:b"]


def test_a_process_follows_reload_requests_and_keeps_its_last_good_ruleset(
        tmp_path: Path) -> None:
    """What each server process's ``ReloadFollower`` does every second: reload from its own
    rules directory when another process recorded a reload (never twice for one request, never
    for the version it serves already); a bad ruleset there is refused and the last good one
    keeps serving."""
    url = f"sqlite:///{tmp_path / 'follow.db'}"
    upgrade(url)
    disk: list[Any] = [_Fake("sha256:a"), _Fake("sha256:b"),
                       RulesetError([Problem("r.yaml", 3, 5, "bad", "no")]), _Fake("sha256:c")]

    def loader(rules: Path, seeds: Path) -> Any:
        outcome = disk.pop(0)  # IndexError: a load that should not have happened
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    services = Services(settings=Settings(database_url=url), metrics=Metrics(),
                        rulesets=RulesetHolder(Path("r"), Path("s"), loader=loader))
    services.open_store()
    try:
        services.rulesets.load()
        services.note_reload_requests()
        assert services.follow_reload_request() is None  # nobody asked yet

        def another_process_reloads(version: str) -> int:
            return record_ruleset_reload(services.store, version=version, rules=0,
                                         previous=None, trigger="api").request.generation

        assert another_process_reloads("sha256:b") == 1
        followed = services.follow_reload_request()
        assert followed is not None and followed.ok and followed.version == "sha256:b"
        assert services.follow_reload_request() is None  # seen: no second load

        another_process_reloads("sha256:x")  # the rules here are broken now
        refused = services.follow_reload_request()
        assert refused is not None and not refused.ok and refused.problems
        assert services.rulesets.current.version == "sha256:b"
        assert services.follow_reload_request() is None  # not retried every second

        mine = services.reload_rules(trigger="api")  # this process reloads: c
        assert mine.ok and mine.version == "sha256:c" and mine.generation == 3
        assert services.follow_reload_request() is None  # its own request
        another_process_reloads("sha256:c")  # a reload to what this process serves: no load
        assert services.follow_reload_request() is None
        assert disk == [] and services.rulesets.current.version == "sha256:c"
    finally:
        services.close_store()


def test_the_follower_polls_until_stopped_and_survives_store_faults() -> None:
    calls: list[int] = []
    enough = threading.Event()

    def check() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise StoreUnavailable("database unavailable")
        if len(calls) >= 3:
            enough.set()

    follower = ReloadFollower(check, interval=0.01)
    follower.start()
    try:
        assert enough.wait(5)
    finally:
        follower.stop()
    n = len(calls)
    threading.Event().wait(0.05)
    assert len(calls) == n  # stopped
    ReloadFollower(check, interval=0).start()  # 0: following is off, no thread
    assert len(calls) == n


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "ASSAY_RULES_DIR", "ASSAY_SEEDS_DIR", "ASSAY_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    defaults = Settings()
    assert defaults.database_url == "sqlite:///./var/assay.db"
    assert defaults.rules_dir == Path("rules") and defaults.seeds_dir == Path("seeds")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    monkeypatch.setenv("ASSAY_RULES_DIR", "/x/rules")
    settings = Settings()
    assert settings.database_url == "postgresql://u@h/db"
    assert settings.rules_dir == Path("/x/rules")
    monkeypatch.delenv("DATABASE_URL")
    for name, value in settings.environment().items():
        monkeypatch.setenv(name, value)
    assert Settings() == settings


def test_openapi_example_screening_is_valid() -> None:
    assert Screening.model_validate(EXAMPLE_SCREENING).id == EXAMPLE_SCREENING["id"]


def test_stored_json_is_the_screening_serialised_whole() -> None:
    """The response made from the stored body is byte for byte ``model_dump_json``."""
    import datetime as dt

    from service.api.examples import EXAMPLE_SCREENING
    from service.api.routers.screenings import _screening_json, _stored_json
    from service.models import Review, Screening
    from service.store import screening_body

    base = Screening.model_validate(EXAMPLE_SCREENING)
    for created_at in (dt.datetime(2025, 8, 4, 12, 0, tzinfo=dt.UTC),
                       dt.datetime(2025, 8, 4, 12, 0, 1, 123456, tzinfo=dt.UTC)):
        for review in (None, Review(status="open")):
            stored = base.model_copy(update={"created_at": created_at, "review": review})
            assert _stored_json(stored, screening_body(base)) == _screening_json(stored)
