"""The reviewer pages in Chromium (Playwright, sync API) against a live uvicorn server on SQLite.

Debian's Chromium (``/usr/bin/chromium``; ``make system-setup`` installs it) runs headless;
Playwright's own browser download is not used. Screenshots of every step land in
``test-artifacts/ui/`` (gitignored). ``docs/screenshots/screening.png`` (the README's picture)
is written when it is missing, or again with ``ASSAY_UPDATE_SCREENSHOTS=1``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .api_support import IN_CI, ROOT, LiveServer
from .ui_support import World, make_world

pytest_plugins = ["tests.api_fixtures"]  # the live SQLite server (see its docstring)
pytestmark = pytest.mark.browser

if TYPE_CHECKING:
    import playwright.sync_api as playwright_sync
    from playwright.sync_api import Browser, Page
else:  # the module is skipped where Playwright is not installed
    playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = ROOT / "test-artifacts" / "ui"
README_SHOT = ROOT / "docs" / "screenshots" / "screening.png"
REASON = ("Licence MOFCOM-2025-0012 covers 8112.92; the courier and the Malaysian transit are "
          "the forwarder's usual route.")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: run `make system-setup` (apt-get install chromium)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    with playwright_sync.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def world(sqlite_api: LiveServer) -> World:
    return make_world(sqlite_api)


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1440, "height": 960})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}-last.png"), full_page=True)
    context.close()


def shot(page: Page, name: str, *, full_page: bool = True) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def sign_in(page: Page, base: str, key: str) -> None:
    """Sign in with the keyboard only: the key field has focus, Enter submits."""
    page.goto(f"{base}/ui/queue")
    expect(page).to_have_url(re.compile(r"/ui/sign-in\?next=%2Fui%2Fqueue$"))
    expect(page.locator("#api_key")).to_be_focused()
    page.keyboard.type(key)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base}/ui/queue")


def test_officer_filters_opens_reads_the_quote_and_approves(page: Page, world: World) -> None:
    base = world.server.base_url
    org = world.a
    sign_in(page, base, org.reviewer)
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    expect(page.get_by_test_id("count-open")).to_have_text("4")
    # Keyboard: the first Tab reaches the skip link, and focus is visible.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    assert skip.evaluate("e => getComputedStyle(e).outlineStyle") != "none"
    shot(page, "1-queue")

    page.get_by_label("Red flag").select_option("CON-POSTAL")
    page.get_by_role("button", name="Apply filters").click()
    rows = page.locator("table.queue tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(org.references["postal"])
    shot(page, "2-filtered")

    page.get_by_role("link", name=org.references["postal"]).click()
    expect(page).to_have_url(f"{base}/ui/screenings/{org.screenings['postal']}")
    expect(page.get_by_role("heading", name="Shipment")).to_be_visible()
    postal = page.locator("article.finding", has=page.locator(".code", has_text="CON-POSTAL"))
    expect(postal).to_have_count(1)
    quote = postal.locator("blockquote").first.inner_text()
    link = postal.get_by_role("link", name=re.compile(r"^Show in source"))
    anchor = link.first.get_attribute("href")
    assert anchor and anchor.startswith("#q-seed-")
    link.first.click()
    mark = page.locator(f"[id='{anchor[1:]}']")
    expect(mark).to_be_in_viewport()
    assert mark.evaluate("e => e.matches(':target') && e.tagName === 'MARK'")
    marked = " ".join(mark.inner_text().split())
    assert " ".join(quote.split()).startswith(marked) and marked
    shot(page, "3-quote", full_page=False)
    if not README_SHOT.exists() or os.environ.get("ASSAY_UPDATE_SCREENSHOTS") == "1":
        README_SHOT.parent.mkdir(parents=True, exist_ok=True)
        page.set_viewport_size({"width": 1440, "height": 1500})
        page.evaluate("window.scrollTo(0, 0)")  # the source panel keeps its place
        page.screenshot(path=str(README_SHOT))
        page.set_viewport_size({"width": 1440, "height": 960})

    page.get_by_label(re.compile(r"^Approve")).check()
    page.get_by_label(re.compile(r"^Reason")).fill(REASON)
    for box in page.locator("fieldset.disposition").all():
        box.get_by_label("False positive").check()
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_role("status").first).to_contain_text("Your decision is on record")
    expect(page.get_by_test_id("review-status")).to_have_text("Approved")
    entry = page.get_by_test_id("audit-history").locator("li").last
    expect(entry).to_contain_text("screening.reviewed")
    expect(entry).to_contain_text(org.reviewer.split(".")[0])
    expect(entry).to_contain_text(REASON)
    expect(entry).to_contain_text("approved")
    expect(page.get_by_test_id("decision-blocked")).to_contain_text("The review is closed")
    shot(page, "4-approved")


def test_an_officer_cannot_reach_another_organisations_screening(page: Page,
                                                                 world: World) -> None:
    base = world.server.base_url
    sign_in(page, base, world.b.reviewer)
    expect(page.get_by_test_id("org")).to_have_text(world.b.id)
    expect(page.get_by_role("link", name=world.a.references["hold"])).to_have_count(0)
    response = page.goto(f"{base}/ui/screenings/{world.a.screenings['hold']}")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text(world.a.references["hold"])
    shot(page, "5-other-organisation-404")
    own = page.goto(f"{base}/ui/screenings/{world.b.screenings['hold']}")
    assert own is not None and own.status == 200
