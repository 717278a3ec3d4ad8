"""The files other repositories copy: the pre-commit hooks and the example GitHub Actions
workflow. Their `assay` commands are run here as the hook and the workflow run them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from .conftest import ROOT, SEEDS
from .rules_support import assemble

BIN = str(Path(sys.executable).parent)
HOOKS = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text("utf-8"))
WORKFLOW = yaml.safe_load((ROOT / "examples" / "ci" / "rules.yml").read_text("utf-8"))


def repository(tmp_path: Path, case: str | None = None) -> Path:
    """A repository as the hooks expect it: rules/ and seeds/ at the top."""
    repo = tmp_path / "repo"
    assemble(case, repo / "rules")
    shutil.copytree(SEEDS, repo / "seeds")
    return repo


def shell(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-euo", "pipefail", "-c", command], cwd=cwd,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", **env})


def test_hooks_run_check_and_test(tmp_path: Path) -> None:
    repo = repository(tmp_path)
    assert [h["id"] for h in HOOKS] == ["assay-rules-check", "assay-rules-test"]
    for hook in HOOKS:
        assert hook["pass_filenames"] is False and hook["language"] == "python"
        command = [*hook["entry"].split(), *hook["args"]]
        result = subprocess.run([str(Path(BIN) / command[0]), *command[1:]], cwd=repo,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr


def test_check_hook_fails_on_a_broken_rule(tmp_path: Path) -> None:
    repo = repository(tmp_path, "unknown-operator")
    hook = HOOKS[0]
    command = [*hook["entry"].split(), *hook["args"]]
    result = subprocess.run([str(Path(BIN) / command[0]), *command[1:]], cwd=repo,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stdout.startswith("rules/pack.yaml:9:33: unknown-operator")


def _steps(job: str) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = WORKFLOW["jobs"][job]["steps"]
    return steps


def test_workflow_uploads_sarif_after_a_failed_check() -> None:
    steps = _steps("check")
    sarif = next(i for i, s in enumerate(steps) if "--format sarif" in s.get("run", ""))
    upload = next(i for i, s in enumerate(steps)
                  if s.get("uses", "").startswith("github/codeql-action/upload-sarif"))
    assert steps[sarif]["continue-on-error"] is True
    assert upload > sarif and steps[upload]["if"] == "always()"
    assert steps[upload]["with"]["sarif_file"] in steps[sarif]["run"]
    assert WORKFLOW["jobs"]["check"]["permissions"]["security-events"] == "write"
    assert any("assay rules test" in s.get("run", "") for s in _steps("test"))


def test_workflow_commands_run(tmp_path: Path) -> None:
    repo = repository(tmp_path)
    base = tmp_path / "runner" / "base"
    shutil.copytree(repo, base)
    summary = tmp_path / "summary.md"
    env = {**{k: str(v) for k, v in WORKFLOW["env"].items()},
           "RUNNER_TEMP": str(tmp_path / "runner"), "GITHUB_STEP_SUMMARY": str(summary)}
    for job in ("check", "test", "diff"):
        for step in _steps(job):
            run = step.get("run", "")
            if "assay rules" not in run:
                continue
            result = shell(run, repo, env)
            assert result.returncode == 0, f"{job}: {run}\n{result.stdout}{result.stderr}"
    assert (repo / "rules.sarif").is_file() and (repo / "rules-junit.xml").is_file()
    assert "no changes" in summary.read_text("utf-8")
