"""Python source generated from compiled conditions, and turned into a function once per load.

Closures nested per operator cost a Python call at every level on every shipment; the plan
instead writes each condition out as one Python expression over the facts (attribute reads,
set lookups, comparisons, a loop per quantifier) and compiles the lot into a single function.
Nothing from a rule file reaches the source as text: field names are checked against the
facts' types first (and must be identifiers), every other value is bound to a name in the
function's namespace.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

# (source, scope, root) -> a Python expression; scope and root are plain names.
Emit = Callable[["Source", str, str], str]
_PLAIN = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")


class Source:
    """A generated module in the making: named constants, helper functions, fresh names."""

    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {}
        self.helpers: list[str] = []
        self.text = ""  # the whole source, once compiled
        self._count = 0

    def name(self, hint: str) -> str:
        self._count += 1
        return f"_{hint}{self._count}"

    def const(self, value: Any, hint: str = "c") -> str:
        """A name bound to `value` in the generated code's namespace."""
        name = self.name(hint)
        self.namespace[name] = value
        return name

    def helper(self, params: str, body: list[str], hint: str = "q") -> str:
        """Define a function `name(params)` with the given body lines; returns its name."""
        name = self.name(hint)
        self.helpers.append(f"def {name}({params}):\n" + "".join(f"    {line}\n"
                                                                  for line in body))
        return name

    def bind(self, expr: str, use: Callable[[str], str]) -> str:
        """`use(v)` where v is `expr`, evaluated once: a plain name or attribute chain is used
        as it is, anything else is first bound to a fresh local."""
        if _PLAIN.fullmatch(expr):
            return use(expr)
        temp = self.name("t")
        return f"((({temp} := {expr}),) and {use(temp)})"

    def path(self, base: str, path: str) -> str:
        """An expression reading a dotted attribute path from `base`, None past a missing step
        (as `fields.getter` does)."""
        parts = path.split(".")
        if not all(p.isidentifier() for p in parts):
            raise ValueError(f"not an attribute path: {path!r}")
        expr = f"{base}.{parts[0]}"
        for part in parts[1:]:
            temp = self.name("p")
            expr = f"({temp}.{part} if ({temp} := {expr}) is not None else None)"
        return expr

    def compile(self, body: str, entry: str) -> Callable[..., Any]:
        """Compile the helpers and `body` (which defines `entry`); return `entry`."""
        text = "\n".join([*self.helpers, body])
        namespace = dict(self.namespace)
        exec(compile(text, "<assay plan>", "exec"), namespace)
        self.text = text
        function: Callable[..., Any] = namespace[entry]
        return function

