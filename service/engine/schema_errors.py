"""Pydantic validation errors of rule, list and policy files as located problems.

Pydantic says what is wrong; this module says where (the YAML marks) and in the words a
rule author needs: an unknown key with the key it was probably meant to be, an unknown
red-flag code with the nearest code, an effective range that ends before it starts, a
rule without hit or miss examples. Each of those has its own problem code.
"""

from __future__ import annotations

import difflib
import re
import typing
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ..errors import Problem
from .yaml_loader import key_mark, locate

# Parts of a pydantic `loc` that name a member of a union (`str`, `ExamplePatch`,
# `function-after[...]`) rather than a key or index of the document.
_TAG = re.compile(r"^(str|int|float|bool|date|none|[A-Z]\w*|.*\[.*\])$")
_QUOTED = re.compile(r"'([^']*)'")
RED_FLAG_FIELDS = frozenset({"red_flag", "hold_flags"})


def schema_problems(model: type[BaseModel], exc: ValidationError, raw: Any, shown: str,
                    code: str) -> list[Problem]:
    """One located problem per validation error, in document order of the errors."""
    errors = exc.errors()
    # A union of a string and a mapping (an example file or an example edit) reports a
    # failure for each member; for a mapping the string member's complaint is noise.
    errors = [e for e in errors
              if not (e["type"] == "string_type" and isinstance(e.get("input"), dict))]
    # A misspelt key (`titel`) is reported with the key it was meant to be; the "required"
    # complaint about that key would only repeat it.
    meant: set[tuple[int | str, ...]] = set()
    for e in errors:
        loc = _clean(raw, tuple(e["loc"]))
        if e["type"] == "extra_forbidden" and loc:
            guess = difflib.get_close_matches(str(loc[-1]), allowed_keys(model, loc[:-1]), n=1,
                                              cutoff=0.5)
            meant |= {(*loc[:-1], guess[0])} if guess else set()
    errors = [e for e in errors
              if not (e["type"] == "missing" and _clean(raw, tuple(e["loc"])) in meant)]
    return [_problem(model, err, raw, shown, code) for err in errors]


def _clean(raw: Any, loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    """`loc` without union-member tags, which the YAML document does not contain."""
    out: list[int | str] = []
    node = raw
    for part in loc:
        if (isinstance(part, str) and _TAG.match(part)
                and not (isinstance(node, dict) and part in node)):
            continue
        out.append(part)
        if isinstance(node, dict) and isinstance(part, str):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            node = None
    return tuple(out)


def _node_at(raw: Any, loc: tuple[int | str, ...]) -> Any:
    node = raw
    for part in loc:
        if isinstance(node, dict) and isinstance(part, str):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return None
    return node


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def allowed_keys(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """The keys the mapping at `loc` may have, as written in YAML (aliases)."""
    current: type[BaseModel] | None = model
    for part in loc:
        if isinstance(part, int):
            continue
        if current is None:
            return []
        field = next((f for name, f in current.model_fields.items()
                      if (f.alias or name) == part), None)
        if field is None:
            return []
        current = _model_in(field.annotation)
    if current is None:
        return []
    return [f.alias or name for name, f in current.model_fields.items()]


def _hint(value: Any, choices: list[str]) -> str:
    guess = difflib.get_close_matches(str(value), choices, n=1, cutoff=0.5)
    return f"; did you mean {guess[0]!r}?" if guess else ""


def _problem(model: type[BaseModel], err: ErrorDetails, raw: Any, shown: str,
             code: str) -> Problem:
    loc = _clean(raw, tuple(err["loc"]))
    names = [p for p in loc if isinstance(p, str)]
    where = ".".join(str(p) for p in loc)
    kind, message = err["type"], err["msg"]
    line, col = locate(raw, loc)

    if kind == "extra_forbidden" and loc:
        key, parent_loc = str(loc[-1]), loc[:-1]
        line, col = key_mark(_node_at(raw, parent_loc), key)
        allowed = allowed_keys(model, parent_loc)
        hint = _hint(key, allowed) or (f" (allowed: {', '.join(allowed)})" if allowed else "")
        where = ".".join(str(p) for p in parent_loc)
        message = f"unknown key {key!r}{hint}"
    elif kind == "literal_error":
        expected = _QUOTED.findall(str((err.get("ctx") or {}).get("expected", "")))
        value = err.get("input")
        if RED_FLAG_FIELDS & set(names):
            code = "unknown-red-flag"
            message = f"unknown red-flag code {value!r}{_hint(value, expected)}"
        else:
            message = f"{value!r} is not one of {', '.join(expected)}{_hint(value, expected)}"
    elif kind == "effective_range":
        code = "effective-range"
        line, col = locate(raw, (*loc, "until"))
    elif "effective" in names:
        code = "effective-range"
    elif names and names[-1] in ("examples", "hit", "miss") and "examples" in names and kind in (
            "missing", "too_short"):
        code = "no-example"
        if names[-1] == "examples":
            message = "a rule needs examples: at least one hit and one miss shipment"
        elif names[-1] == "hit":
            message = "no hit example: give at least one shipment the rule must flag"
        else:
            message = "no miss example: give at least one shipment the rule must not flag"
    prefix = f"{where}: " if where else ""
    return Problem(shown, line, col, code, prefix + message)


__all__ = ["allowed_keys", "schema_problems"]
