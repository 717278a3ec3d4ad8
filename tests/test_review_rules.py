"""The review rules on their own (no store): statuses, four eyes, own submissions, roles,
reasons and dispositions, If-Match parsing."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from service.auth import Principal
from service.models import Review
from service.review import (
    Forbidden,
    InvalidReview,
    PreconditionFailed,
    PreconditionRequired,
    ReviewConflict,
    ReviewRequest,
    apply_review,
    check_etag,
    dispositions,
    parse_if_match,
)
from service.store import StoredScreening

from .api_support import make_screening

NOW = dt.datetime(2025, 8, 5, 9, 0, tzinfo=dt.UTC)
SUBMITTER = Principal(key_id="ak_submitter000000", org="org-a", role="submitter")
ALICE = Principal(key_id="ak_alice0000000000", org="org-a", role="reviewer")
BOB = Principal(key_id="ak_bob000000000000", org="org-a", role="reviewer")
ADMIN = Principal(key_id="ak_admin0000000000", org="org-a", role="admin")
FLAGS = ("TRX-HUB", "CON-POSTAL")
RULES = ["test.trx-hub", "test.con-postal"]


def stored(decision: str = "review", status: str = "open", *, version: int = 1,
           submitted_by: str | None = SUBMITTER.key_id) -> StoredScreening:
    screening = make_screening(decision=decision, red_flags=FLAGS)
    screening = screening.model_copy(update={"review": Review(status=status)})
    return StoredScreening(screening=screening, org="org-a", submitted_by=submitted_by,
                           version=version)


def request(decision: str, reason: str | None = "checked the documents",
            findings: list[tuple[str, str]] | None = None) -> ReviewRequest:
    return ReviewRequest.model_validate({
        "decision": decision, "reason": reason,
        "findings": [{"rule_id": r, "disposition": d} for r, d in (findings or [])]})


ALL_CONFIRMED = [(rule, "confirmed") for rule in RULES]


def step(current: StoredScreening, who: Principal, req: ReviewRequest) -> StoredScreening:
    review, _event = apply_review(current, who, req, now=NOW)
    return StoredScreening(screening=current.screening.model_copy(update={"review": review}),
                           org=current.org, submitted_by=current.submitted_by,
                           version=current.version + 1)


def status(current: StoredScreening) -> str:
    assert current.screening.review is not None
    return current.screening.review.status


def test_review_decision_goes_open_in_review_approved() -> None:
    s = step(stored(), ALICE, request("start", reason=None))
    assert status(s) == "in_review"
    s = step(s, ALICE, request("approve", findings=ALL_CONFIRMED))
    assert status(s) == "approved"
    assert s.screening.review is not None
    history = s.screening.review.history
    assert [(a.decision, a.status, a.by) for a in history] == [
        ("start", "in_review", ALICE.key_id), ("approve", "approved", ALICE.key_id)]
    assert history[1].reason == "checked the documents" and history[1].at == NOW
    assert {f.rule_id: f.disposition for f in history[1].findings} == dict(ALL_CONFIRMED)


def test_event_records_the_transition() -> None:
    review, event = apply_review(stored(version=4), ALICE, request("reject",
                                 findings=ALL_CONFIRMED), now=NOW)
    assert review.status == "rejected"
    assert event.type == "screening.reviewed" and event.actor == ALICE.key_id
    assert event.org == "org-a" and event.screening_id
    assert event.payload["from"] == "open" and event.payload["to"] == "rejected"
    assert event.payload["version"] == 5 and len(event.payload["findings"]) == 2


def test_hold_needs_two_different_approvers() -> None:
    s = step(stored("hold"), ALICE, request("approve", findings=ALL_CONFIRMED))
    assert status(s) == "awaiting_second"
    with pytest.raises(Forbidden, match="four eyes"):
        step(s, ALICE, request("approve"))
    done = step(s, BOB, request("approve"))  # dispositions given by the first approval count
    assert status(done) == "approved"
    # the first approver may still reject or escalate while it waits
    assert status(step(s, ALICE, request("reject"))) == "rejected"
    assert status(step(s, ALICE, request("escalate"))) == "escalated"


def test_nobody_reviews_their_own_submission() -> None:
    own = stored(submitted_by=ALICE.key_id)
    for decision in ("start", "approve", "reject", "escalate"):
        with pytest.raises(Forbidden, match="own key"):
            step(own, ALICE, request(decision, findings=ALL_CONFIRMED))
    assert status(step(own, BOB, request("start"))) == "in_review"


def test_submitters_do_not_review() -> None:
    with pytest.raises(Forbidden, match="reviewer or admin"):
        step(stored(submitted_by=None), SUBMITTER, request("start"))


def test_final_statuses_and_wrong_transitions_are_conflicts() -> None:
    for final in ("approved", "rejected"):
        with pytest.raises(ReviewConflict, match="closed"):
            step(stored(status=final), ALICE, request("start"))
    with pytest.raises(ReviewConflict, match="open or escalated"):
        step(stored(status="in_review"), ALICE, request("start"))
    with pytest.raises(ReviewConflict, match="nothing to review"):
        clear = make_screening(decision="clear")
        step(StoredScreening(screening=clear, org="org-a", submitted_by=None, version=1),
             ALICE, request("start"))


def test_escalated_screenings_are_for_admins() -> None:
    escalated = stored(status="escalated")
    with pytest.raises(Forbidden, match="admin"):
        step(escalated, ALICE, request("approve", findings=ALL_CONFIRMED))
    with pytest.raises(ReviewConflict, match="escalated already"):
        step(escalated, ADMIN, request("escalate"))
    assert status(step(escalated, ADMIN, request("start"))) == "in_review"
    assert status(step(escalated, ADMIN, request("approve", findings=ALL_CONFIRMED))) \
        == "approved"


def test_reason_and_dispositions_are_required_where_they_matter() -> None:
    with pytest.raises(InvalidReview) as missing_reason:
        step(stored(), ALICE, request("escalate", reason="   "))
    assert missing_reason.value.errors[0]["loc"] == "/reason"
    with pytest.raises(InvalidReview) as incomplete:
        step(stored(), ALICE, request("approve", findings=[(RULES[0], "false_positive")]))
    assert incomplete.value.errors == [{
        "loc": "/findings", "type": "missing_disposition",
        "msg": "approve needs a disposition for every finding; missing: test.con-postal"}]
    with pytest.raises(InvalidReview) as unknown:
        step(stored(), ALICE, request("start", findings=[("no.such.rule", "confirmed"),
                                                        (RULES[0], "confirmed"),
                                                        (RULES[0], "false_positive")]))
    assert [e["type"] for e in unknown.value.errors] == ["unknown_finding",
                                                         "duplicate_finding"]
    # dispositions given while in review count for the approval later
    s = step(stored(), ALICE, request("start", findings=ALL_CONFIRMED))
    assert set(dispositions(s.screening.review)) == set(RULES)
    assert status(step(s, ALICE, request("approve"))) == "approved"


def test_request_text_is_bounded_and_clean() -> None:
    with pytest.raises(ValidationError):
        request("approve", reason="x" * 2001)
    with pytest.raises(ValidationError):
        request("approve", reason="bad\x00byte")
    with pytest.raises(ValidationError):
        ReviewRequest.model_validate({"decision": "maybe"})
    with pytest.raises(ValidationError):
        ReviewRequest.model_validate({"decision": "start", "extra": 1})
    assert request("start", reason="  two\nlines  ").reason == "two\nlines"


def test_if_match_parsing_and_comparison() -> None:
    for missing in (None, "", "  ", "*", ", ,"):
        with pytest.raises(PreconditionRequired):
            parse_if_match(missing)
    assert parse_if_match('"v2", W/"v3", v4') == ['"v2"', 'W/"v3"', '"v4"']
    current = stored(version=3)
    check_etag(current, parse_if_match('"v1", "v3"'))
    check_etag(current, parse_if_match("v3"))
    for stale in ('"v2"', 'W/"v3"'):
        with pytest.raises(PreconditionFailed) as failed:
            check_etag(current, parse_if_match(stale))
        assert failed.value.current_etag == '"v3"'
