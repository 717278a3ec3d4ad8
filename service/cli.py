"""The `assay` command: a thin layer over the same engine the server uses."""

from __future__ import annotations

import datetime as dt
import sys
from importlib.metadata import version as dist_version
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from .engine import Ruleset, RulesetError, evaluate, load_ruleset
from .inputs import parse_documents, validate
from .models import Screening
from .paths import default_rules_dir, default_seeds_dir

app = typer.Typer(help="Assay: screen strategic-mineral export shipments for red flags.",
                  no_args_is_help=True, add_completion=False)
out = Console()
err = Console(stderr=True)

RulesDir = Annotated[Path | None, typer.Option("--rules", help="Rules directory.")]
SeedsDir = Annotated[Path | None, typer.Option("--seeds", help="Seeds directory.")]


def ruleset_or_exit(rules: Path | None, seeds: Path | None) -> Ruleset:
    try:
        return load_ruleset(rules or default_rules_dir(), seeds or default_seeds_dir())
    except RulesetError as exc:
        for problem in exc.problems:
            err.print(str(problem), markup=False, highlight=False)
        raise typer.Exit(2) from exc


@app.command()
def version() -> None:
    """Print the version of Assay and of the bundled ruleset."""
    from .engine import ruleset_version

    print(f"assay {dist_version('assay')}")
    print(f"ruleset {ruleset_version(default_rules_dir(), default_seeds_dir())}")


@app.command()
def screen(
    path: Annotated[str, typer.Argument(help="A .json file (one shipment or a list), a .jsonl "
                                              "file, or - for standard input.")],
    format: Annotated[str, typer.Option("--format", help="table or json")] = "table",
    as_of: Annotated[dt.datetime | None, typer.Option(
        "--as-of", formats=["%Y-%m-%d"], help="Evaluate the rules at this date.")] = None,
    rules: RulesDir = None,
    seeds: SeedsDir = None,
) -> None:
    """Screen shipments. Exit 0 when all are clear, 1 when any needs review or is held,
    2 for invalid input."""
    if format not in ("table", "json"):
        err.print("--format must be table or json")
        raise typer.Exit(2)
    if path == "-":
        text, name = sys.stdin.read(), "<stdin>"
    else:
        try:
            text, name = Path(path).read_text("utf-8"), path
        except OSError as exc:
            err.print(f"{path}: {exc.strerror}", markup=False)
            raise typer.Exit(2) from exc
    docs, problems = parse_documents(text, name)
    shipments, invalid = validate(docs)
    problems += invalid
    if problems:
        for problem in problems:
            err.print(str(problem), markup=False, highlight=False)
        raise typer.Exit(2)
    ruleset = ruleset_or_exit(rules, seeds)
    day = as_of.date() if as_of else None
    screenings = [evaluate(ruleset, s, day) for s in shipments]
    for screening in screenings:
        if format == "json":
            print(screening.model_dump_json(by_alias=True))
        else:
            _table(screening)
    if any(s.decision != "clear" for s in screenings):
        raise typer.Exit(1)


def _table(screening: Screening) -> None:
    colour = {"clear": "green", "review": "yellow", "hold": "red"}[screening.decision]
    out.print(f"[bold]{screening.reference}[/] as of {screening.as_of}: "
              f"[bold {colour}]{screening.decision.upper()}[/] (risk {screening.risk_score})")
    if not screening.findings:
        return
    table = Table(show_lines=True)
    table.add_column("red flag", no_wrap=True)
    table.add_column("severity", no_wrap=True)
    table.add_column("finding", ratio=1)
    table.add_column("cited source", ratio=1)
    for f in screening.findings:
        cite = "\n".join(f"{c.source}: “{c.quote}”" for c in f.citations)
        table.add_row(f.red_flag, f.severity, f.message, cite)
    out.print(table)


@app.command("eval")
def eval_cases(
    cases: Annotated[Path, typer.Argument(help="Labelled cases, one JSON object a line "
                                                "(the format of tests/cases/dev.jsonl).")],
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List every miss.")] = False,
    format: Annotated[str, typer.Option("--format", help="text or json")] = "text",
    rules: RulesDir = None,
    seeds: SeedsDir = None,
) -> None:
    """Measure the rulebook on labelled cases: recall per red flag, false alarms on clean
    cases, decision accuracy. Exit 0 when recall is 1.00 with no false alarm, 1 otherwise,
    2 for unreadable cases."""
    from .evaluation import format_report, parse_cases, run

    if format not in ("text", "json"):
        err.print("--format must be text or json")
        raise typer.Exit(2)
    try:
        text = cases.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        err.print(f"{cases}: {exc}", markup=False)
        raise typer.Exit(2) from exc
    parsed, problems = parse_cases(text, str(cases))
    if problems or not parsed:
        for problem in problems or [f"{cases}: no case in the file"]:
            err.print(problem, markup=False, highlight=False)
        raise typer.Exit(2)
    report = run(ruleset_or_exit(rules, seeds), parsed)
    if format == "json":
        import json

        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        for line in format_report(report, verbose):
            print(line)
    if not report.ok:
        raise typer.Exit(1)


# ------------------------------------------------------------------------------ operations
# Each command imports what it needs when it runs, so that `assay screen` starts fast.

DatabaseUrl = Annotated[str | None, typer.Option(
    "--database-url", help="Database URL (default: DATABASE_URL, else sqlite:///./var/assay.db).",
    show_default=False)]

db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys: made per organisation and role, shown once.",
                       no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit trail.", no_args_is_help=True)


def _database_url(url: str | None) -> str:
    from .api.settings import Settings

    return url or Settings().database_url


def _store(url: str | None) -> Any:
    from .store import SqlStore

    return SqlStore.from_url(_database_url(url))


def _say(message: str) -> None:
    """A note for the person at the terminal (stderr, so stdout stays the result)."""
    err.print(message, markup=False, highlight=False, soft_wrap=True)


def _fail(message: str, code: int = 1) -> NoReturn:
    _say(message)
    raise typer.Exit(code)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Serve the API and the reviewer pages (settings from the environment; run `assay db
    upgrade` first). SIGHUP reloads the rules (one worker) or restarts the workers."""
    from .api import serve as run_server

    run_server(host=host, port=port, workers=workers, log_level=log_level)


@app.command()
def openapi(output: Annotated[Path, typer.Option("--output", "-o", help="Where to write it.")]
            = Path("openapi/openapi.json")) -> None:
    """Write the OpenAPI document (a test checks that the committed one is current)."""
    from .api import write_openapi

    print(write_openapi(output))


@db_app.command("upgrade")
def db_upgrade(database_url: DatabaseUrl = None) -> None:
    """Migrate the database to the newest schema (idempotent)."""
    from .store import StoreError, upgrade

    try:
        revision = upgrade(_database_url(database_url))
    except StoreError as exc:
        _fail(str(exc))
    print(f"database at revision {revision}")


@db_app.command("current")
def db_current(database_url: DatabaseUrl = None) -> None:
    """Print the schema revision of the database and the one this code needs."""
    from .store import StoreError, current_revision, head_revision

    try:
        current = current_revision(_database_url(database_url))
    except StoreError as exc:
        _fail(str(exc))
    print(f"database at {current or 'nothing'}; this code needs {head_revision()}")
    if current != head_revision():
        raise typer.Exit(1)


def _show_key(issued: Any) -> None:
    principal = issued.principal
    if issued.org_created:
        _say(f"created organisation {principal.org}")
    print(issued.key)
    _say(f"API key {principal.key_id} ({principal.role}) for organisation {principal.org}. "
         "It is shown only this once: keep it now.")


@keys_app.command("create")
def keys_create(
    org: Annotated[str, typer.Option("--org", help="Organisation id (created if new).")],
    role: Annotated[str, typer.Option("--role", help="submitter, reviewer or admin.")],
    name: Annotated[str | None, typer.Option("--name", help="Who or what it is for.")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Make an API key and print it (on stdout, alone) this one time."""
    from .auth import AuthError, create_key
    from .store import StoreError

    try:
        issued = create_key(_store(database_url), org=org, role=role, name=name)
    except (AuthError, StoreError) as exc:
        _fail(str(exc), 2 if isinstance(exc, AuthError) else 1)
    _show_key(issued)


@keys_app.command("bootstrap")
def keys_bootstrap(database_url: DatabaseUrl = None) -> None:
    """On the first run only: an admin key for the default organisation, printed once.
    Does nothing when any key exists."""
    from .auth import bootstrap
    from .store import StoreError

    try:
        issued = bootstrap(_store(database_url))
    except StoreError as exc:
        _fail(str(exc))
    if issued is None:
        _say("API keys exist already: no key made (`assay keys create` makes more)")
        return
    _say("First run: an admin API key for the default organisation.")
    _show_key(issued)


@keys_app.command("list")
def keys_list(
    org: Annotated[str | None, typer.Option("--org", help="Only this organisation.")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """List keys: id, organisation, role, name, made, revoked (never the secrets)."""
    from .auth import list_keys
    from .store import StoreError

    try:
        keys = list_keys(_store(database_url), org=org)
    except StoreError as exc:
        _fail(str(exc))
    rows = [("id", "org", "role", "created", "revoked", "name")]
    for key in keys:
        rows.append((key.id, key.org, key.role, key.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                     key.revoked_at.strftime("%Y-%m-%dT%H:%M:%SZ") if key.revoked_at else "-",
                     key.name or "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
              + "  " + row[5])


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key's id (ak_...).")],
                database_url: DatabaseUrl = None) -> None:
    """Revoke a key (servers stop accepting it within ASSAY_AUTH_CACHE_SECONDS)."""
    from .auth import revoke_key
    from .store import StoreError

    try:
        done = revoke_key(_store(database_url), key_id)
    except StoreError as exc:
        _fail(str(exc))
    if not done:
        _fail(f"no active key {key_id}")
    print(f"revoked {key_id}")


@audit_app.command("head")
def audit_head(database_url: DatabaseUrl = None) -> None:
    """Print the chain's head as HASH:COUNT: keep it elsewhere, pass it to `verify --head`."""
    from .store import StoreError
    from .workflow import audit_head as head_of

    try:
        head = head_of(_store(database_url))
    except StoreError as exc:
        _fail(str(exc))
    print(head)


@audit_app.command("verify")
def audit_verify(
    head: Annotated[str | None, typer.Option(
        "--head", help="A head taken earlier (HASH:COUNT): also find the newest events "
                       "removed or the chain rewritten up to it.")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Check every event's hash and link. Exit 0 when the chain is whole, 1 naming the first
    bad event, 2 for a bad --head."""
    from .audit import ChainHead
    from .store import StoreError
    from .workflow import verify_audit

    expected = None
    if head is not None:
        try:
            expected = ChainHead.parse(head)
        except ValueError as exc:
            _fail(f"--head: {exc}", 2)
    try:
        result = verify_audit(_store(database_url), head=expected)
    except StoreError as exc:
        _fail(str(exc))
    if not result.ok:
        _fail(str(result))
    print(result)


def _register() -> None:
    from .cli_rules import rules_app

    app.add_typer(rules_app, name="rules")
    app.add_typer(db_app, name="db")
    app.add_typer(keys_app, name="keys")
    app.add_typer(audit_app, name="audit")


_register()


if __name__ == "__main__":  # pragma: no cover
    app()
