"""What rule paths can name: the types of the facts, read from their annotations.

A path such as `consignee.kind` or `goods` is checked against these types when a rule
loads and compiled into an accessor; evaluation never resolves strings.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel

Kind = Literal["str", "number", "bool", "date", "object", "list", "any"]
Getter = Callable[[Any], Any]


@dataclass(frozen=True)
class FieldType:
    kind: Kind
    item: FieldType | None = None
    owner: type | None = None
    choices: tuple[str, ...] = ()
    fields: dict[str, FieldType] = field(default_factory=dict, compare=False, repr=False)

    def child(self, name: str) -> FieldType | None:
        if self.kind != "object" or self.owner is None:
            return None
        return object_fields(self.owner).get(name)


def _unwrap(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _unwrap(args[0]) if len(args) == 1 else annotation
    return annotation


def type_of(annotation: Any) -> FieldType:
    ann = _unwrap(annotation)
    origin = typing.get_origin(ann)
    if origin is Literal:
        return FieldType("str", choices=tuple(str(a) for a in typing.get_args(ann)))
    if origin in (list, tuple) or ann in (list, tuple):
        args = typing.get_args(ann)
        return FieldType("list", item=type_of(args[0]) if args else FieldType("any"))
    if isinstance(ann, type):
        if issubclass(ann, bool):
            return FieldType("bool")
        if issubclass(ann, int | float):
            return FieldType("number")
        if issubclass(ann, dt.date):
            return FieldType("date")
        if issubclass(ann, str):
            return FieldType("str")
        if issubclass(ann, BaseModel) or dataclasses.is_dataclass(ann):
            return FieldType("object", owner=ann)
    return FieldType("any")


@cache
def object_fields(owner: type) -> dict[str, FieldType]:
    """Field name -> type for a pydantic model or a dataclass."""
    if issubclass(owner, BaseModel):
        return {name: type_of(info.annotation) for name, info in owner.model_fields.items()}
    hints = typing.get_type_hints(owner)
    return {f.name: type_of(hints[f.name]) for f in dataclasses.fields(owner)  # type: ignore[arg-type]
            if not f.name.startswith("_")}


def resolve(root: FieldType, path: str) -> FieldType | str:
    """The type at a dotted path, or a message naming the first unknown part."""
    current = root
    walked: list[str] = []
    for part in path.split("."):
        nxt = current.child(part)
        if nxt is None:
            where = ".".join(walked) or "the shipment"
            known = sorted(object_fields(current.owner)) if current.owner else []
            return _unknown(part, where, known)
        walked.append(part)
        current = nxt
    return current


def _unknown(part: str, where: str, known: list[str]) -> str:
    import difflib

    guess = difflib.get_close_matches(part, known, n=1)
    hint = f"; did you mean {guess[0]!r}?" if guess else ""
    return f"unknown field {part!r} in {where}{hint}"


def getter(path: str) -> Getter:
    """An accessor for a dotted attribute path that yields None past a missing step."""
    parts = path.split(".")
    if len(parts) == 1:
        name = parts[0]
        return lambda obj: getattr(obj, name)

    def get(obj: Any) -> Any:
        for part in parts:
            if obj is None:
                return None
            obj = getattr(obj, part)
        return obj

    return get
