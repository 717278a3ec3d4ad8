"""Building output models from values that are already valid, without validating again.

`BaseModel.model_construct` does this too, but walks every field in Python on each call;
the engine builds several models per screening on its hot path, from a validated shipment
and a validated ruleset, and passes every field, so it sets the instance state directly.
A test checks that what this builds equals what validation builds.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)
_new = object.__new__
_set = object.__setattr__
# BaseModel's own slots, set through their descriptors (a frozen model refuses setattr).
_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_private = BaseModel.__dict__["__pydantic_private__"].__set__


def construct(model: type[M], **values: Any) -> M:
    """An instance of `model` holding `values`, which must name every field."""
    obj = _new(model)
    _set(obj, "__dict__", values)
    _fields_set(obj, set(values))
    _extra(obj, None)
    _private(obj, None)
    return obj


def replace(instance: M, **changes: Any) -> M:
    """A copy of `instance` (built by validation or by `construct`) with `changes`, which
    must be valid values of the fields they name. Faster than `model_copy(update=...)`."""
    return construct(type(instance), **{**instance.__dict__, **changes})
