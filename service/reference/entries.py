"""Reading values out of table-list entries (YAML already parsed)."""

from __future__ import annotations

from datetime import date
from typing import Any


def iso_date(value: Any) -> date | None:
    """A date given as a YAML date or ISO text; None when it is neither."""
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None
