"""`assay rules ...`: the rule authors' tools.

check   every problem as `path:line:col: CODE: message` (or JSON, SARIF, JUnit, GitHub
        annotations); exit 1 on any.
test    run every rule's hit and miss examples (text or JUnit); exit 1 on a failure.
schema  write the JSON Schema of rule files (rules/schema.json).
docs    write the rulebook (docs/rulebook.md) with the traceability map.
diff    rules added, removed and changed between two rules directories, and the
        screenings of a case file whose decision or red flags change.

Paths in reports are as given on the command line; the defaults (the bundled rules and
seeds) are shown relative to the working directory when they lie under it.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from .authoring import CHECK_FORMATS, TEST_FORMATS, ExampleOutcome, run_check
from .authoring.diff import (
    CaseFileError,
    diff_cases,
    diff_rules,
    read_cases,
    render_json,
    render_text,
)
from .authoring.reports import render_check, render_test
from .authoring.rule_schema import render_schema
from .authoring.rulebook import render_rulebook
from .authoring.traceability import trace
from .cli import SeedsDir
from .engine import Ruleset, check_ruleset
from .engine.examples import run_examples
from .paths import default_rules_dir, default_seeds_dir

rules_app = typer.Typer(help="Rule authors' tools: check, test, schema, docs, diff.",
                        no_args_is_help=True)

RulesArg = Annotated[Path | None, typer.Argument(
    metavar="DIR", help="Rules directory (default: the bundled rules).", show_default=False)]
Output = Annotated[Path | None, typer.Option(
    "--output", "-o", help="Write to this file instead of standard output.")]
CheckOnly = Annotated[bool, typer.Option(
    "--check", help="Write nothing; exit 1 when the file differs from what would be written.")]


def _shown(path: Path | None, default: Path) -> Path:
    """A path as given; a default relative to the working directory when it is under it."""
    if path is not None:
        return path
    try:
        return default.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return default


def _fail(message: str, code: int = 2) -> typer.Exit:
    sys.stderr.write(message.rstrip("\n") + "\n")
    return typer.Exit(code)


def _load(rules_dir: Path, seeds_dir: Path) -> Ruleset:
    """The ruleset, or exit 2 after printing every problem, one per line, unwrapped."""
    ruleset, problems = check_ruleset(rules_dir, seeds_dir)
    if ruleset is None:
        raise _fail("\n".join(str(p) for p in problems) or f"{rules_dir}: cannot load")
    return ruleset


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, "utf-8")


def _write_generated(path: Path, text: str, check: bool) -> None:
    """Write a generated file, or with `check` compare it and exit 1 when it drifted."""
    current = path.read_text("utf-8") if path.is_file() else None
    if check:
        if current != text:
            raise _fail(f"{path} is out of date: run `assay rules "
                        f"{'schema' if path.suffix == '.json' else 'docs'}`", 1)
        print(f"{path} is up to date")
        return
    if current != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
        print(f"wrote {path}")
    else:
        print(f"{path} is up to date")


@rules_app.command("check")
def rules_check(
    rules: RulesArg = None,
    seeds: SeedsDir = None,
    format: Annotated[str, typer.Option(
        "--format", "-f", help="text, json, sarif, junit or github.")] = "text",
    output: Output = None,
) -> None:
    """Check rule files; every problem as path:line:col: CODE: message, exit 1 on any.

    Checks the schema, rule ids, red-flag codes, fields, operators,
    regexes, lists, citations, effective ranges, examples, message
    templates and traceability; hostile YAML (aliases, unsafe tags,
    deep nesting, oversized files) is refused."""
    if format not in CHECK_FORMATS:
        raise _fail(f"--format must be one of {', '.join(CHECK_FORMATS)}")
    rules_dir = _shown(rules, default_rules_dir())
    seeds_dir = _shown(seeds, default_seeds_dir())
    if not rules_dir.is_dir():
        raise _fail(f"{rules_dir}: not a directory")
    summary = run_check(rules_dir, seeds_dir)
    _emit(render_check(summary, format), output)
    if summary.problems:
        if format != "text" or output is not None:
            sys.stderr.write(f"{len(summary.problems)} problem(s) in {rules_dir}\n")
        raise typer.Exit(1)


@rules_app.command("test")
def rules_test(
    rules: RulesArg = None,
    seeds: SeedsDir = None,
    filter: Annotated[str | None, typer.Option(
        "--filter", help="Only rules whose id contains this text.")] = None,
    format: Annotated[str, typer.Option("--format", "-f", help="text or junit.")] = "text",
    output: Output = None,
) -> None:
    """Run every rule's hit and miss examples; exit 1 on a failure.

    Also exit 1 when no rule matches --filter; exit 2 when the ruleset
    does not load."""
    if format not in TEST_FORMATS:
        raise _fail(f"--format must be one of {', '.join(TEST_FORMATS)}")
    ruleset = _load(_shown(rules, default_rules_dir()), _shown(seeds, default_seeds_dir()))
    started = time.perf_counter()
    results = run_examples(ruleset, filter)
    each = (time.perf_counter() - started) / max(len(results), 1)
    outcomes = [ExampleOutcome(r.case.rule_id, r.case.kind, r.case.label, r.passed, r.detail,
                               each) for r in results]
    _emit(render_test(outcomes, format), output)
    if not results:
        raise _fail(f"no rule id contains {filter!r}" if filter else "no examples to run", 1)
    if any(not o.passed for o in outcomes):
        raise typer.Exit(1)


@rules_app.command("schema")
def rules_schema(
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Default: schema.json in the bundled rules directory.")] = None,
    check: CheckOnly = False,
) -> None:
    """Write the JSON Schema of rule files (rules/schema.json) for editors and CI."""
    _write_generated(output or _shown(None, default_rules_dir() / "schema.json"),
                     render_schema(), check)


@rules_app.command("docs")
def rules_docs(
    rules: RulesArg = None,
    seeds: SeedsDir = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Default: docs/rulebook.md next to the rules directory.")
    ] = None,
    check: CheckOnly = False,
) -> None:
    """Write the rulebook (docs/rulebook.md); exit 1 when a traced phrase has no rule.

    Every rule with red flag, severity, effective dates, condition,
    cited quotes and references, and the traceability map of the
    seeds' red-flag phrases."""
    rules_dir = _shown(rules, default_rules_dir())
    ruleset = _load(rules_dir, _shown(seeds, default_seeds_dir()))
    traces, problems = trace(rules_dir, ruleset.seeds, ruleset.rules)
    path = output or _shown(None, ruleset.rules_dir.resolve().parent / "docs" / "rulebook.md")
    _write_generated(path, render_rulebook(ruleset, traces), check)
    if problems:
        raise _fail("\n".join(str(p) for p in problems), 1)


def _seeds_for(rules_dir: Path, given: Path | None, both: Path | None) -> Path:
    """Explicit seeds, else the `seeds/` beside the rules directory, else the default."""
    if given is not None:
        return given
    if both is not None:
        return both
    sibling = rules_dir.resolve().parent / "seeds"
    return sibling if (sibling / "index.yaml").is_file() else _shown(None, default_seeds_dir())


@rules_app.command("diff")
def rules_diff(
    old: Annotated[Path, typer.Argument(help="The rules directory before the change.")],
    new: Annotated[Path, typer.Argument(help="The rules directory after the change.")],
    cases: Annotated[Path | None, typer.Option(
        "--cases", help="JSON Lines of shipments, or of {\"name\", \"shipment\"} cases, "
                        "to screen with both rulesets.")] = None,
    seeds: SeedsDir = None,
    old_seeds: Annotated[Path | None, typer.Option(
        "--old-seeds", help="Seeds of the old rules (default: seeds/ beside OLD).")] = None,
    new_seeds: Annotated[Path | None, typer.Option(
        "--new-seeds", help="Seeds of the new rules (default: seeds/ beside NEW).")] = None,
    format: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    output: Output = None,
) -> None:
    """Show what changes between two rules directories, and which screenings change.

    Rules added, removed and changed (which fields), lists, policy and
    checklist changes, and the screenings of --cases whose decision or
    red flags change. Exit 2 when a ruleset or the case file is
    invalid."""
    if format not in ("text", "json"):
        raise _fail("--format must be text or json")
    before = _load(old, _seeds_for(old, old_seeds, seeds))
    after = _load(new, _seeds_for(new, new_seeds, seeds))
    result = diff_rules(before, after)
    if cases is not None:
        try:
            loaded = read_cases(cases)
        except CaseFileError as exc:
            raise _fail("\n".join(exc.problems)) from exc
        result.cases_file, result.cases = str(cases), len(loaded)
        result.case_changes = diff_cases(before, after, loaded)
    _emit(render_json(result) if format == "json" else render_text(result), output)
