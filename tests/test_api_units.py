"""API pieces that need no server: problem pointers, ruleset reload fallback, settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from service.api import RulesetHolder, Settings
from service.api.examples import EXAMPLE_SCREENING
from service.api.middleware import is_json_media_type
from service.api.problems import field_errors, pointer
from service.errors import Problem, RulesetError
from service.models import Screening


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
