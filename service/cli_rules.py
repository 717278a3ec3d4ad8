"""`assay rules ...`: the rule authors' tools."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .cli import SeedsDir, ruleset_or_exit
from .engine import check_ruleset
from .engine.examples import run_examples
from .paths import default_rules_dir, default_seeds_dir

rules_app = typer.Typer(help="Rule authors' tools.", no_args_is_help=True)


@rules_app.command("check")
def rules_check(rules: Annotated[Path | None, typer.Argument()] = None,
                seeds: SeedsDir = None) -> None:
    """Check rule files; every problem reads path:line:col: CODE: message."""
    ruleset, problems = check_ruleset(rules or default_rules_dir(), seeds or default_seeds_dir())
    for problem in problems:
        print(str(problem))
    if problems:
        raise typer.Exit(1)
    assert ruleset is not None
    print(f"{len(ruleset.rules)} rules OK ({ruleset.version})")


@rules_app.command("test")
def rules_test(rules: Annotated[Path | None, typer.Argument()] = None, seeds: SeedsDir = None,
               filter: Annotated[str | None, typer.Option("--filter")] = None) -> None:
    """Run every rule's hit and miss examples."""
    ruleset = ruleset_or_exit(rules, seeds)
    results = run_examples(ruleset, filter)
    failed = [r for r in results if not r.passed]
    for r in failed:
        print(f"FAIL {r.case.rule_id} {r.case.kind} {r.case.label}: {r.detail}")
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if failed or not results:
        raise typer.Exit(1)
