"""The reviewer pages under ``/ui/``: server-rendered HTML, forms, no JavaScript.

Every route here answers HTML, errors included: ``PageRoute`` turns any exception into a
readable error page with the right status (never a trace), and a signed-out visitor is sent
to the sign-in page. Every POST carries the session's CSRF token (see ``session.py``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from typing import TYPE_CHECKING, Annotated, Any, cast
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import HTMLResponse, RedirectResponse, Response

from .. import workflow
from ..auth import Principal
from ..engine import Ruleset
from ..engine.schema import RED_FLAGS
from ..errors import RulesetError
from ..models.screening import Decision, ReviewDecision, ReviewStatus
from ..review import MAX_NOTE, MAX_REASON, ReviewRequest, WorkflowError, dispositions
from ..store import InvalidCursor, NotFound, Store, StoreError, StoreUnavailable
from . import views
from .highlight import anchor_id
from .session import COOKIE, COOKIE_PATH, CSRF_FIELD, Session, SessionCodec
from .settings import UiSettings

if TYPE_CHECKING:
    from ..api.deps import Services

log = logging.getLogger("assay.ui")

PAGE_SIZE = 50
REVIEW_STATUSES: tuple[ReviewStatus, ...] = (
    "open", "in_review", "awaiting_second", "approved", "rejected", "escalated")
DECISIONS: tuple[Decision, ...] = ("hold", "review", "clear")
OPEN_STATUSES = frozenset({"open", "in_review", "awaiting_second", "escalated"})
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
_SAFE_NEXT = re.compile(r"^/ui/[A-Za-z0-9_\-./?=&%#:]*$")


# ------------------------------------------------------------------------------ state


@dataclass
class UiState:
    """What the pages of one app share: built on the first request, kept on ``app.state``."""

    settings: UiSettings
    codec: SessionCodec
    env: Environment
    services: Services
    css: bytes = b""


def make_environment() -> Environment:
    env = Environment(
        loader=PackageLoader("service.ui", "templates"),
        autoescape=select_autoescape(),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        STATUS_LABELS=views.STATUS_LABELS, DECISION_LABELS=views.DECISION_LABELS,
        RED_FLAGS=RED_FLAGS, red_flag_meaning=views.red_flag_meaning, label=views.label,
        money=views.money, quantity=views.quantity, route_line=views.route_line,
        show_value=views.show_value,
    )
    return env


def _state(request: Request) -> UiState:
    state: UiState | None = getattr(request.app.state, "ui", None)
    if state is None:
        services: Services = request.app.state.services
        settings = UiSettings()
        codec = SessionCodec(settings.resolve_secret(), max_age=settings.session_max_age)
        css = (files("service.ui") / "static" / "assay.css").read_bytes()
        state = UiState(settings, codec, make_environment(), services, css)
        request.app.state.ui = state
    return state


# ------------------------------------------------------------------------------ page context


class SignInRequired(Exception):
    """The page needs a signed-in officer."""


class BadRequest(Exception):
    """A query or form value the page cannot use (shown as a 400 page)."""


class CsrfRejected(Exception):
    """A POST without the session's CSRF token, or from another site."""


@dataclass
class Page:
    """One request's view of the UI: session, officer, and how to answer."""

    request: Request
    state: UiState
    session: Session
    dirty: bool = False
    officer: Principal | None = None
    form: FormData | None = field(default=None)

    def render(self, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
        html = self.state.env.get_template(template).render(
            officer=self.officer, csrf_token=self.session.csrf, csrf_field=CSRF_FIELD,
            path=self.request.url.path, request_id=_request_id(self.request), **context,
        )
        response = HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
        self.write_cookie(response)
        return response

    def redirect(self, url: str) -> RedirectResponse:
        response = RedirectResponse(url, status_code=303, headers=SECURITY_HEADERS)
        self.write_cookie(response)
        return response

    def replace_session(self, session: Session) -> None:
        self.session = session
        self.dirty = True

    def write_cookie(self, response: Response) -> None:
        if not self.dirty:
            return
        settings = self.state.settings
        response.set_cookie(
            COOKIE, self.state.codec.dumps(self.session), max_age=settings.session_max_age,
            path=COOKIE_PATH, httponly=True, samesite="lax",
            secure=settings.cookie_secure or self.request.url.scheme == "https",
        )

    def clear_cookie(self, response: Response) -> None:
        response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="lax")

    @property
    def signed_in(self) -> Principal:
        if self.officer is None:
            raise SignInRequired()
        return self.officer

    @property
    def store(self) -> Store:
        return self.state.services.store


def _request_id(request: Request) -> str:
    return str(getattr(request.state, "request_id", "") or "")


async def _page(request: Request) -> Page:
    state = _state(request)
    session = state.codec.loads(request.cookies.get(COOKIE))
    if session is None:
        return Page(request, state, Session.anonymous(), dirty=True)
    return Page(request, state, session)


async def _officer_page(request: Request) -> Page:
    page = await _page(request)
    if page.session.key_id is not None:
        officer = await run_in_threadpool(workflow.principal_for_key, page.store,
                                          page.session.key_id)
        if officer is None:  # the key was revoked or deleted: the session ends
            page.replace_session(Session.anonymous())
        else:
            page.officer = officer
    if page.officer is None:
        raise SignInRequired()
    return page


def _same_origin(request: Request) -> bool:
    """No ``Origin`` header (older browsers, same-origin GET-to-POST) or one naming this host.

    Only the host name is compared: behind a TLS-terminating proxy the scheme and port the
    server sees differ from the browser's. The CSRF token is the actual defence.
    """
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return bool(request.url.hostname) and urlsplit(origin).hostname == request.url.hostname


async def _checked_form(page: Page) -> Page:
    """Read the POSTed form and check its CSRF token and origin."""
    page.form = await page.request.form()
    token = page.form.get(CSRF_FIELD)
    if not _same_origin(page.request) or not page.session.csrf_ok(
            token if isinstance(token, str) else None):
        raise CsrfRejected()
    return page


async def _post_page(request: Request) -> Page:
    return await _checked_form(await _page(request))


async def _officer_post(request: Request) -> Page:
    return await _checked_form(await _officer_page(request))


AnyPage = Annotated[Page, Depends(_page)]
OfficerPage = Annotated[Page, Depends(_officer_page)]
PostPage = Annotated[Page, Depends(_post_page)]
OfficerPost = Annotated[Page, Depends(_officer_post)]


# ------------------------------------------------------------------------------ errors


_ERRORS: dict[int, tuple[str, str]] = {
    400: ("Bad request", "The page could not use the address or form it was given."),
    403: ("Not allowed", "You are not allowed to do that."),
    404: ("Not found", "There is nothing here, or it belongs to another organisation."),
    405: ("Not allowed", "That page does not accept this kind of request."),
    500: ("Something went wrong", "The server failed to show this page. It has been logged; "
                                  "quote the request id below if you report it."),
    503: ("Temporarily unavailable", "The database or the rules are not available right "
                                     "now. Try again in a moment."),
}


def error_page(request: Request, status: int, message: str | None = None,
               *, title: str | None = None) -> HTMLResponse:
    default_title, default_message = _ERRORS.get(status, _ERRORS[500])
    try:
        env = _state(request).env
        html = env.get_template("error.html").render(
            officer=None, csrf_token="", csrf_field=CSRF_FIELD, path=request.url.path,
            request_id=_request_id(request), status=status, title=title or default_title,
            message=message or default_message,
        )
    except Exception:  # the error page itself failed: still answer something readable
        log.exception("error page failed")
        html = (f"<!doctype html><title>{status}</title><h1>{status}</h1>"
                "<p>Something went wrong.</p>")
    headers = dict(SECURITY_HEADERS)
    if status == 503:
        headers["Retry-After"] = "5"
    return HTMLResponse(html, status_code=status, headers=headers)


def _sign_in_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET" or not _SAFE_NEXT.match(target):
        return "/ui/sign-in"
    return "/ui/sign-in?" + urlencode({"next": target})


async def handle_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, SignInRequired):
        response = RedirectResponse(_sign_in_url(request), status_code=303,
                                    headers=SECURITY_HEADERS)
        return response
    if isinstance(exc, CsrfRejected):
        return error_page(request, 403, "This form has expired or did not come from this "
                                        "site. Go back, reload the page and submit it again.",
                          title="Form expired")
    if isinstance(exc, NotFound):
        return error_page(request, 404)
    if isinstance(exc, BadRequest | InvalidCursor):
        return error_page(request, 400, str(exc) or None)
    if isinstance(exc, RequestValidationError):
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ())[1:])}: {e.get('msg', '')}"
            for e in exc.errors())
        return error_page(request, 400, f"Invalid request: {problems}")
    if isinstance(exc, StarletteHTTPException):
        detail = exc.detail if isinstance(exc.detail, str) else None
        return error_page(request, exc.status_code, detail)
    if isinstance(exc, StoreUnavailable | RulesetError):
        log.warning("ui: unavailable: %s", exc)
        return error_page(request, 503)
    if isinstance(exc, StoreError):
        log.error("ui: store error: %s", exc, exc_info=exc)
        return error_page(request, 503)
    log.error("ui: unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_page(request, 500)


class PageRoute(APIRoute):
    """An ``APIRoute`` whose failures are HTML pages rather than problem+json."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:
                return await handle_error(request, exc)

        return page_handler


router = APIRouter(prefix="/ui", route_class=PageRoute, include_in_schema=False)


# ------------------------------------------------------------------------------ sign in / out


def _safe_next(value: object) -> str:
    if isinstance(value, str) and _SAFE_NEXT.match(value) and "//" not in value:
        return value
    return "/ui/queue"


@router.get("")
@router.get("/")
async def home(page: AnyPage) -> Response:
    return page.redirect("/ui/queue")


@router.get("/sign-in")
async def sign_in_form(page: AnyPage, next: str | None = None) -> Response:
    if page.session.key_id is not None:
        officer = await run_in_threadpool(workflow.principal_for_key, page.store,
                                          page.session.key_id)
        if officer is not None:
            return page.redirect(_safe_next(next))
    return page.render("sign_in.html", next=_safe_next(next), error=None,
                       signed_out=page.request.query_params.get("signed_out") == "1")


@router.post("/sign-in")
async def sign_in(page: PostPage) -> Response:
    form = page.form or FormData()
    raw = form.get("api_key")
    key = raw.strip() if isinstance(raw, str) else ""
    target = _safe_next(form.get("next"))
    if not key:
        return page.render("sign_in.html", status=401, next=target,
                           error="Enter your API key.", signed_out=False)
    officer = None
    if len(key) <= 512:
        officer = await run_in_threadpool(workflow.authenticate, page.store, key)
    if officer is None:
        log.info("ui: sign-in refused")
        return page.render("sign_in.html", status=401, next=target, signed_out=False,
                           error="That API key was not accepted. Check it and try again.")
    page.replace_session(page.session.signed_in_as(
        key_id=officer.key_id, org=officer.org, role=officer.role, label=officer.name))
    return page.redirect(target)


@router.post("/sign-out")
async def sign_out(page: PostPage) -> Response:
    response = RedirectResponse("/ui/sign-in?signed_out=1", status_code=303,
                                headers=SECURITY_HEADERS)
    page.clear_cookie(response)
    return response


# ------------------------------------------------------------------------------ queue


def _choice(name: str, value: str | None, allowed: tuple[str, ...] | frozenset[str]) -> str | None:
    if value is None or value == "":
        return None
    if value not in allowed:
        raise BadRequest(f"{name}: {value!r} is not one of {', '.join(sorted(allowed))}")
    return value


def _filter_from(params: Mapping[str, str]) -> workflow.QueueFilter:
    return workflow.QueueFilter(
        decision=cast(Any, _choice("decision", params.get("decision"), DECISIONS)),
        red_flag=_choice("red flag", params.get("red_flag"), frozenset(RED_FLAGS)),
        status=cast(Any, _choice("status", params.get("status"), REVIEW_STATUSES)),
    )


def _queue_url(where: workflow.QueueFilter, **extra: str | None) -> str:
    params = {"decision": where.decision, "red_flag": where.red_flag, "status": where.status,
              **extra}
    query = urlencode({k: v for k, v in params.items() if v})
    return "/ui/queue" + (f"?{query}" if query else "")


@router.get("/queue")
def queue(page: OfficerPage) -> Response:
    params = page.request.query_params
    where = _filter_from(params)
    cursor = params.get("cursor") or None
    if cursor is not None and len(cursor) > 512:
        raise BadRequest("cursor: too long")
    result = workflow.list_queue(page.store, page.signed_in, where, cursor=cursor,
                                 limit=PAGE_SIZE)
    by_status = result.counts.by_status if result.counts else {}
    by_decision = result.counts.by_decision if result.counts else {}
    status_links = [
        (s, views.STATUS_LABELS[s], by_status.get(s, 0),
         _queue_url(workflow.QueueFilter(decision=where.decision, red_flag=where.red_flag,
                                         status=s)))
        for s in REVIEW_STATUSES
    ]
    all_link = ("All", result.counts.total if result.counts else None,
                _queue_url(workflow.QueueFilter(decision=where.decision,
                                                red_flag=where.red_flag)))
    return page.render(
        "queue.html", where=where, page_result=result, status_links=status_links,
        all_link=all_link,
        by_decision=by_decision, statuses=REVIEW_STATUSES, decisions=DECISIONS,
        red_flags=sorted(RED_FLAGS),
        next_url=_queue_url(where, cursor=result.next_cursor) if result.next_cursor else None,
        first_url=_queue_url(where) if cursor else None,
        any_filter=bool(where.decision or where.red_flag or where.status),
    )


# ------------------------------------------------------------------------------ screening


def _ruleset(page: Page) -> Ruleset:
    return page.state.services.rulesets.current


def _screening_page(page: Page, screening_id: str, *, status: int = 200,
                    error: str | None = None, values: Mapping[str, Any] | None = None
                    ) -> Response:
    officer = page.signed_in
    stored = workflow.get_screening(page.store, officer, screening_id)
    history = workflow.screening_audit(page.store, officer, screening_id)
    ruleset = _ruleset(page)
    screening = stored.screening
    findings = views.finding_views(screening, ruleset.seeds)
    review = screening.review
    review_status = review.status if review else None
    first_approver = next((a.by for a in reversed(review.history)
                           if a.status == "awaiting_second"), None) if review else None
    blocked = None
    if review_status is None:
        blocked = "This screening is clear: there is nothing to decide."
    elif review_status not in OPEN_STATUSES:
        blocked = f"The review is closed: {views.STATUS_LABELS[review_status]}."
    elif not officer.can_review:
        blocked = f"Your role ({officer.role}) can read screenings but not decide them."
    elif stored.submitted_by == officer.key_id:
        blocked = ("You submitted this screening with your own key: another reviewer must "
                   "decide it.")
    elif review_status == "escalated" and not officer.is_admin:
        blocked = "This screening is escalated: an admin decides it now."
    elif review_status == "awaiting_second" and first_approver == officer.key_id:
        blocked = ("You gave the first approval of this hold: a second reviewer must approve "
                   "it (four eyes).")
    return page.render(
        "screening.html", status=status, stored=stored, screening=screening,
        findings=findings, sources=views.cited_sources(findings, ruleset.seeds),
        shipment=stored.shipment,
        parties=views.party_rows(stored.shipment) if stored.shipment else [],
        history=history, error=error, values=values or {}, blocked=blocked,
        review_status=review_status, current=dispositions(review),
        flags_for=views.flag_lookup(screening), done=page.request.query_params.get("done"),
        ruleset_changed=screening.ruleset.version != ruleset.version,
    )


@router.get("/screenings/{screening_id}")
def screening_page(page: OfficerPage, screening_id: str) -> Response:
    if len(screening_id) > 64:
        raise NotFound("screening", screening_id[:64])
    return _screening_page(page, screening_id)


_DECISIONS: dict[str, ReviewDecision] = {
    "approve": "approve", "reject": "reject", "escalate": "escalate", "start": "start"}


def _review_from(form: FormData, rule_ids: list[str]) -> ReviewRequest | str:
    """The review a form describes, or what is wrong with it in words for the officer."""
    decision = _DECISIONS.get(str(form.get("decision") or ""))
    if decision is None:
        return "Choose a decision: approve, reject or escalate."
    reason = str(form.get("reason") or "").strip() or None
    if decision != "start" and reason is None:
        return "Give a reason for the decision."
    if reason is not None and len(reason) > MAX_REASON:
        return f"The reason is too long (at most {MAX_REASON} characters)."
    findings: list[dict[str, Any]] = []
    for i, rule_id in enumerate(rule_ids):
        if any(f["rule_id"] == rule_id for f in findings):
            continue  # one disposition per rule: the workflow keys them by rule id
        disposition = str(form.get(f"f{i}-disposition") or "")
        note = str(form.get(f"f{i}-note") or "").strip() or None
        if note is not None and len(note) > MAX_NOTE:
            return f"The note on F{i + 1} is too long (at most {MAX_NOTE} characters)."
        if disposition in ("confirmed", "false_positive"):
            findings.append({"rule_id": rule_id, "disposition": disposition, "note": note})
        elif note is not None:
            return f"F{i + 1} has a note but no disposition: choose confirmed or false positive."
    try:
        return ReviewRequest.model_validate({
            "decision": decision, "reason": reason,
            "findings": findings if decision != "start" else []})
    except ValidationError as exc:
        return "; ".join(str(e.get("msg", "invalid")) for e in exc.errors())


@router.post("/screenings/{screening_id}/review")
def review(page: OfficerPost, screening_id: str) -> Response:
    form = page.form or FormData()
    officer = page.signed_in
    stored = workflow.get_screening(page.store, officer, screening_id, shipment=False)
    values = {k: v for k, v in form.items() if k != CSRF_FIELD and isinstance(v, str)}
    submitted = _review_from(form, [f.rule_id for f in stored.screening.findings])
    if isinstance(submitted, str):
        return _screening_page(page, screening_id, status=422, error=submitted, values=values)
    etag = str(form.get("etag") or "") or None
    try:
        workflow.review_screening(page.store, officer, screening_id, submitted, if_match=etag)
    except WorkflowError as exc:
        message = str(exc)
        if exc.status == 412:
            message = ("Someone else decided on this screening after you opened it; here it "
                       "is as it stands now. Check their decision before you give yours.")
            values = {}
        return _screening_page(page, screening_id, status=exc.status, error=message,
                               values=values)
    done = "started" if submitted.decision == "start" else "reviewed"
    return page.redirect(f"/ui/screenings/{screening_id}?done={done}#history")


# ------------------------------------------------------------------------------ rulebook


@router.get("/rules")
def rules_page(page: OfficerPage) -> Response:
    ruleset = _ruleset(page)
    by_category: dict[str, list[Any]] = {}
    for rule in ruleset.rules:
        by_category.setdefault(rule.spec.category, []).append(rule)
    return page.render("rules.html", ruleset=ruleset, by_category=by_category,
                       anchor_id=anchor_id)


@router.get("/sources")
def sources_page(page: OfficerPage) -> Response:
    ruleset = _ruleset(page)
    return page.render("sources.html", ruleset=ruleset, sources=views.rule_sources(ruleset))


# ------------------------------------------------------------------------------ static, 404


@router.get("/static/assay.css")
async def stylesheet(request: Request) -> Response:
    css = _state(request).css
    return Response(css, media_type="text/css; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=300",
                             "X-Content-Type-Options": "nosniff"})


@router.get("/{rest:path}")
async def not_found(request: Request, rest: str) -> Response:
    return error_page(request, 404)
