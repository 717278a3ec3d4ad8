"""Message templates: `{route.transit_countries}`, `{controlled_goods[0].item_name}`."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from .codegen import Source
from .fields import FieldType, resolve

_FIELD = re.compile(r"\{([^{}]*)\}")
_PART = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+)\])?$")
Render = Callable[[Any], str]


def _show(value: Any) -> str:
    if value.__class__ is str:
        return str(value)
    if value is None:
        return "(none)"
    if isinstance(value, list | tuple):
        return ", ".join([_show(v) for v in value]) or "(none)"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def compile_template(template: str, root: FieldType) -> Render | str:
    """A renderer, or a message naming the first field the template cannot resolve.

    The renderer is generated code (see `codegen`): one f-string whose fields read the facts
    directly, None past a missing value or an index beyond a list's end."""
    src = Source()
    show = src.const(_show, "show")
    pieces: list[str] = []
    pos = 0
    for match in _FIELD.finditer(template):
        if match.start() > pos:
            pieces.append(src.const(template[pos:match.start()], "text"))
        pos = match.end()
        steps: list[tuple[str, int | None]] = []
        for part in match.group(1).strip().split("."):
            m = _PART.match(part)
            if not m:
                return f"bad template field {{{match.group(1)}}}"
            steps.append((m.group(1), int(m.group(2)) if m.group(2) is not None else None))
        check = _check(steps, root)
        if check:
            return f"template field {{{match.group(1)}}}: {check}"
        pieces.append(f"{show}({_read(src, steps)})")
    if pos < len(template):
        pieces.append(src.const(template[pos:], "text"))
    body = "".join("{" + piece + "}" for piece in pieces)
    render: Render = src.compile(f"def render(f):\n    return f{body!r}\n", "render")
    return render


def _check(steps: list[tuple[str, int | None]], root: FieldType) -> str | None:
    current = root
    for name, index in steps:
        found = resolve(current, name)
        if isinstance(found, str):
            return found
        if index is not None:
            if found.kind != "list" or found.item is None:
                return f"{name} is not a list"
            found = found.item
        current = found
    return None


def _read(src: Source, steps: list[tuple[str, int | None]]) -> str:
    """An expression reading the steps from the facts `f`: None past a missing value."""
    expr = "f"
    for name, index in steps:
        if expr != "f":
            t = src.name("p")
            expr = f"({t}.{name} if ({t} := {expr}) is not None else None)"
        else:
            expr = f"f.{name}"
        if index is not None:
            t = src.name("i")
            expr = f"({t}[{index}] if ({t} := {expr}) is not None and len({t}) > {index} else None)"
    return expr
