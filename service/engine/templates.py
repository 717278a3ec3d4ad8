"""Message templates: `{route.transit_countries}`, `{controlled_goods[0].item_name}`."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

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
    """A renderer, or a message naming the first field the template cannot resolve."""
    pieces: list[str | Callable[[Any], Any]] = []
    pos = 0
    for match in _FIELD.finditer(template):
        pieces.append(template[pos:match.start()])
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
        pieces.append(_getter(steps))
    pieces.append(template[pos:])

    parts = tuple((p, None) if isinstance(p, str) else ("", p) for p in pieces)

    def render(facts: Any) -> str:
        return "".join([text if get is None else _show(get(facts)) for text, get in parts])

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


def _getter(steps: list[tuple[str, int | None]]) -> Callable[[Any], Any]:
    if len(steps) == 1 and steps[0][1] is None:
        name = steps[0][0]
        return lambda obj: getattr(obj, name)

    def get(obj: Any) -> Any:
        for name, index in steps:
            if obj is None:
                return None
            obj = getattr(obj, name)
            if index is not None:
                obj = obj[index] if obj is not None and index < len(obj) else None
        return obj

    return get
