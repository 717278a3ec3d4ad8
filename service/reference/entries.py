"""Reading values out of table-list entries (YAML already parsed)."""

from __future__ import annotations

from dataclasses import dataclass, replace
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


@dataclass(frozen=True, slots=True)
class Where:
    """One entry of a reference table, named in the errors about it."""

    table: str
    index: int
    label: str | None = None

    def named(self, label: str) -> Where:
        return replace(self, label=label)

    def error(self, field: str | None, reason: str) -> EntryError:
        return EntryError(self, field, reason)

    def __str__(self) -> str:
        return f"{self.table} entry {self.index}" + (f" ({self.label})" if self.label else "")


class EntryError(ValueError):
    """A bad entry of a reference table, with the entry and field it is about, so that a rules
    check can point at the line (`field` None: the entry as a whole)."""

    def __init__(self, where: Where, field: str | None, reason: str) -> None:
        super().__init__(f"{where}: field {field!r}: {reason}" if field else f"{where}: {reason}")
        self.where = where
        self.field = field
