"""The workflow functions the API and the reviewer pages call (``service.workflow``), on SQLite
and PostgreSQL: tenancy, the queue and its counts, reviews with ETags, concurrent reviews,
audit history."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from service.auth import Principal, create_key
from service.models import Screening
from service.review import ReviewRequest
from service.store import NewScreening, SqlStore
from service.workflow import (
    Forbidden,
    InvalidCursor,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    QueueFilter,
    ReviewConflict,
    audit_events,
    authenticate,
    find_screening,
    get_screening,
    list_queue,
    principal_for_key,
    queue_counts,
    review_screening,
    screening_audit,
)

from .api_support import make_screening

pytest_plugins = ["tests.api_fixtures"]  # store and API fixtures (see its docstring)

T0 = dt.datetime(2025, 8, 4, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def store(database_url: str) -> Iterator[SqlStore]:
    store = SqlStore.from_url(database_url)
    yield store
    store.dispose()


@pytest.fixture
def people(store: SqlStore) -> dict[str, Principal]:
    wanted = {"sub": ("org-a", "submitter"), "alice": ("org-a", "reviewer"),
              "bob": ("org-a", "reviewer"), "admin": ("org-a", "admin"),
              "b_admin": ("org-b", "admin")}
    return {name: create_key(store, org=org, role=role).principal
            for name, (org, role) in wanted.items()}


def put(store: SqlStore, by: Principal, *screenings: Screening,
        shipment: dict[str, Any] | None = None) -> list[str]:
    with store.transaction(write=True) as repo:
        stored = repo.add_screenings(
            [NewScreening(screening=s, org=by.org, submitted_by=by.key_id, shipment=shipment)
             for s in screenings], now=T0)
    return [s.id or "" for s in stored]


APPROVE = ReviewRequest.model_validate({
    "decision": "approve", "reason": "documents check out",
    "findings": [{"rule_id": "test.trx-hub", "disposition": "false_positive",
                  "note": "direct sailing"}]})


def test_authenticate_and_sessions(store: SqlStore) -> None:
    issued = create_key(store, org="org-a", role="reviewer", name="Alice")
    officer = authenticate(store, issued.key)
    assert officer is not None and officer.name == "Alice" and officer.can_review
    assert principal_for_key(store, officer.key_id) == officer
    assert authenticate(store, "nonsense") is None


def test_another_organisations_screening_is_not_found(
        store: SqlStore, people: dict[str, Principal]) -> None:
    [mine] = put(store, people["sub"], make_screening(), shipment={"reference": "PO-1"})
    record = get_screening(store, people["alice"], mine)
    assert record.org == "org-a" and record.submitted_by == people["sub"].key_id
    assert record.etag == '"v1"' and record.shipment == {"reference": "PO-1"}
    assert get_screening(store, people["alice"], mine, shipment=False).shipment is None
    outsider = people["b_admin"]
    with pytest.raises(NotFound) as other:
        get_screening(store, outsider, mine)
    with pytest.raises(NotFound) as missing:
        get_screening(store, outsider, "scr_00000000000000000000000000")
    assert str(other.value).replace(mine, "X") == str(missing.value).replace(
        "scr_00000000000000000000000000", "X")  # the same answer either way
    assert find_screening(store, outsider, mine) is None
    assert list_queue(store, outsider).items == []
    with pytest.raises(NotFound):
        screening_audit(store, outsider, mine)
    with pytest.raises(NotFound):
        review_screening(store, outsider, mine, APPROVE, if_match='"v1"')


def test_queue_filters_pages_and_counts(store: SqlStore, people: dict[str, Principal]) -> None:
    sub = people["sub"]
    ids = put(store, sub, make_screening(decision="hold"),
              make_screening(decision="review", red_flags=("DEC-VAGUE",)),
              make_screening(decision="clear"), make_screening(decision="review"))
    put(store, create_key(store, org="org-b", role="submitter").principal,
        make_screening(decision="hold"))
    page = list_queue(store, people["alice"], limit=3)
    assert len(page.items) == 3 and page.next_cursor is not None
    assert page.counts is not None and page.total == 4
    assert page.counts.by_decision == {"clear": 1, "review": 2, "hold": 1}
    assert page.counts.by_status["open"] == 3 and page.counts.total == 4
    rest = list_queue(store, people["alice"], cursor=page.next_cursor, limit=3)
    assert {s.id for s in page.items + rest.items} == set(ids) and rest.next_cursor is None

    held = list_queue(store, people["alice"], QueueFilter(decision="hold"))
    assert [s.id for s in held.items] == [ids[0]] and held.total == 1
    assert held.counts is not None and held.counts.total == 4  # the whole queue
    vague = list_queue(store, people["alice"], QueueFilter(red_flag="DEC-VAGUE"))
    assert [s.id for s in vague.items] == [ids[1]]
    review_screening(store, people["alice"], ids[3], APPROVE, if_match='"v1"')
    approved = list_queue(store, people["alice"], QueueFilter(status="approved"),
                          counts=False)
    assert [s.id for s in approved.items] == [ids[3]] and approved.counts is None
    counts = queue_counts(store, people["alice"])
    assert counts.by_status["approved"] == 1 and counts.by_status["open"] == 2
    assert queue_counts(store, people["b_admin"]).total == 1
    with pytest.raises(InvalidCursor):
        list_queue(store, people["alice"], cursor="garbage")


def test_review_checks_in_order(store: SqlStore, people: dict[str, Principal]) -> None:
    [held] = put(store, people["sub"], make_screening(decision="hold"))
    start = ReviewRequest(decision="start")
    with pytest.raises(Forbidden, match="reviewer or admin"):
        review_screening(store, people["sub"], held, start, if_match='"v1"')
    with pytest.raises(PreconditionRequired):
        review_screening(store, people["alice"], held, start, if_match=None)
    with pytest.raises(NotFound):
        review_screening(store, people["alice"], "scr_00000000000000000000000000", start,
                         if_match='"v1"')
    with pytest.raises(PreconditionFailed) as stale:
        review_screening(store, people["alice"], held, start, if_match='"v7"')
    assert stale.value.current_etag == '"v1"' and stale.value.status == 412

    first = review_screening(store, people["alice"], held, APPROVE, if_match='"v1"')
    assert first.etag == '"v2"' and first.screening.review is not None
    assert first.screening.review.status == "awaiting_second"
    with pytest.raises(Forbidden, match="four eyes"):
        review_screening(store, people["alice"], held, APPROVE, if_match=first.etag)
    done = review_screening(store, people["bob"], held, ReviewRequest(
        decision="approve", reason="second look: agreed"), if_match=first.etag)
    assert done.screening.review is not None and done.screening.review.status == "approved"
    assert [a.by for a in done.screening.review.history] == [people["alice"].key_id,
                                                             people["bob"].key_id]
    with pytest.raises(ReviewConflict) as closed:
        review_screening(store, people["admin"], held, ReviewRequest(decision="start"),
                         if_match=done.etag)
    assert closed.value.status == 409
    again = get_screening(store, people["alice"], held)
    assert again.etag == done.etag and again.screening.review == done.screening.review

    events = screening_audit(store, people["sub"], held)
    assert [(e.type, e.actor) for e in events] == [
        ("screening.created", people["sub"].key_id),
        ("screening.reviewed", people["alice"].key_id),
        ("screening.reviewed", people["bob"].key_id)]
    assert events[1].payload["to"] == "awaiting_second"


def test_own_submission_is_forbidden_even_to_admins(
        store: SqlStore, people: dict[str, Principal]) -> None:
    [own] = put(store, people["admin"], make_screening())
    with pytest.raises(Forbidden, match="own key"):
        review_screening(store, people["admin"], own, APPROVE, if_match='"v1"')


def test_two_reviewers_at_once_one_wins_the_other_is_stale(
        store: SqlStore, people: dict[str, Principal]) -> None:
    [flagged] = put(store, people["sub"], make_screening())
    outcomes: list[object] = []
    barrier = threading.Barrier(2)

    def decide(who: Principal, request: ReviewRequest) -> None:
        barrier.wait()
        try:
            outcomes.append(review_screening(store, who, flagged, request, if_match='"v1"'))
        except PreconditionFailed as exc:
            outcomes.append(exc)

    reject = ReviewRequest.model_validate({
        "decision": "reject", "reason": "no", "findings": [
            {"rule_id": "test.trx-hub", "disposition": "confirmed"}]})
    threads = [threading.Thread(target=decide, args=(people["alice"], APPROVE)),
               threading.Thread(target=decide, args=(people["bob"], reject))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(type(o).__name__ for o in outcomes) == ["PreconditionFailed",
                                                          "StoredScreening"]
    record = get_screening(store, people["alice"], flagged)
    assert record.version == 2 and record.screening.review is not None
    assert len(record.screening.review.history) == 1


def test_audit_events_are_for_admins_and_per_organisation(
        store: SqlStore, people: dict[str, Principal]) -> None:
    [mine] = put(store, people["sub"], make_screening())
    with pytest.raises(Forbidden):
        audit_events(store, people["alice"])
    a_events = audit_events(store, people["admin"])
    assert {e.org for e in a_events} == {"org-a"}
    assert [e.type for e in audit_events(store, people["admin"], screening_id=mine)] == [
        "screening.created"]
    b_events = audit_events(store, people["b_admin"])
    assert {e.org for e in b_events} == {"org-b"} and all(
        e.screening_id != mine for e in b_events)
    page = audit_events(store, people["admin"], after=a_events[0].seq, limit=1)
    assert [e.seq for e in page] == [a_events[1].seq]
