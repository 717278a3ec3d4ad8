"""The reviewer pages over HTTP without a browser (httpx against a live uvicorn server, on
SQLite and on PostgreSQL): sign-in, CSRF, tenancy, the queue's filters and counts, the
screening page's evidence and quotes, review errors, and error pages that are never a trace."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import httpx
import pytest
from markupsafe import escape

from service.engine.sources import load_seeds

from .api_support import ROOT, LiveServer
from .ui_support import (
    HOSTILE_NAME,
    World,
    audit_types,
    csrf_token,
    make_world,
    page_client,
    sign_in,
)

pytest_plugins = ["tests.api_fixtures"]  # live servers per backend (see its docstring)

_worlds: dict[str, World] = {}


@pytest.fixture
def world(api: LiveServer) -> World:
    """Two organisations with keys and screenings, made once per server."""
    if api.backend not in _worlds:
        _worlds[api.backend] = make_world(api)
    return _worlds[api.backend]


@pytest.fixture
def browser_like(world: World) -> Iterator[httpx.Client]:
    with page_client(world.server) as http:
        yield http


def _signed_in(http: httpx.Client, key: str) -> None:
    response = sign_in(http, key)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/ui/queue"


# ------------------------------------------------------------------------------ sign-in


def test_sign_in_page_sets_a_protected_session_cookie(browser_like: httpx.Client) -> None:
    page = browser_like.get("/ui/sign-in")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<label for="api_key">API key</label>' in page.text
    cookie = page.headers["set-cookie"].lower()
    assert "assay_session=" in cookie and "httponly" in cookie
    assert "samesite=lax" in cookie and "path=/ui" in cookie
    assert "script-src" not in page.headers["content-security-policy"]  # default-src 'none'
    assert page.headers["x-frame-options"] == "DENY"
    csrf_token(page.text)


def test_pages_send_a_signed_out_visitor_to_sign_in(browser_like: httpx.Client,
                                                    world: World) -> None:
    for path in ("/ui/queue?status=open", f"/ui/screenings/{world.a.screenings['review']}",
                 "/ui/rules", "/ui/sources"):
        response = browser_like.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/ui/sign-in?next=%2Fui%2F")


def test_a_wrong_key_is_refused_without_saying_why(browser_like: httpx.Client,
                                                   world: World) -> None:
    revoked_like = world.a.reviewer[:-4] + "AAAA"
    for key in ("not-a-key", revoked_like, "ak_0000000000000000." + "A" * 43, " "):
        response = sign_in(browser_like, key)
        assert response.status_code == 401, key
        assert response.headers["content-type"].startswith("text/html")
        assert ("That API key was not accepted" in response.text
                or "Enter your API key" in response.text)
        assert key.strip() == "" or html.escape(key) not in response.text
    assert browser_like.get("/ui/queue").status_code == 303  # still signed out


def test_sign_in_then_sign_out(browser_like: httpx.Client, world: World) -> None:
    _signed_in(browser_like, world.a.reviewer)
    queue = browser_like.get("/ui/queue")
    assert queue.status_code == 200
    assert f'data-testid="org">{world.a.id}<' in queue.text
    out = browser_like.post("/ui/sign-out", data={"csrf_token": csrf_token(queue.text)})
    assert out.status_code == 303 and out.headers["location"] == "/ui/sign-in?signed_out=1"
    assert browser_like.get("/ui/queue").status_code == 303


def test_next_only_leads_to_reviewer_pages(browser_like: httpx.Client, world: World) -> None:
    for target, expected in (("https://evil.example/", "/ui/queue"),
                             ("//evil.example/ui/", "/ui/queue"),
                             ("/ui/rules", "/ui/rules")):
        browser_like.cookies.clear()
        page = browser_like.get("/ui/sign-in")
        response = browser_like.post("/ui/sign-in", data={
            "api_key": world.a.reviewer, "csrf_token": csrf_token(page.text), "next": target})
        assert response.headers["location"] == expected


# ------------------------------------------------------------------------------ CSRF


def test_sign_in_without_the_csrf_token_is_refused(browser_like: httpx.Client,
                                                   world: World) -> None:
    browser_like.get("/ui/sign-in")
    missing = browser_like.post("/ui/sign-in", data={"api_key": world.a.reviewer})
    assert missing.status_code == 403 and "Form expired" in missing.text
    with page_client(world.server) as other:  # a token from another visitor's session
        foreign = csrf_token(other.get("/ui/sign-in").text)
    stolen = browser_like.post("/ui/sign-in",
                               data={"api_key": world.a.reviewer, "csrf_token": foreign})
    assert stolen.status_code == 403
    assert browser_like.get("/ui/queue").status_code == 303


def test_a_review_with_a_bad_token_or_origin_records_nothing(browser_like: httpx.Client,
                                                             world: World) -> None:
    target = world.a.screenings["postal"]
    _signed_in(browser_like, world.a.reviewer)
    page = browser_like.get(f"/ui/screenings/{target}")
    token = csrf_token(page.text)
    etag = re.search(r'name="etag" value="([^"]+)"', page.text)
    assert etag
    form = {"decision": "start", "etag": html.unescape(etag.group(1))}
    assert browser_like.post(f"/ui/screenings/{target}/review", data=form).status_code == 403
    bad = browser_like.post(f"/ui/screenings/{target}/review",
                            data={**form, "csrf_token": token[::-1]})
    assert bad.status_code == 403
    cross_site = browser_like.post(f"/ui/screenings/{target}/review",
                                   data={**form, "csrf_token": token},
                                   headers={"Origin": "https://evil.example"})
    assert cross_site.status_code == 403
    assert "screening.reviewed" not in audit_types(world.server, world.a.second_reviewer,
                                                   target)


# ------------------------------------------------------------------------------ tenancy


def test_another_organisations_screening_is_404_on_pages(browser_like: httpx.Client,
                                                         world: World) -> None:
    _signed_in(browser_like, world.b.reviewer)
    theirs = world.a.screenings["review"]
    page = browser_like.get(f"/ui/screenings/{theirs}")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "Not found" in page.text and world.a.references["review"] not in page.text
    queue = browser_like.get("/ui/queue")
    token = csrf_token(queue.text)
    review = browser_like.post(f"/ui/screenings/{theirs}/review", data={
        "csrf_token": token, "decision": "approve", "reason": "mine now", "etag": '"v1"'})
    assert review.status_code == 404
    assert world.b.references["review"] in queue.text
    assert world.a.id not in queue.text and theirs not in queue.text
    assert browser_like.get(f"/ui/screenings/{world.b.screenings['review']}").status_code == 200


# ------------------------------------------------------------------------------ queue


def test_queue_filters_and_counts(browser_like: httpx.Client, world: World) -> None:
    _signed_in(browser_like, world.b.reviewer)
    everything = browser_like.get("/ui/queue").text
    for name in ("review", "postal", "hold", "clear"):
        assert world.b.references[name] in everything
    # newest first
    positions = [everything.index(world.b.references[n]) for n in ("clear", "hold", "postal")]
    assert positions == sorted(positions)
    assert re.search(r'data-testid="count-decision-hold">1<', everything)
    postal = browser_like.get("/ui/queue", params={"red_flag": "CON-POSTAL", "decision": "",
                                                    "status": ""}).text
    assert world.b.references["postal"] in postal
    assert world.b.references["review"] not in postal
    assert world.b.references["hold"] not in postal
    assert '<option value="CON-POSTAL" selected>' in postal
    held = browser_like.get("/ui/queue", params={"decision": "hold"}).text
    assert world.b.references["hold"] in held and world.b.references["postal"] not in held
    open_ = browser_like.get("/ui/queue", params={"status": "open"}).text
    assert world.b.references["clear"] not in open_


def test_bad_filters_and_cursors_are_400_pages(browser_like: httpx.Client,
                                               world: World) -> None:
    _signed_in(browser_like, world.b.reviewer)
    for params in ({"decision": "maybe"}, {"red_flag": "NOPE"}, {"status": "done"},
                   {"cursor": "garbage!"}):
        response = browser_like.get("/ui/queue", params=params)
        assert response.status_code == 400, params
        assert response.headers["content-type"].startswith("text/html")
        assert "Traceback" not in response.text


# ------------------------------------------------------------------------------ screening


def test_screening_page_shows_shipment_evidence_and_marked_quotes(
        browser_like: httpx.Client, world: World) -> None:
    _signed_in(browser_like, world.a.reviewer)
    screening_id = world.a.screenings["hostile"]
    page = browser_like.get(f"/ui/screenings/{screening_id}")
    assert page.status_code == 200
    text = page.text
    assert HOSTILE_NAME not in text and str(escape(HOSTILE_NAME)) in text
    assert "<script" not in text
    for part in ("Vektor Halbleiter GmbH", "Gallium metal 99.99% ingots", "8112.92",
                 "MOFCOM-2025-0012", "dual use export licence", "TRX-HUB",
                 "route.transit_countries[1]", "in list transshipment_hubs"):
        assert html.escape(part, quote=False) in text, part
    screening = browser_like.get("/v1/screenings/" + screening_id, headers={
        "Authorization": f"Bearer {world.a.reviewer}"}).json()
    seeds = load_seeds(ROOT / "seeds", [])
    for finding in screening["findings"]:
        for cite in finding["citations"]:
            start, end = cite["span"]
            anchor = f'q-{cite["source"]}-{start}-{end}'
            assert f'href="#{anchor}"' in text
            marked = re.search(rf'id="{anchor}">(.*?)</mark>', text, re.S)
            if marked is None:  # another passage starts at the same place: an empty anchor
                assert f'<span class="anchor" id="{anchor}"></span>' in text
                continue
            raw = seeds[cite["source"]].text[start:end]
            assert html.unescape(marked.group(1)) == raw[: len(html.unescape(marked.group(1)))]


def test_review_errors_are_shown_on_the_page(browser_like: httpx.Client, world: World) -> None:
    target = world.a.screenings["review"]
    _signed_in(browser_like, world.a.reviewer)
    page = browser_like.get(f"/ui/screenings/{target}")
    token = csrf_token(page.text)
    etag = html.unescape(re.findall(r'name="etag" value="([^"]+)"', page.text)[0])
    url = f"/ui/screenings/{target}/review"
    no_reason = browser_like.post(url, data={"csrf_token": token, "etag": etag,
                                             "decision": "approve"})
    assert no_reason.status_code == 422 and "Give a reason" in no_reason.text
    missing = browser_like.post(url, data={"csrf_token": token, "etag": etag,
                                           "decision": "approve", "reason": "looks fine"})
    assert missing.status_code == 422 and "needs a disposition for every finding" in missing.text
    assert "looks fine</textarea>" in missing.text  # what was typed is kept
    started = browser_like.post(url, data={"csrf_token": token, "etag": etag,
                                           "decision": "start"})
    assert started.status_code == 303
    stale = browser_like.post(url, data={"csrf_token": token, "etag": etag,
                                         "decision": "escalate", "reason": "unsure"})
    assert stale.status_code == 412 and "Someone else decided" in stale.text
    assert 'data-testid="review-status">In review<' in stale.text


def test_a_submitter_reads_but_cannot_decide(browser_like: httpx.Client, world: World) -> None:
    _signed_in(browser_like, world.a.submitter)
    page = browser_like.get(f"/ui/screenings/{world.a.screenings['hold']}")
    assert page.status_code == 200
    assert "can read screenings but not decide them" in page.text
    assert "Record decision" not in page.text


# ------------------------------------------------------------------------------ rulebook, errors


def test_rules_and_sources_pages(browser_like: httpx.Client, world: World) -> None:
    _signed_in(browser_like, world.a.reviewer)
    rules = browser_like.get("/v1/rules", headers={
        "Authorization": f"Bearer {world.a.reviewer}"}).json()["rules"]
    page = browser_like.get("/ui/rules").text
    sources = browser_like.get("/ui/sources").text
    for rule in rules:
        assert f'id="rule-{rule["id"]}"' in page
        detail = browser_like.get(f"/v1/rules/{rule['id']}", headers={
            "Authorization": f"Bearer {world.a.reviewer}"}).json()
        for cite in detail["citations"]:
            anchor = f'q-{cite["source"]}-{cite["span"][0]}-{cite["span"][1]}'
            assert f'href="/ui/sources#{anchor}"' in page
            assert f'id="{anchor}"' in sources
            assert f'href="/ui/rules#rule-{rule["id"]}"' in sources
    for seed_id in load_seeds(ROOT / "seeds", []):
        assert f'id="{seed_id}"' in sources


def test_unknown_pages_are_readable_404s(browser_like: httpx.Client, world: World) -> None:
    _signed_in(browser_like, world.a.reviewer)
    for path in ("/ui/nothing-here", "/ui/screenings/scr_00000000000000000000000000",
                 "/ui/screenings/" + "x" * 300):
        response = browser_like.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html")
        assert "Back to the queue" in response.text
