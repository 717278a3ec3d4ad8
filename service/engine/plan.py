"""The evaluation plan: every rule's condition written into one generated Python function.

Each rule's condition is a conjunction; its conjuncts ("atoms") are compiled once per
distinct text, so a guard that many rules share (`controlled_goods: {present: true}`) is
evaluated at most once per shipment and remembered in a local variable (a cheap one first
thing, any other where the shipment first reaches it). Within a rule, the cheap membership
and presence tests on root fields come first, the rarest first, so a rule that cannot fire
usually costs one set lookup; the other conjuncts follow in the order the rule gives them.
The function returns the rules that fire, in rule order, and each checklist item's status;
`Plan.source` shows the code.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .codegen import Source
from .compiler import Compiled, Context, all_of, compile_condition
from .fields import FieldType, resolve
from .yaml_loader import Mark, Node

Run = Callable[[Any, dt.date], tuple[list[int], list[Any]]]
STATUSES = ("provided", "missing", "not_applicable")
_UNSET = object()  # an atom not evaluated yet for this shipment


def _canonical(node: Any) -> str:
    return json.dumps(node, sort_keys=True, default=str, ensure_ascii=False)


def conjuncts(node: Any) -> list[tuple[Any, Mark]]:
    """The top-level conjuncts of a condition, each as a one-key mapping with its marks."""
    if not isinstance(node, Node):
        return [(node, getattr(node, "mark", (1, 1)))]
    out: list[tuple[Any, Mark]] = []
    for key, value in node.items():
        if key == "all" and isinstance(value, list) and value:
            for item in value:
                out.extend(conjuncts(item))
            continue
        part = Node({key: value})
        part.mark = node.key_marks[key]
        part.key_marks, part.value_marks = {key: node.key_marks[key]}, {
            key: node.value_marks[key]}
        out.append((part, part.mark))
    return out


@dataclass(frozen=True)
class Plan:
    function: Run
    source: str

    def run(self, facts: Any, day: dt.date) -> tuple[list[int], list[Any]]:
        """The rules that fire on `day`, in rule order, and each checklist item's answer
        for its status."""
        return self.function(facts, day)


class PlanBuilder:
    """Collects rule and checklist conditions into shared atoms, then writes the plan."""

    def __init__(self, root: FieldType) -> None:
        self.root = root
        self.atom_ids: dict[str, int] = {}
        self.atoms: list[Compiled] = []
        self.rule_atoms: list[tuple[int, ...]] = []
        self.cheap: set[int] = set()
        self.windows: list[tuple[dt.date, dt.date]] = []
        self.checks: list[tuple[tuple[int, ...], tuple[int, ...], Mapping[str, Any]]] = []

    def _atoms(self, node: Any, ctx: Context) -> tuple[list[int], list[Any], Compiled]:
        parts: list[Compiled] = []
        ids: list[int] = []
        raw: list[Any] = []
        for part, part_mark in conjuncts(node):
            key = _canonical(part)
            if key not in self.atom_ids:
                self.atom_ids[key] = len(self.atoms)
                self.atoms.append(compile_condition(part, self.root, ctx, part_mark))
            ids.append(self.atom_ids[key])
            parts.append(self.atoms[self.atom_ids[key]])
            raw.append(part)
        return ids, raw, parts[0] if len(parts) == 1 else all_of(parts)

    def add(self, node: Any, ctx: Context, effective: tuple[dt.date | None, dt.date | None]
            ) -> Compiled:
        """Add a rule's condition; returns the whole condition (for explanations)."""
        ids, raw, whole = self._atoms(node, ctx)
        self.cheap.update(atom for atom, part in zip(ids, raw, strict=True)
                          if self._is_cheap(part))
        self.rule_atoms.append(tuple(ids))
        self.windows.append((effective[0] or dt.date.min, effective[1] or dt.date.max))
        return whole

    def add_check(self, applies: Any, provided: Any, ctx: Context,
                  answers: Mapping[str, Any]) -> None:
        """Add a checklist item's two conditions, sharing atoms with the rules, and what the
        plan answers for each status (`STATUSES`)."""
        applies_ids, _, _ = self._atoms(applies, ctx)
        provided_ids, _, _ = self._atoms(provided, ctx)
        self.checks.append((tuple(applies_ids), tuple(provided_ids), answers))

    def _is_cheap(self, part: Any) -> bool:
        """A membership (`in`, `equals`, `any_in` against values) or presence test on a root
        field: a set lookup or a truth test."""
        if not isinstance(part, dict) or len(part) != 1:
            return False
        (path, spec), = part.items()
        if path in ("all", "any", "not") or path.startswith("$"):
            return False
        if not isinstance(spec, dict):
            spec = {"equals": spec}
        if len(spec) != 1:
            return False
        (op, operand), = spec.items()
        if isinstance(resolve(self.root, path), str):
            return False
        if op == "present":
            return True
        return op in ("in", "equals", "any_in") and not (
            isinstance(operand, str) and operand.startswith("$"))

    def build(self) -> Plan:
        """Write the plan's function: the rules in order, then the checklist."""
        uses = Counter(a for ids in self.rule_atoms for a in ids)
        uses.update(a for check in self.checks for ids in check[:2] for a in ids)
        src = Source()
        unset = src.const(_UNSET, "unset")
        memo = sorted(a for a, n in uses.items() if n > 1)
        # A cheap atom that several places use is evaluated first thing: one attribute read
        # and a test cost less than asking, at each place, whether it was evaluated yet.
        eager = [a for a in memo if a in self.cheap]
        written: dict[int, str] = {a: f"a{a}" for a in eager}
        lazy = [a for a in memo if a not in self.cheap]

        def atom(a: int) -> str:
            """An atom's expression; one that several places use is evaluated once, into a
            local: at the start when it is cheap, else at the first place the shipment
            reaches."""
            if a not in written:
                expr = self.atoms[a].emit(src, "f", "f")
                written[a] = (expr if uses[a] == 1 else
                              f"(a{a} if a{a} is not {unset} else (a{a} := {expr}))")
            return written[a]

        def conj(ids: tuple[int, ...]) -> str:
            return " and ".join(atom(a) for a in ids) or "True"

        lines = ["def run(f, day):"]
        lines += [f"    a{a} = {self.atoms[a].emit(src, 'f', 'f')}" for a in eager]
        if lazy:
            lines.append("    " + " = ".join(f"a{a}" for a in lazy) + f" = {unset}")
        lines.append("    fired = []")
        for rule, ids in enumerate(self.rule_atoms):
            order = sorted(range(len(ids)), key=lambda k: (
                ids[k] not in self.cheap, uses[ids[k]] if ids[k] in self.cheap else 0, k))
            test = conj(tuple(ids[k] for k in order))
            start, end = self.windows[rule]
            if (start, end) != (dt.date.min, dt.date.max):
                test = f"{src.const(start, 'w')} <= day <= {src.const(end, 'w')} and {test}"
            lines += [f"    if {test}:", f"        fired.append({rule})"]
        answers = []
        for applies, provided, answer in self.checks:
            given, missing, na = (src.const(answer[status], "answer") for status in STATUSES)
            answers.append(f"(({given} if {conj(provided)} else {missing}) if {conj(applies)} "
                           f"else {na})")
        lines.append(f"    return fired, [{', '.join(answers)}]")
        function: Run = src.compile("\n".join(lines) + "\n", "run")
        return Plan(function, src.text)
