"""Migration 0002 (tenancy, review, audit) on a database that already holds 0001 data, on SQLite
and PostgreSQL: nothing is lost, old rows belong to the default organisation, and the schema
goes down to 0001 and up again. Migration 0003 (reload requests) goes down and up too."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic import command

from service.store import NewScreening, ScreeningFilter, SqlStore, make_engine, upgrade
from service.store.migrate import alembic_config
from service.workflow import verify_audit

from .api_support import make_screening, pg_schema

pytest_plugins = ["tests.api_fixtures"]  # store and API fixtures (see its docstring)

T0 = dt.datetime(2025, 8, 4, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/old.db"
        return
    yield from pg_schema()


def _downgrade(url: str, revision: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, revision)
    finally:
        engine.dispose()


def test_0001_data_survives_and_belongs_to_the_default_organisation(empty_url: str) -> None:
    assert upgrade(empty_url, "0001") == "0001"
    screening = make_screening(decision="hold")
    body = screening.model_dump_json(by_alias=True, exclude={"created_at", "review"})
    naive = empty_url.startswith("sqlite")
    at = T0.replace(tzinfo=None) if naive else T0
    engine = make_engine(empty_url)
    with engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO screenings (id, reference, decision, risk_score, ruleset_version, "
            "review_status, as_of, created_at, body) VALUES (:id, 'PO-OLD', 'hold', 80, "
            "'sha256:test', 'open', :as_of, :at, :body)"),
            {"id": screening.id, "as_of": dt.date(2025, 8, 4), "at": at, "body": body})
        connection.execute(sa.text(
            "INSERT INTO screening_red_flags (screening_id, red_flag) VALUES (:id, 'TRX-HUB')"),
            {"id": screening.id})
        connection.execute(sa.text(
            "INSERT INTO idempotency_keys (key, fingerprint, status_code, result, created_at) "
            "VALUES ('k1', :f, 201, :r, :at)"),
            {"f": "f" * 64, "r": json.dumps({"screening_id": screening.id}), "at": at})
    engine.dispose()

    assert upgrade(empty_url) == "0003"
    store = SqlStore.from_url(empty_url)
    try:
        with store.transaction() as repo:
            stored = repo.get_stored(screening.id or "", org="default")
            record = repo.get_idempotency("k1", org="default")
            assert repo.get_organisation("default") is not None
            flagged = ScreeningFilter(org="default", red_flag="TRX-HUB")
            assert repo.list_screenings(where=flagged, limit=5).items
        assert stored.version == 1 and stored.submitted_by is None and stored.shipment is None
        assert stored.screening.review is not None
        assert stored.screening.review.status == "open" and stored.screening.review.history == []
        assert record is not None and record.result == {"screening_id": screening.id}
        with store.transaction(write=True) as repo:  # new writes work on the migrated schema
            repo.add_screenings([NewScreening(screening=make_screening(), org="default")],
                                now=T0)
        assert verify_audit(store).count == 1
    finally:
        store.dispose()

    _downgrade(empty_url, "0002")
    engine = make_engine(empty_url)
    try:
        assert "ruleset_reloads" not in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()
    _downgrade(empty_url, "0001")
    _downgrade(empty_url, "base")
    assert upgrade(empty_url) == "0003"
