"""Reading shipments from files and standard input, with errors that name line and field."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from .models import Shipment


@dataclass(frozen=True)
class InputProblem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def field_path(loc: tuple[int | str, ...]) -> str:
    """A pydantic `loc` as a JSON path: goods[0].hs_code."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(root)"


def parse_documents(text: str, name: str) -> tuple[list[tuple[str, Any]], list[InputProblem]]:
    """Raw shipment documents with a label each: `name:LINE` for JSON Lines, `name[i]` for a
    JSON list. A `.json` file holds one shipment or a list; anything else is read as JSON
    unless it does not parse as one document, then as JSON Lines."""
    stripped = text.strip()
    if not stripped:
        return [], [InputProblem(name, "no shipment in the input")]
    if not name.endswith(".jsonl"):
        try:
            doc = json.loads(stripped)
        except json.JSONDecodeError as exc:
            if name.endswith(".json"):
                return [], [InputProblem(f"{name}:{exc.lineno}:{exc.colno}",
                                         f"invalid JSON: {exc.msg}")]
        else:
            if isinstance(doc, list):
                return [(f"{name}[{i}]", d) for i, d in enumerate(doc)], []
            return [(name, doc)], []
    docs: list[tuple[str, Any]] = []
    problems: list[InputProblem] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            docs.append((f"{name}:{number}", json.loads(line)))
        except json.JSONDecodeError as exc:
            problems.append(InputProblem(f"{name}:{number}:{exc.colno}",
                                         f"invalid JSON: {exc.msg}"))
    return docs, problems


def validate(docs: list[tuple[str, Any]]) -> tuple[list[Shipment], list[InputProblem]]:
    shipments: list[Shipment] = []
    problems: list[InputProblem] = []
    for where, doc in docs:
        try:
            shipments.append(Shipment.model_validate(doc))
        except ValidationError as exc:
            for err in exc.errors():
                problems.append(InputProblem(where, f"{field_path(tuple(err['loc']))}: "
                                                    f"{err['msg']}"))
    return shipments, problems
