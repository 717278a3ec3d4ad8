"""The `assay` command: a thin layer over the same engine the server uses."""

from __future__ import annotations

import datetime as dt
import sys
from importlib.metadata import version as dist_version
from pathlib import Path
from typing import Annotated

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


def _register() -> None:
    from .cli_rules import rules_app

    app.add_typer(rules_app, name="rules")


_register()


if __name__ == "__main__":  # pragma: no cover
    app()
