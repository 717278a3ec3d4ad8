"""Query parameter types that accept only what the OpenAPI document says, and the checks of
limits that are settings (not constants in a signature).

Pydantic's lax mode would read ``as_of=0`` as 1970-01-01 and ``until=0.5`` as a Unix time;
a query date must be ISO 8601 text.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from fastapi.exceptions import RequestValidationError
from pydantic import BeforeValidator

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})?)?$"
)


def _iso_date(value: object) -> object:
    if isinstance(value, str) and not _DATE.match(value):
        raise ValueError("use an ISO 8601 date: YYYY-MM-DD")
    return value


def _iso_datetime(value: object) -> object:
    if isinstance(value, str) and not _DATETIME.match(value):
        raise ValueError("use an ISO 8601 date-time, e.g. 2025-08-04T10:00:00Z")
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
IsoDateTime = Annotated[dt.datetime, BeforeValidator(_iso_datetime)]


def check_at_most(value: int, maximum: int, *, name: str, where: str = "query") -> None:
    """A number parameter above a configured maximum is a 422 on that field, worded and typed
    as pydantic words ``le=``."""
    if value > maximum:
        raise RequestValidationError([{
            "type": "less_than_equal", "loc": (where, name), "input": value,
            "msg": f"Input should be less than or equal to {maximum}", "ctx": {"le": maximum},
        }])


def check_items_at_most(count: int, maximum: int, *, name: str, where: str = "body") -> None:
    """A list longer than a configured maximum is a 422 on that field, worded and typed as
    pydantic words ``max_length=``."""
    if count > maximum:
        raise RequestValidationError([{
            "type": "too_long", "loc": (where, name), "input": None,
            "msg": f"List should have at most {maximum} item{'s' * (maximum != 1)} after "
                   f"validation, not {count}",
            "ctx": {"field_type": "List", "max_length": maximum, "actual_length": count},
        }])
