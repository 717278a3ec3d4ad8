"""API keys on SQLite and PostgreSQL: shown once, stored as hashes, checked, revoked, cached;
the first-run bootstrap; and the `assay keys` commands."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from service.auth import (
    AuthError,
    KeyCache,
    Principal,
    authenticate,
    bootstrap,
    create_key,
    hash_key,
    key_id_of,
    list_keys,
    principal_for_key,
    revoke_key,
)
from service.store import SqlStore, upgrade

from .api_support import ROOT

pytest_plugins = ["tests.api_fixtures"]  # store and API fixtures (see its docstring)

ASSAY = str(Path(sys.executable).parent / "assay")


@pytest.fixture
def store(database_url: str) -> Iterator[SqlStore]:
    store = SqlStore.from_url(database_url)
    yield store
    store.dispose()


def test_a_key_is_shown_once_and_stored_as_a_hash(store: SqlStore) -> None:
    issued = create_key(store, org="acme", role="reviewer", name="alice")
    assert issued.org_created and issued.principal.org == "acme"
    key_id = issued.principal.key_id
    assert issued.key.startswith(key_id + ".") and key_id_of(issued.key) == key_id
    assert len(issued.key.split(".", 1)[1]) == 43  # 256 random bits
    with store.engine.connect() as connection:
        rows = [dict(r) for r in connection.execute(sa.text("SELECT * FROM api_keys")).mappings()]
    assert [r["secret_sha256"] for r in rows] == [hash_key(issued.key)]
    assert all(issued.key.split(".", 1)[1] not in str(value) for r in rows for value in r.values())
    [listed] = list_keys(store, org="acme")
    assert (listed.id, listed.role, listed.name, listed.revoked_at) == (key_id, "reviewer",
                                                                        "alice", None)
    again = create_key(store, org="acme", role="submitter")
    assert not again.org_created and again.key != issued.key


def test_authenticate_accepts_only_the_exact_live_key(store: SqlStore) -> None:
    issued = create_key(store, org="acme", role="admin")
    expected = Principal(key_id=issued.principal.key_id, org="acme", role="admin")
    assert authenticate(store, issued.key) == expected
    assert authenticate(store, f"  {issued.key}\n") == expected
    wrong_secret = issued.key[:-1] + ("A" if issued.key[-1] != "A" else "B")
    for bad in (wrong_secret, issued.principal.key_id, "", "Bearer " + issued.key,
                issued.key + "x", "ak_0000000000000000." + "A" * 43):
        assert authenticate(store, bad) is None, bad
    assert principal_for_key(store, issued.principal.key_id) == expected
    assert principal_for_key(store, "ak_0000000000000000") is None
    assert principal_for_key(store, "not a key id") is None

    assert revoke_key(store, issued.principal.key_id)
    assert not revoke_key(store, issued.principal.key_id)  # already revoked
    assert authenticate(store, issued.key) is None
    assert principal_for_key(store, issued.principal.key_id) is None
    assert list_keys(store)[-1].revoked_at is not None


def test_roles_rank_and_bad_input_is_refused(store: SqlStore) -> None:
    admin = Principal(key_id="ak_x", org="o", role="admin")
    submitter = Principal(key_id="ak_y", org="o", role="submitter")
    assert admin.has_role("reviewer") and admin.can_review and admin.is_admin
    assert not submitter.has_role("reviewer") and submitter.has_role("submitter")
    for org, role in (("Acme", "admin"), ("acme_corp", "admin"), ("", "admin"),
                      ("acme", "owner"), ("x" * 41, "admin")):
        with pytest.raises(AuthError):
            create_key(store, org=org, role=role)
    with pytest.raises(AuthError, match="no organisation"):
        create_key(store, org="nobody", role="admin", create_org=False)


def test_bootstrap_makes_one_admin_key_on_the_first_run_only(store: SqlStore) -> None:
    first = bootstrap(store)
    assert first is not None and first.principal.role == "admin"
    assert first.principal.org == "default" and not first.org_created  # made by migration
    assert authenticate(store, first.key) is not None
    assert bootstrap(store) is None
    assert len(list_keys(store)) == 1


def test_key_cache_remembers_good_keys_only(store: SqlStore) -> None:
    issued = create_key(store, org="acme", role="submitter")
    cache = KeyCache(60)
    assert cache.lookup(issued.key) is None
    assert cache.authenticate(store, issued.key) == issued.principal
    assert cache.lookup(issued.key) == issued.principal
    assert cache.lookup(issued.key[:-1] + "Z") is None  # a wrong secret for a cached id
    assert cache.authenticate(store, "ak_0000000000000000." + "A" * 43) is None
    revoke_key(store, issued.principal.key_id)
    assert cache.lookup(issued.key) == issued.principal  # until the entry expires
    cache.clear()
    assert cache.authenticate(store, issued.key) is None
    assert KeyCache(0).authenticate(store, create_key(store, org="acme", role="admin").key)


def _assay(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "COLUMNS": "200"}
    return subprocess.run([ASSAY, *args], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=60)


def test_keys_commands(tmp_path: Path) -> None:
    """The commands over the functions tested above on both backends: SQLite is enough."""
    database_url = f"sqlite:///{tmp_path / 'keys.db'}"
    upgrade(database_url)
    first = _assay("keys", "bootstrap", database_url=database_url)
    assert first.returncode == 0, first.stderr
    [key] = first.stdout.split()
    assert "shown only this once" in first.stderr
    again = _assay("keys", "bootstrap", database_url=database_url)
    assert again.returncode == 0 and again.stdout == "" and "exist already" in again.stderr

    made = _assay("keys", "create", "--org", "acme", "--role", "reviewer", "--name",
                  "Alice Wong", database_url=database_url)
    assert made.returncode == 0, made.stderr
    assert "created organisation acme" in made.stderr
    reviewer_key = made.stdout.strip()
    bad = _assay("keys", "create", "--org", "acme", "--role", "owner",
                 database_url=database_url)
    assert bad.returncode == 2 and "unknown role" in bad.stderr

    listed = _assay("keys", "list", database_url=database_url)
    assert listed.returncode == 0
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["id", "org", "role", "created", "revoked", "name"]
    assert any(line.startswith(key_id_of(key) or "?") and " admin " in line for line in lines)
    assert any("acme" in line and line.endswith("Alice Wong") for line in lines)
    assert key not in listed.stdout and reviewer_key not in listed.stdout

    revoked = _assay("keys", "revoke", key_id_of(reviewer_key) or "",
                     database_url=database_url)
    assert revoked.returncode == 0
    assert _assay("keys", "revoke", key_id_of(reviewer_key) or "",
                  database_url=database_url).returncode == 1
