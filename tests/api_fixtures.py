"""Fixtures for the store and API tests; test modules load them with
``pytest_plugins = ["tests.api_fixtures"]`` and import helpers from ``.api_support``.

How they are chosen:
- ``database_url`` runs a test once on a fresh SQLite file and once on PostgreSQL in a fresh,
  randomly named schema (``search_path``) that is dropped afterwards. PostgreSQL tests skip with
  the reason shown when no server answers at ``ASSAY_TEST_POSTGRES_URL`` (default
  127.0.0.1:5432, database ``test``), except under ``CI=true``, where they fail.
- ``api`` / ``client``: a real uvicorn server (subprocess, random free port on 127.0.0.1) over a
  migrated database, one per backend for the whole session; tests talk to it over httpx and
  must not depend on what other tests stored (filter on a unique ``reference``, or make a
  fresh organisation with ``make_keys``). The database has the ``TEST_KEYS`` of
  ``api_support``; ``client`` sends the admin key of ``org-a``, ``api.client(name)`` another.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from service.store import upgrade

from .api_support import LiveServer, pg_schema, require_postgres, start_server, stop_server

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'assay.db'}"
        upgrade(url)
        yield url
        return
    for url in pg_schema():
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
def server_logs() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="assay-api-tests-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def sqlite_api(server_logs: Path) -> Iterator[LiveServer]:
    server = start_server(f"sqlite:///{server_logs / 'assay.db'}", "sqlite", server_logs)
    yield server
    stop_server(server)


@pytest.fixture(scope="session")
def postgresql_api(server_logs: Path) -> Iterator[LiveServer]:
    for url in pg_schema():
        server = start_server(url, "postgresql", server_logs)
        try:
            yield server
        finally:
            stop_server(server)


@pytest.fixture(params=BACKENDS)
def api(request: pytest.FixtureRequest) -> LiveServer:
    """The live server of each backend."""
    if request.param == "postgresql":
        require_postgres()
    server: LiveServer = request.getfixturevalue(f"{request.param}_api")
    return server


@pytest.fixture
def client(api: LiveServer) -> Iterator[httpx.Client]:
    with api.client() as http:
        yield http
