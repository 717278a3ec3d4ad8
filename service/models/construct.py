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
_set = object.__setattr__


def construct(model: type[M], **values: Any) -> M:
    """An instance of `model` holding `values`, which must name every field."""
    obj = model.__new__(model)
    _set(obj, "__dict__", values)
    _set(obj, "__pydantic_fields_set__", set(values))
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", None)
    return obj
