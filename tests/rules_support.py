"""Helpers for the rule authors' toolchain tests: the broken-rules corpus and the CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from service.authoring import check_all

from .conftest import RULES, SEEDS

CORPUS = Path(__file__).resolve().parent / "fixtures" / "bad_rules"
CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir() and not p.name.startswith("_"))
ASSAY = str(Path(sys.executable).parent / "assay")


def assemble(case: str | None, dst: Path) -> Path:
    """The corpus base with `case`'s files copied over it, as a rules directory at `dst`."""
    shutil.copytree(CORPUS / "_base", dst)
    shutil.copy(RULES / "lists" / "controlled_items.yaml", dst / "lists")
    if case:
        shutil.copytree(CORPUS / case, dst, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("expected.txt"))
    return dst


def expected(case: str) -> list[str]:
    return (CORPUS / case / "expected.txt").read_text("utf-8").splitlines()


def found(rules: Path) -> list[str]:
    """Every problem of a rules directory as `file:line:col: code`, file relative to it."""
    _, problems = check_all(rules, SEEDS)
    return [f"{Path(p.path).relative_to(rules).as_posix()}:{p.line}:{p.col}: {p.code}"
            for p in problems]


def assay(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The installed `assay` command, run as a CI job would run it."""
    return subprocess.run([ASSAY, *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "COLUMNS": "200"}, timeout=120)
