"""Failures behind the reviewer pages are readable HTML pages with the right status, never a
trace: the app is driven in-process (httpx's ASGI transport, no lifespan), so the store is not
open and no ruleset is loaded, and a fault can be injected."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from service import workflow
from service.api import Settings, create_app
from service.api.deps import Services
from service.auth import Principal
from service.ui.session import COOKIE, Session, SessionCodec

SECRET = "test-secret-" + "x" * 40


def _get(path: str, *, session: Session | None = None, **patches: Any) -> httpx.Response:
    app = create_app(Settings(database_url="sqlite:///:memory:"))
    cookies = {}
    if session is not None:
        cookies[COOKIE] = SessionCodec(SECRET, max_age=600).dumps(session)

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://assay.test",
                                     cookies=cookies) as client:
            return await client.get(path)

    return asyncio.run(call())


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ASSAY_SESSION_SECRET", SECRET)
    monkeypatch.chdir(tmp_path)  # nothing may be written to the project's var/


def _officer() -> Session:
    return Session.anonymous().signed_in_as(key_id="ak_0000000000000000", org="o",
                                            role="reviewer", label=None)


def _assert_page(response: httpx.Response, status: int, words: str) -> None:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert words in response.text
    assert "Traceback" not in response.text and "File \"" not in response.text
    assert response.headers["x-request-id"] in response.text


def test_database_down_is_a_503_page() -> None:
    _assert_page(_get("/ui/queue", session=_officer()), 503, "Temporarily unavailable")


def test_no_ruleset_is_a_503_page(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workflow, "principal_for_key",
                        lambda store, key_id: Principal(key_id, "o", "reviewer"))
    _assert_page(_get("/ui/rules", session=_officer()), 503, "Temporarily unavailable")


def test_an_unexpected_fault_is_a_500_page(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(workflow, "principal_for_key",
                        lambda store, key_id: Principal(key_id, "o", "reviewer"))
    monkeypatch.setattr(workflow, "list_queue", boom)
    monkeypatch.setattr(Services, "store", property(lambda self: object()))
    response = _get("/ui/queue", session=_officer())
    _assert_page(response, 500, "Something went wrong")
    assert "secret internals" not in response.text


def test_a_cookie_signed_with_another_secret_is_not_a_session() -> None:
    app_session = Session.anonymous().signed_in_as(key_id="ak_0000000000000000", org="o",
                                                   role="admin", label=None)
    forged = SessionCodec("another-secret-" + "y" * 40, max_age=600).dumps(app_session)

    async def call() -> httpx.Response:
        app = create_app(Settings(database_url="sqlite:///:memory:"))
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://assay.test",
                                     cookies={COOKIE: forged}) as client:
            return await client.get("/ui/queue")

    response = asyncio.run(call())
    assert response.status_code == 303
    assert response.headers["location"].startswith("/ui/sign-in")
