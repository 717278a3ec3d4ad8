"""The evaluation plan: rule conditions split into shared atoms, plus an index.

Each rule's condition is a conjunction; its conjuncts ("atoms") are compiled once per
distinct text, so a guard that many rules share (`controlled_goods: {present: true}`) is
tested once per shipment and remembered. Rules whose condition includes a membership
test on a root field (`transport_mode: {in: [post, courier]}`, `route.transit_countries:
{any_in: "@transshipment_hubs"}`) are indexed by the values that can satisfy it: a
shipment touches only the rules its own values select, plus the rules without such a
test. Both are exact: a rule fires under the plan exactly when its whole condition holds.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .compiler import Compiled, Context, all_of, compile_condition
from .fields import FieldType, getter, resolve
from .yaml_loader import Mark, Node

Getter = Callable[[Any], Any]


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


@dataclass
class _Index:
    get: Getter
    many: bool
    rules: dict[Any, list[int]] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    atoms: tuple[Callable[[Any, Any], bool], ...]
    rule_atoms: tuple[tuple[int, ...], ...]
    windows: tuple[tuple[dt.date, dt.date], ...]
    indexes: tuple[tuple[Getter, bool, dict[Any, tuple[int, ...]]], ...]
    present: tuple[tuple[Getter, tuple[int, ...]], ...]
    always: frozenset[int]
    checks: tuple[tuple[tuple[int, ...], tuple[int, ...]], ...]

    def run(self, facts: Any, day: dt.date) -> tuple[list[int], list[str]]:
        """The rules that fire on `day`, in rule order, and each checklist item's status."""
        atoms, rule_atoms, windows = self.atoms, self.rule_atoms, self.windows
        known: list[bool | None] = [None] * len(atoms)

        def holds(ids: tuple[int, ...]) -> bool:
            for a in ids:
                value = known[a]
                if value is None:
                    value = known[a] = atoms[a](facts, facts)
                if not value:
                    return False
            return True

        fired = []
        for i in self.candidates(facts):
            start, end = windows[i]
            if start <= day <= end and holds(rule_atoms[i]):
                fired.append(i)
        statuses = [("provided" if holds(provided) else "missing") if holds(applies)
                    else "not_applicable" for applies, provided in self.checks]
        return fired, statuses

    def candidates(self, facts: Any) -> list[int]:
        """The rules this shipment's values can satisfy, in rule order."""
        chosen = set(self.always)
        for get, rules in self.present:
            if get(facts):
                chosen.update(rules)
        for get, many, table in self.indexes:
            value = get(facts)
            if many:
                for v in value or ():
                    hit = table.get(v)
                    if hit:
                        chosen.update(hit)
            else:
                hit = table.get(value)
                if hit:
                    chosen.update(hit)
        return sorted(chosen)


IndexKey = tuple[Any, ...]


class PlanBuilder:
    """Collects rule conditions into shared atoms and an index."""

    def __init__(self, root: FieldType) -> None:
        self.root = root
        self.atom_ids: dict[str, int] = {}
        self.atoms: list[Compiled] = []
        self.rule_atoms: list[tuple[int, ...]] = []
        self.rule_keys: list[list[tuple[int, IndexKey]]] = []
        self.windows: list[tuple[dt.date, dt.date]] = []
        self.checks: list[tuple[tuple[int, ...], tuple[int, ...]]] = []

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
        keys = [(atom, key) for atom, part in zip(ids, raw, strict=True)
                if (key := self._index_key(part, ctx)) is not None]
        self.rule_keys.append(keys)
        self.rule_atoms.append(tuple(ids))
        self.windows.append((effective[0] or dt.date.min, effective[1] or dt.date.max))
        return whole

    def add_check(self, applies: Any, provided: Any, ctx: Context) -> None:
        """Add a checklist item's two conditions, sharing atoms with the rules."""
        applies_ids, _, _ = self._atoms(applies, ctx)
        provided_ids, _, _ = self._atoms(provided, ctx)
        self.checks.append((tuple(applies_ids), tuple(provided_ids)))

    def _index_key(self, part: Any, ctx: Context) -> IndexKey | None:
        """How a conjunct can index its rule: ("member", path, many, values) for a membership
        test on a root text field, ("present", path) for a root field that must be there."""
        if not isinstance(part, dict) or len(part) != 1:
            return None
        (path, spec), = part.items()
        if path in ("all", "any", "not") or path.startswith("$"):
            return None
        if not isinstance(spec, dict):
            spec = {"equals": spec}
        if len(spec) != 1:
            return None
        (op, operand), = spec.items()
        ftype = resolve(self.root, path)
        if isinstance(ftype, str):
            return None
        many = ftype.kind == "list"
        if op == "present" and operand is True and ftype.kind in ("list", "object", "str"):
            return ("present", path)
        kind = ftype.item.kind if many and ftype.item else ftype.kind
        if kind != "str" or (op == "any_in") != many or op not in ("in", "equals", "any_in"):
            return None
        values = self._values(operand, ctx)
        return None if values is None else ("member", path, many, tuple(values))

    @staticmethod
    def _values(operand: Any, ctx: Context) -> list[Any] | None:
        if isinstance(operand, str) and operand.startswith("$"):
            return None
        if isinstance(operand, str) and operand.startswith("@"):
            named = ctx.lists.get(operand[1:])
            return None if named is None else [*named.values, *named.terms]
        if isinstance(operand, list):
            return operand if all(isinstance(v, str | int | float) for v in operand) else None
        return [operand] if isinstance(operand, str | int | float | bool) else None

    def build(self) -> Plan:
        """Index each rule under its rarest indexable conjunct: a guard that many rules share
        (`controlled_goods: {present: true}`) selects little, one few rules use selects much."""
        uses = Counter(atom for keys in self.rule_keys for atom in {a for a, _ in keys})
        members: dict[str, _Index] = {}
        present: dict[str, tuple[Getter, list[int]]] = {}
        always: set[int] = set()
        for rule, keys in enumerate(self.rule_keys):
            if not keys:
                always.add(rule)
                continue
            _, key = min(keys, key=lambda k: (uses[k[0]], k[1][0] != "member"))
            if key[0] == "present":
                present.setdefault(key[1], (getter(key[1]), []))[1].append(rule)
                continue
            _, path, many, values = key
            index = members.setdefault(f"{path}|{many}", _Index(getter(path), many))
            for value in values:
                index.rules.setdefault(value, []).append(rule)
        return Plan(
            atoms=tuple(a.test for a in self.atoms),
            rule_atoms=tuple(self.rule_atoms),
            windows=tuple(self.windows),
            indexes=tuple((ix.get, ix.many, {k: tuple(v) for k, v in ix.rules.items()})
                          for ix in members.values()),
            present=tuple((get, tuple(rules)) for get, rules in present.values()),
            always=frozenset(always),
            checks=tuple(self.checks))
