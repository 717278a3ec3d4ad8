"""Screenings: screen and store one shipment or a batch, read one back, list them by page,
count the review queue, and review one.

Stores go through the store's group-commit writer and reads run in the threadpool. A 201 (or
the batch's 200) is sent only after the transaction that stored the screenings (and their
audit events) has committed. Everything is scoped to the organisation of the request's API key:
another organisation's screening is a 404 and never listed; Idempotency-Keys are per
organisation.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Path, Query, Request
from fastapi.responses import Response
from pydantic import StringConstraints, TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool

from ... import workflow
from ...auth import Principal
from ...engine import Ruleset, evaluate
from ...engine.schema import RedFlag
from ...ids import new_screening_id
from ...models import Screening, Shipment
from ...models.construct import replace
from ...models.screening import Decision, Review, ReviewStatus
from ...review import ReviewRequest
from ...store import (
    Cursor,
    IdempotencyKeyTaken,
    IdempotencyRecord,
    IdempotencyWrite,
    NewScreening,
    ScreeningFilter,
    initial_review,
    screening_body,
)
from ..deps import Services, ServicesDep, StoreDep
from ..examples import EXAMPLE_SCREENING
from ..handread import Part, documented, read_request
from ..params import IsoDate, IsoDateTime, check_at_most, check_items_at_most
from ..problems import field_errors, problem_dict
from ..schemas import BatchRequest, BatchResponse, QueueCountsOut, ScreeningPage
from ..security import PrincipalDep, ReviewerDep, authenticated_principal
from .common import AUTH, problem_responses

router = APIRouter(prefix="/v1", tags=["screenings"])

# Screenings of a batch handed to the store writer at a time (see `GroupCommitWriter.stream`).
BATCH_CHUNK = 50
# The screening POSTs read their parts by hand (see `handread`).
IDEMPOTENCY_KEY = Part(
    "Idempotency-Key", "header",
    Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=r"^[\x21-\x7e]+$")],
    "Makes a retry safe: the same key with the same request returns the first response (with "
    "`Idempotent-Replayed: true`); the same key with another request is 409.")
AS_OF = Part("as_of", "query", IsoDate,
             "Evaluate the rules at this date instead of the shipment's ship_date.")
JSON = "application/json"
LOCATION = {"Location": {"description": "the new screening", "schema": {"type": "string"}}}
ETAG = {"ETag": {"description": "the screening's version: send it as If-Match to review it",
                 "schema": {"type": "string"}}}
ScreeningId = Annotated[str, Path(min_length=1, max_length=64,
                                  examples=["scr_01JD3X5Q7Z8K9M2N4P6R8T0V2W"])]


def _fingerprint(route: str, as_of: dt.date | None, body: bytes) -> str:
    digest = hashlib.sha256(f"{route}\n{as_of or ''}\n".encode())
    digest.update(body)
    return digest.hexdigest()


def _screening_json(screening: Screening) -> bytes:
    return screening.model_dump_json(by_alias=True).encode()


_DATETIME = TypeAdapter(dt.datetime | None)


def _around_created_at(body: str, review: Review | None) -> tuple[bytes, bytes]:
    """A stored screening's JSON (``_screening_json`` of it) but for its ``created_at``: what
    comes before and after it. Made from the body it was stored with (``screening_body``,
    serialised once for the column and the response): ``created_at`` and ``review``, the
    model's last two fields, are all that is added."""
    review_json = review.model_dump_json(by_alias=True).encode() if review else b"null"
    return body[:-1].encode() + b',"created_at":', b',"review":' + review_json + b"}"


def _stored_json(stored: Screening, body: str) -> bytes:
    before, after = _around_created_at(body, stored.review)
    return before + _DATETIME.dump_json(stored.created_at) + after


def _screening_response(screening: Screening, *, replayed: bool = False,
                        body: str | None = None) -> Response:
    headers = {"Location": f"/v1/screenings/{screening.id}"}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    content = _screening_json(screening) if body is None else _stored_json(screening, body)
    return Response(content, status_code=201, headers=headers, media_type=JSON)


def _check_fingerprint(record: IdempotencyRecord, fingerprint: str) -> None:
    if record.fingerprint != fingerprint:
        raise HTTPException(
            409, f"Idempotency-Key {record.key!r} was used with a different request; "
                 "use a new key for a new request",
        )


def _recorded(services: ServicesDep, org: str, key: str) -> IdempotencyRecord | None:
    with services.store.transaction() as repo:
        return repo.get_idempotency(key, org=org)


def _new(screening: Screening, shipment: Shipment, principal: Principal) -> NewScreening:
    return NewScreening(
        screening=screening, org=principal.org, submitted_by=principal.key_id,
        shipment=shipment.model_dump_json(by_alias=True, exclude_unset=True),
        body=screening_body(screening))


def _context(request: Request) -> tuple[Services, Ruleset, Principal]:
    """What ``ServicesDep``, ``RulesetDep`` and ``PrincipalDep`` give, read straight from the
    request: the two POST routes take it this way to skip FastAPI's per-request dependency
    resolution (none of the three adds anything to the OpenAPI document)."""
    services: Services = request.app.state.services
    return services, services.rulesets.current, authenticated_principal(request.scope)


@router.post(
    "/screenings",
    status_code=201,
    response_model=Screening,
    operation_id="createScreening",
    summary="Screen one shipment and store the screening",
    responses={
        201: {"headers": LOCATION,
              "content": {JSON: {"example": EXAMPLE_SCREENING}}},
        **problem_responses(*AUTH, 409, 413, 415, 422, 503),
    },
    openapi_extra=documented(Shipment, AS_OF, IDEMPOTENCY_KEY),
)
async def create_screening(request: Request) -> Response:
    shipment, (as_of, idempotency_key) = await read_request(request, Shipment, AS_OF,
                                                            IDEMPOTENCY_KEY)
    services, ruleset, principal = _context(request)
    # Evaluation is pure CPU work (well under a millisecond): it runs inline; the screening
    # is stored by the writer process, and an idempotency lookup runs in the threadpool.
    fingerprint = ""
    if idempotency_key is not None:
        fingerprint = _fingerprint("POST /v1/screenings", as_of,
                                   shipment.model_dump_json().encode())
        record = await run_in_threadpool(_recorded, services, principal.org, idempotency_key)
        if record is not None:
            return await run_in_threadpool(_replay_one, services, record, fingerprint)
    screening = replace(evaluate(ruleset, shipment, as_of), id=new_screening_id())
    idempotency = None
    if idempotency_key is not None:
        idempotency = IdempotencyWrite(org=principal.org, key=idempotency_key,
                                       fingerprint=fingerprint, status_code=201,
                                       result={"screening_id": screening.id})
    new = _new(screening, shipment, principal)
    try:
        # Resolves after the commit: the 201 is never sent for something not stored.
        [stored] = await asyncio.wrap_future(services.writer.submit([new], idempotency=idempotency))
    except IdempotencyKeyTaken:  # a concurrent request with the same key committed first
        record = await run_in_threadpool(_recorded, services, principal.org,
                                         idempotency_key or "")
        if record is None:
            raise
        return await run_in_threadpool(_replay_one, services, record, fingerprint)
    services.metrics.count_screening(stored.decision)
    return _screening_response(stored, body=new.body)


def _replay_one(services: ServicesDep, record: IdempotencyRecord, fingerprint: str) -> Response:
    _check_fingerprint(record, fingerprint)
    screening_id = record.result.get("screening_id")
    if record.status_code != 201 or not isinstance(screening_id, str):
        raise HTTPException(409, f"Idempotency-Key {record.key!r} belongs to another operation")
    with services.store.transaction() as repo:
        screening = repo.get_screening(screening_id, org=record.org)
    return _screening_response(screening, replayed=True)


@router.post(
    "/screenings:batch",
    status_code=200,
    response_model=BatchResponse,
    operation_id="createScreeningBatch",
    summary="Screen up to 1,000 shipments; one result or one problem per shipment, in order",
    description="At most 1,000 shipments by default: the server's `ASSAY_MAX_BATCH_ITEMS` "
                "(more is a 422 on `/shipments`).",
    responses=problem_responses(*AUTH, 409, 413, 415, 422, 503),
    openapi_extra=documented(BatchRequest, AS_OF, IDEMPOTENCY_KEY),
)
async def create_screening_batch(request: Request) -> Response:
    batch, (as_of, idempotency_key) = await read_request(request, BatchRequest, AS_OF,
                                                         IDEMPOTENCY_KEY)
    services, ruleset, principal = _context(request)
    # The shipments as sent (read again only for an idempotency fingerprint).
    raw = await request.body()
    return await run_in_threadpool(_screen_batch, services, ruleset, principal, batch, raw,
                                   idempotency_key, as_of)


def _screen_batch(services: Services, ruleset: Ruleset, principal: Principal,
                  batch: BatchRequest, raw: bytes, idempotency_key: str | None,
                  as_of: dt.date | None) -> Response:
    check_items_at_most(len(batch.shipments), services.settings.max_batch_items,
                        name="shipments")
    fingerprint = ""
    if idempotency_key is not None:
        canonical = json.dumps(json.loads(raw)["shipments"], sort_keys=True,
                               separators=(",", ":"), ensure_ascii=False)
        fingerprint = _fingerprint("POST /v1/screenings:batch", as_of, canonical.encode())
        record = _recorded(services, principal.org, idempotency_key)
        if record is not None:
            return _replay_batch(services, record, fingerprint)

    outcomes: list[NewScreening | dict[str, Any]] = []
    chunk: list[NewScreening] = []
    # The writer stores each chunk while the next is screened; all in one transaction.
    stream = services.writer.stream()
    try:
        for index, item in enumerate(batch.shipments):
            if isinstance(item, Shipment):
                shipment = item
            else:
                try:
                    shipment = Shipment.model_validate(item)
                except ValidationError as exc:
                    errors = field_errors(
                        [{**e, "loc": ("shipments", index, *e["loc"])} for e in exc.errors()],
                        where="body",
                    )
                    n = len(errors)
                    outcomes.append(problem_dict(
                        422, detail=f"{n} invalid field{'s' * (n != 1)}", errors=errors))
                    continue
            screening = replace(evaluate(ruleset, shipment, as_of), id=new_screening_id())
            new = _new(screening, shipment, principal)
            chunk.append(new)
            outcomes.append(new)
            if len(chunk) == BATCH_CHUNK:
                stream.add(chunk)
                chunk = []
    except BaseException:
        stream.abort()
        raise

    idempotency = None
    if idempotency_key is not None:
        recorded = [
            {"status": 201, "id": o.screening.id} if isinstance(o, NewScreening)
            else {"status": 422, "problem": o}
            for o in outcomes
        ]
        idempotency = IdempotencyWrite(org=principal.org, key=idempotency_key,
                                       fingerprint=fingerprint, status_code=200,
                                       result={"results": recorded})
    committed = stream.end(chunk, idempotency=idempotency)
    response = _BatchBody()  # made while the writer commits
    for outcome in outcomes:
        if isinstance(outcome, NewScreening):
            response.add_new(outcome)
        else:
            response.add_problem(outcome)
    try:
        stored = committed.result()  # in the order sent
    except IdempotencyKeyTaken:
        record = _recorded(services, principal.org, idempotency_key or "")
        if record is None:
            raise
        return _replay_batch(services, record, fingerprint)
    for decision, n in Counter(s.decision for s in stored).items():
        services.metrics.count_screening(decision, n)
    return response.response(stored)


class _BatchBody:
    """A batch's 200 body, its results in order, built piece by piece. A new screening's
    ``created_at`` is set by the writer at the commit, so it is filled in last (``response``):
    the rest is built while the writer commits."""

    def __init__(self) -> None:
        self._pieces: list[bytes] = []
        self._created: list[int] = []  # where each new screening's created_at goes

    def add(self, screening: Screening) -> None:
        """A screening as it is (one read back from the store)."""
        self._item(b'{"status":201,"screening":', _screening_json(screening), b"}")

    def add_new(self, new: NewScreening) -> None:
        """A screening being stored, made from the body it is stored with."""
        before, after = _around_created_at(new.body or screening_body(new.screening),
                                           initial_review(new.screening.decision))
        self._item(b'{"status":201,"screening":', before)
        self._created.append(len(self._pieces))
        self._pieces += (b"", after + b"}")

    def add_problem(self, problem: dict[str, Any]) -> None:
        self._item(b'{"status":422,"problem":', json.dumps(problem, ensure_ascii=False).encode(),
                   b"}")

    def _item(self, *pieces: bytes) -> None:
        self._pieces.append(b"," + pieces[0] if self._pieces else pieces[0])
        self._pieces += pieces[1:]

    def response(self, stored: Sequence[Screening] = (), *, replayed: bool = False
                 ) -> Response:
        """The response, the new screenings' creation times taken from them as ``stored``
        (in the order added)."""
        created: dict[dt.datetime | None, bytes] = {}
        for slot, screening in zip(self._created, stored, strict=True):
            at = screening.created_at
            if at not in created:
                created[at] = _DATETIME.dump_json(at)
            self._pieces[slot] = created[at]
        headers = {"Idempotent-Replayed": "true"} if replayed else None
        return Response(b"".join((b'{"results":[', *self._pieces, b"]}")), status_code=200,
                        headers=headers, media_type=JSON)


def _replay_batch(services: ServicesDep, record: IdempotencyRecord, fingerprint: str
                  ) -> Response:
    _check_fingerprint(record, fingerprint)
    recorded = record.result.get("results")
    if record.status_code != 200 or not isinstance(recorded, list):
        raise HTTPException(409, f"Idempotency-Key {record.key!r} belongs to another operation")
    with services.store.transaction() as repo:
        found = repo.get_screenings([r["id"] for r in recorded if r.get("status") == 201],
                                    org=record.org)
    response = _BatchBody()
    for r in recorded:
        if r.get("status") == 201:
            response.add(found[r["id"]])
        else:
            response.add_problem(r["problem"])
    return response.response(replayed=True)


@router.get(
    "/screenings/{screening_id}",
    response_model=Screening,
    operation_id="getScreening",
    summary="One stored screening of the key's organisation, with its ETag",
    description="Another organisation's screening is 404, exactly like one that does not "
                "exist. The `ETag` is what a review sends back in `If-Match`.",
    responses={200: {"headers": ETAG, "content": {JSON: {"example": EXAMPLE_SCREENING}}},
               **problem_responses(*AUTH, 404, 422, 503)},
)
def get_screening(screening_id: ScreeningId, store: StoreDep, principal: PrincipalDep
                  ) -> Response:
    stored = workflow.get_screening(store, principal, screening_id, shipment=False)
    return Response(_screening_json(stored.screening), media_type=JSON,
                    headers={"ETag": stored.etag})


@router.post(
    "/screenings/{screening_id}/review",
    response_model=Screening,
    operation_id="reviewScreening",
    summary="Record a review decision on a flagged screening",
    tags=["review"],
    description="""\
For keys with the reviewer or admin role, never on a screening the key submitted itself.
Send `If-Match` with the ETag of the screening you decided on (428 without it, 412 when it
changed since). Status: `open` -start-> `in_review`; approve -> `approved` (decision review)
or `awaiting_second` (decision hold: a second approval by another key makes it `approved`);
reject -> `rejected`; escalate -> `escalated` (then decided by an admin). Approve, reject and
escalate need a `reason`; approve and reject need a disposition for every finding (now or in an
earlier decision). Answers the screening as it now is, with its new ETag.""",
    responses={200: {"headers": ETAG},
               **problem_responses(
                   *AUTH, 404, 409, 412, 422, 428, 503,
                   descriptions={403: "Not a reviewer, the key's own submission, or the same "
                                      "reviewer approving a hold twice",
                                 409: "The review status does not allow this decision"})},
)
def review_screening(
    screening_id: ScreeningId,
    review: ReviewRequest,
    store: StoreDep,
    principal: ReviewerDep,
    if_match: Annotated[str | None, Header(
        alias="If-Match", max_length=500,
        description="The ETag of the screening as read (GET /v1/screenings/{id}).")] = None,
) -> Response:
    stored = workflow.review_screening(store, principal, screening_id, review,
                                       if_match=if_match)
    return Response(_screening_json(stored.screening), media_type=JSON,
                    headers={"ETag": stored.etag})


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


@router.get(
    "/screenings",
    response_model=ScreeningPage,
    operation_id="listScreenings",
    summary="The organisation's screenings, newest first, in cursor pages (the review queue "
            "with `status=`)",
    description="Pages are keyed on (created_at, id): screenings stored while a client walks "
                "the pages appear before its first page and never shift later pages. Only the "
                "key's organisation's screenings are listed.",
    responses=problem_responses(*AUTH, 422, 503),
)
def list_screenings(
    services: ServicesDep,
    principal: PrincipalDep,
    decision: Annotated[Decision | None, Query()] = None,
    red_flag: Annotated[RedFlag | None, Query()] = None,
    status: Annotated[ReviewStatus | None, Query(description="review status")] = None,
    reference: Annotated[str | None, Query(min_length=1, max_length=300)] = None,
    since: Annotated[IsoDateTime | None, Query(
        description="created at or after (ISO 8601; UTC when no offset)")] = None,
    until: Annotated[IsoDateTime | None, Query(
        description="created before (ISO 8601; UTC when no offset)")] = None,
    limit: Annotated[int | None, Query(
        ge=1, json_schema_extra={"maximum": 200},
        description="page size; at most the server's `ASSAY_PAGE_LIMIT_MAX` (default 200), "
                    "default `ASSAY_PAGE_LIMIT_DEFAULT` (50)")] = None,
    cursor: Annotated[str | None, Query(min_length=1, max_length=512)] = None,
) -> Response:
    settings = services.settings
    if limit is not None:
        check_at_most(limit, settings.page_limit_max, name="limit")
    after = Cursor.decode(cursor) if cursor is not None else None
    where = ScreeningFilter(
        org=principal.org, decision=decision, red_flag=red_flag, status=status,
        reference=reference, since=_utc(since), until=_utc(until),
    )
    size = min(limit or settings.page_limit_default, settings.page_limit_max)
    with services.store.transaction() as repo:
        page = repo.list_screenings(where=where, limit=size, after=after)
    items = b",".join(_screening_json(s) for s in page.items)
    next_cursor = json.dumps(page.next_cursor.encode() if page.next_cursor else None)
    body = b'{"items":[' + items + b'],"next_cursor":' + next_cursor.encode() + b"}"
    return Response(body, media_type=JSON)



@router.get(
    "/queue/counts",
    response_model=QueueCountsOut,
    operation_id="getQueueCounts",
    summary="How many of the organisation's screenings are in each review status and decision",
    tags=["review"],
    responses=problem_responses(*AUTH, 422, 503),
)
def queue_counts(
    store: StoreDep,
    principal: PrincipalDep,
    decision: Annotated[Decision | None, Query()] = None,
    red_flag: Annotated[RedFlag | None, Query()] = None,
    since: Annotated[IsoDateTime | None, Query(
        description="created at or after (ISO 8601; UTC when no offset)")] = None,
    until: Annotated[IsoDateTime | None, Query(
        description="created before (ISO 8601; UTC when no offset)")] = None,
) -> QueueCountsOut:
    counts = workflow.queue_counts(store, principal, workflow.QueueFilter(
        decision=decision, red_flag=red_flag, since=_utc(since), until=_utc(until)))
    return QueueCountsOut(by_status=counts.by_status, by_decision=counts.by_decision,
                          total=counts.total)
