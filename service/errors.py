"""One error family for Assay. Each layer raises these; the API maps them to problem+json."""

from __future__ import annotations

from dataclasses import dataclass


class AssayError(Exception):
    """Root of every error Assay raises on purpose."""


@dataclass(frozen=True, slots=True)
class Problem:
    """A located problem in a rule, list, policy or seed file."""

    path: str
    line: int
    col: int
    code: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.code}: {self.message}"


class RulesetError(AssayError):
    """A ruleset that cannot be served; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems) or "invalid ruleset")
