"""`assay rules check`: the loader's problems plus the authoring checks (traceability)."""

from __future__ import annotations

from pathlib import Path

from ..engine import Ruleset, check_ruleset
from ..engine.ruleset import NOT_PACKS, shown_dir
from ..engine.sources import load_seeds
from ..errors import Problem
from .reports import CheckSummary
from .traceability import trace


def checked_files(rules_dir: Path, seeds_dir: Path) -> list[str]:
    """The files a check reads, as its problems name them."""
    base = shown_dir(rules_dir)
    files = [f"{base}/{p.name}" for p in sorted(rules_dir.glob("*.yaml"))
             if p.name not in NOT_PACKS]
    files += [f"{base}/{name}" for name in sorted(NOT_PACKS) if (rules_dir / name).is_file()]
    files += [f"{base}/lists/{p.name}" for p in sorted((rules_dir / "lists").glob("*.yaml"))]
    files.append(str(seeds_dir / "index.yaml"))
    return files


def check_all(rules_dir: Path, seeds_dir: Path) -> tuple[Ruleset | None, list[Problem]]:
    """Every problem of a rules directory; the ruleset when it loads (even if an authoring
    check found problems, so a report can still say what was checked)."""
    ruleset, problems = check_ruleset(rules_dir, seeds_dir)
    if ruleset is not None:
        _, more = trace(rules_dir, ruleset.seeds, ruleset.rules)
    else:
        _, more = trace(rules_dir, load_seeds(seeds_dir, []), None)
    return ruleset, problems + more


def run_check(rules_dir: Path, seeds_dir: Path) -> CheckSummary:
    ruleset, problems = check_all(rules_dir, seeds_dir)
    return CheckSummary(
        problems=problems, files=checked_files(rules_dir, seeds_dir),
        version=ruleset.version if ruleset else None,
        rules=len(ruleset.rules) if ruleset else 0)
