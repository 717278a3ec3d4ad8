"""Compiles rule conditions into plain Python callables, once per ruleset load.

A condition compiles to a `Compiled`: `test(scope, root) -> bool` for the fast path and
`explain(scope, root, prefix) -> [Evidence]` run only for rules that fired. `scope` is
the object paths are relative to (the facts, or an item inside a quantifier); `root` is
always the facts. Operator names map to builders through the `OPERATORS` table.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from operator import attrgetter
from typing import Any, NamedTuple

from rapidfuzz import fuzz

from ..errors import Problem
from ..models import Evidence
from ..models.construct import construct
from ..reference.hs import hs_digits
from ..reference.keywords import KeywordMatcher
from ..reference.parties import normalise_name
from .fields import FieldType, Getter, getter, resolve
from .yaml_loader import Mark, Node, NodeList, key_mark

Test = Callable[[Any, Any], bool]
Explain = Callable[[Any, Any, str], list[Evidence]]
Check = Callable[[Any, Any, Any], bool]
ExplainValue = Callable[[Any, Any, Any, str], list[Evidence]]

COMBINATORS = ("all", "any", "not")
QUANTIFIERS = ("any", "all", "none")


@dataclass(frozen=True, slots=True)
class Compiled:
    test: Test
    explain: Explain
    text: str


@dataclass(frozen=True)
class NamedList:
    """A `values` or `keywords` list as rules use it (`@name`)."""

    name: str
    kind: str
    values: frozenset[str]
    terms: tuple[str, ...]

    @cached_property
    def matcher(self) -> KeywordMatcher:
        """One matcher per list, shared by every rule that names it."""
        return KeywordMatcher(self.terms or sorted(self.values))


class CompileProblem(Exception):
    def __init__(self, mark: Mark, code: str, message: str) -> None:
        super().__init__(message)
        self.mark, self.code, self.message = mark, code, message


@dataclass
class Context:
    """What the compiler needs besides the node: the file, the lists, the root type."""

    path: str
    lists: Mapping[str, NamedList]
    root: FieldType
    problems: list[Problem] = field(default_factory=list)
    used_lists: set[str] = field(default_factory=set)

    def problem(self, mark: Mark, code: str, message: str) -> None:
        self.problems.append(Problem(self.path, mark[0], mark[1], code, message))


_FALSE = Compiled(lambda s, r: False, lambda s, r, p: [], "(invalid)")


def compile_condition(node: Any, scope: FieldType, ctx: Context, mark: Mark = (1, 1)) -> Compiled:
    """Compile a `when` condition; problems are recorded in `ctx` and yield a false condition."""
    try:
        return _condition(node, scope, ctx, getattr(node, "mark", mark))
    except CompileProblem as exc:
        ctx.problem(exc.mark, exc.code, exc.message)
        return _FALSE


def _condition(node: Any, scope: FieldType, ctx: Context, mark: Mark) -> Compiled:
    if not isinstance(node, dict) or not node:
        raise CompileProblem(mark, "condition", "a condition is a non-empty mapping")
    parts: list[Compiled] = []
    for key, value in node.items():
        vmark = node.value_marks[key] if isinstance(node, Node) else mark
        kmark = key_mark(node, key)
        try:
            if key in COMBINATORS:
                parts.append(_combinator(key, value, scope, ctx, vmark))
            else:
                parts.append(_field(key, value, scope, ctx, kmark, vmark))
        except CompileProblem as exc:  # record it and go on, so one run reports them all
            ctx.problem(exc.mark, exc.code, exc.message)
            parts.append(_FALSE)
    return parts[0] if len(parts) == 1 else all_of(parts)


def _combinator(name: str, value: Any, scope: FieldType, ctx: Context, mark: Mark) -> Compiled:
    if name == "not":
        return _not(_condition(value, scope, ctx, getattr(value, "mark", mark)))
    if not isinstance(value, list) or not value:
        raise CompileProblem(mark, "condition", f"'{name}' takes a non-empty list of conditions")
    marks = value.item_marks if isinstance(value, NodeList) else [mark] * len(value)
    parts = [_condition(item, scope, ctx, m) for item, m in zip(value, marks, strict=True)]
    if len(parts) == 1:
        return parts[0]
    return all_of(parts) if name == "all" else _any(parts)


def all_of(parts: list[Compiled]) -> Compiled:
    tests = tuple(p.test for p in parts)

    def test(s: Any, r: Any) -> bool:
        for t in tests:
            if not t(s, r):
                return False
        return True

    def explain(s: Any, r: Any, prefix: str) -> list[Evidence]:
        return [e for p in parts for e in p.explain(s, r, prefix)]

    return Compiled(test, explain, " and ".join(f"({p.text})" for p in parts))


def _any(parts: list[Compiled]) -> Compiled:
    tests = tuple(p.test for p in parts)

    def test(s: Any, r: Any) -> bool:
        for t in tests:
            if t(s, r):
                return True
        return False

    def explain(s: Any, r: Any, prefix: str) -> list[Evidence]:
        return [e for p in parts if p.test(s, r) for e in p.explain(s, r, prefix)]

    return Compiled(test, explain, " or ".join(f"({p.text})" for p in parts))


def _not(inner: Compiled) -> Compiled:
    t = inner.test
    text = f"not ({inner.text})"

    def explain(s: Any, r: Any, prefix: str) -> list[Evidence]:
        return [construct(Evidence, path=prefix.rstrip(".") or "$", value=None, why=text)]

    return Compiled(lambda s, r: not t(s, r), explain, text)


# ---------------------------------------------------------------- fields and operands


def _field(key: str, spec: Any, scope: FieldType, ctx: Context, kmark: Mark,
           vmark: Mark) -> Compiled:
    from_root = key.startswith("$")
    path = key[1:] if from_root else key
    base = ctx.root if from_root else scope
    ftype = resolve(base, path)
    if isinstance(ftype, str):
        raise CompileProblem(kmark, "unknown-field", ftype)
    get = getter(path)
    shown = path
    if not isinstance(spec, dict):
        if isinstance(spec, list):
            raise CompileProblem(vmark, "operator", f"{key}: use {{in: [...]}} to test membership")
        spec = {"equals": spec}
    if not spec:
        raise CompileProblem(vmark, "operator", f"{key}: no operator given")
    ops = [_operator(op, operand, ftype, ctx, key_mark(spec, op),
                     spec.value_marks[op] if isinstance(spec, Node) else vmark)
           for op, operand in spec.items()]
    checks = tuple(o[0] for o in ops)
    texts = " and ".join(f"{shown} {o[2]}" for o in ops)

    if from_root:
        def value_of(s: Any, r: Any) -> Any:
            return get(r)
    else:
        def value_of(s: Any, r: Any) -> Any:
            return get(s)

    fast = _fast_test(path, ops[0], ftype) if len(ops) == 1 and not from_root else None
    if fast is not None:
        test = fast
    elif len(checks) == 1:
        check = checks[0]
        if from_root:
            def test(s: Any, r: Any) -> bool:
                return check(get(r), s, r)
        else:
            def test(s: Any, r: Any) -> bool:
                return check(get(s), s, r)
    else:
        def test(s: Any, r: Any) -> bool:
            v = value_of(s, r)
            for c in checks:
                if not c(v, s, r):
                    return False
            return True

    def explain(s: Any, r: Any, prefix: str) -> list[Evidence]:
        v = value_of(s, r)
        where = path if from_root else prefix + path
        return [e for o in ops for e in o[1](v, s, r, where)]

    return Compiled(test, explain, texts)


class Built(NamedTuple):
    """A compiled operator: the check, its explanation, its text, and for the commonest
    literal tests a (kind, operand) pair that lets the field test skip a call level."""

    check: Check
    explain: ExplainValue
    text: str
    fast: tuple[str, Any] | None = None


def _fast_test(path: str, built: Built, ftype: FieldType) -> Test | None:
    if built.fast is None or "." in path:
        return None
    kind, operand = built.fast
    get = attrgetter(path)
    if kind == "eq":
        return lambda s, r: bool(get(s) == operand)
    if kind == "in":
        return lambda s, r: get(s) in operand
    if kind == "present" and ftype.kind in ("list", "object", "str"):
        return (lambda s, r: bool(get(s))) if operand else (lambda s, r: not get(s))
    return None


def _simple(check: Check, describe: Callable[[Any, Any, Any], str] | str,
            fast: tuple[str, Any] | None = None) -> Built:
    def explain(v: Any, s: Any, r: Any, path: str) -> list[Evidence]:
        why = describe if isinstance(describe, str) else describe(v, s, r)
        return [construct(Evidence, path=path, value=_jsonable(v), why=why)]

    text = describe if isinstance(describe, str) else "matches"
    return Built(check, explain, text, fast)


def _jsonable(v: Any) -> Any:
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, str | int | float | bool) or v is None:
        return v
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    return str(v)


class Operand:
    """A literal, a `@list`, or a `$path` (`$.path` relative to the current scope)."""

    def __init__(self, raw: Any, ctx: Context, mark: Mark, want: str | None = None) -> None:
        self.raw = raw
        self.list: NamedList | None = None
        self.get: Getter | None = None
        self.relative = False
        if isinstance(raw, str) and raw.startswith("@"):
            name = raw[1:]
            if name not in ctx.lists:
                import difflib
                guess = difflib.get_close_matches(name, list(ctx.lists), n=1)
                hint = f"; did you mean '@{guess[0]}'?" if guess else ""
                raise CompileProblem(mark, "unknown-list", f"no list named {raw!r}{hint}")
            ctx.used_lists.add(name)
            self.list = ctx.lists[name]
        elif isinstance(raw, str) and raw.startswith("$"):
            self.relative = raw.startswith("$.")
            path = raw[2:] if self.relative else raw[1:]
            if not self.relative:
                ftype = resolve(ctx.root, path)
                if isinstance(ftype, str):
                    raise CompileProblem(mark, "unknown-field", ftype)
            self.get = getter(path)

    @property
    def is_ref(self) -> bool:
        return self.get is not None

    def value(self, s: Any, r: Any) -> Any:
        assert self.get is not None
        return self.get(s if self.relative else r)

    def __str__(self) -> str:
        return str(self.raw)


def _operator(op: str, raw: Any, ftype: FieldType, ctx: Context, kmark: Mark,
              vmark: Mark) -> Built:
    entry = OPERATORS.get(op)
    if entry is None:
        if isinstance(raw, str) and raw[1:] in ctx.lists:
            ctx.used_lists.add(raw[1:])  # the list is used, only the operator is misspelt
        import difflib
        guess = difflib.get_close_matches(op, list(OPERATORS), n=1)
        hint = f"; did you mean {guess[0]!r}?" if guess else ""
        raise CompileProblem(kmark, "unknown-operator", f"unknown operator {op!r}{hint}")
    kinds, build = entry
    if ftype.kind not in kinds and ftype.kind != "any":
        raise CompileProblem(kmark, "operator-type",
                             f"operator {op!r} does not apply to a {ftype.kind} field")
    return build(raw, ftype, ctx, vmark)


# ---------------------------------------------------------------- operator builders


def _equals(raw: Any, ftype: FieldType, ctx: Context, mark: Mark) -> Built:
    operand = Operand(raw, ctx, mark)
    if operand.list is not None:
        raise CompileProblem(mark, "operand", "equals takes a value; use 'in' for a list")
    if operand.is_ref:
        ref = operand
        return _simple(lambda v, s, r: v is not None and v == ref.value(s, r),
                       lambda v, s, r: f"equals {ref}")
    if ftype.choices and str(raw) not in ftype.choices:
        raise CompileProblem(mark, "operand",
                             f"{raw!r} is not one of {', '.join(ftype.choices)}")
    value = _coerce(raw, ftype, mark)
    return _simple(lambda v, s, r: v == value, f"equals {raw!r}", ("eq", value))


def _coerce(raw: Any, ftype: FieldType, mark: Mark) -> Any:
    if ftype.kind == "date" and isinstance(raw, str):
        try:
            return dt.date.fromisoformat(raw)
        except ValueError as exc:
            raise CompileProblem(mark, "operand", f"not a date: {raw!r}") from exc
    if ftype.kind == "number" and not isinstance(raw, int | float):
        raise CompileProblem(mark, "operand", f"not a number: {raw!r}")
    return raw


def _in(raw: Any, ftype: FieldType, ctx: Context, mark: Mark) -> Built:
    operand = Operand(raw, ctx, mark)
    if operand.list is not None:
        values, name = operand.list.values | set(operand.list.terms), operand.list.name
        return _simple(lambda v, s, r: v in values, f"in list {name}", ("in", values))
    if not isinstance(raw, list) or not raw:
        raise CompileProblem(mark, "operand", "'in' takes a non-empty list or an @list")
    for item in raw:
        if ftype.choices and str(item) not in ftype.choices:
            raise CompileProblem(mark, "operand",
                                 f"{item!r} is not one of {', '.join(ftype.choices)}")
    allowed = frozenset(raw)
    return _simple(lambda v, s, r: v in allowed, f"in {sorted(allowed)}", ("in", allowed))


def _presence(want: bool) -> Callable[[Any, FieldType, Context, Mark], Built]:
    def build(raw: Any, ftype: FieldType, ctx: Context, mark: Mark) -> Built:
        if not isinstance(raw, bool):
            raise CompileProblem(mark, "operand", "present/missing take true or false")
        expect = raw == want

        def check(v: Any, s: Any, r: Any) -> bool:
            there = v is not None and v != "" and v != []
            return there == expect

        def explain(v: Any, s: Any, r: Any, path: str) -> list[Evidence]:
            if expect and isinstance(v, list) and v and hasattr(v[0], "evidence"):
                return [item.evidence() for item in v]
            why = "is present" if expect else "is missing"
            return [construct(Evidence, path=path, value=_jsonable(v), why=why)]

        return Built(check, explain, "is present" if expect else "is missing",
                     ("present", expect))

    return build


def _matches(raw: Any, ftype: FieldType, ctx: Context, mark: Mark) -> Built:
    if not isinstance(raw, str):
        raise CompileProblem(mark, "operand", "matches takes a regular expression string")
    try:
        pattern = re.compile(raw)
    except re.error as exc:
        raise CompileProblem(mark, "regex", f"invalid regular expression: {exc}") from exc
    search = pattern.search
    return _simple(lambda v, s, r: isinstance(v, str) and search(v) is not None,
                   f"matches /{raw}/")


def _contains_any(raw: Any, ftype: FieldType, ctx: Context, mark: Mark) -> Built:
    operand = Operand(raw, ctx, mark)
    if operand.list is not None:
        matcher, name = operand.list.matcher, f"list {operand.list.name}"
    elif isinstance(raw, list) and raw and all(isinstance(t, str) for t in raw):
        matcher, name = KeywordMatcher(raw), "keywords"
    else:
        raise CompileProblem(mark, "operand", "contains_any takes a list of terms or an @list")
    find = matcher.find

    def check(v: Any, s: Any, r: Any) -> bool:
        return isinstance(v, str) and find(v) is not None

    def describe(v: Any, s: Any, r: Any) -> str:
        found = find(v) if isinstance(v, str) else None
        return f"contains {found!r} ({name})" if found else f"contains a term of {name}"

    return _simple(check, describe)


def _hs_prefix(raw: Any, ftype: FieldType, ctx: Context, mark: Mark) -> Built:
    operand = Operand(raw, ctx, mark)
    codes = sorted(operand.list.values) if operand.list else raw if isinstance(raw, list) else [raw]
    prefixes = []
    for code in codes:
        digits = hs_digits(str(code))
        if digits is None:
            raise CompileProblem(mark, "operand", f"not an HS code: {code!r}")
        prefixes.append(digits)
    ptuple = tuple(prefixes)

    def check(v: Any, s: Any, r: Any) -> bool:
        if not isinstance(v, str):
            return False
        digits = hs_digits(v)
        return digits is not None and digits.startswith(ptuple)

    return _simple(check, f"HS code under {', '.join(str(c) for c in codes)}")


_COMPARE: dict[str, tuple[Callable[[Any, Any], bool], str]] = {
    "gt": (lambda a, b: a > b, ">"), "gte": (lambda a, b: a >= b, ">="),
    "lt": (lambda a, b: a < b, "<"), "lte": (lambda a, b: a <= b, "<="),
    "before": (lambda a, b: a < b, "before"), "after": (lambda a, b: a > b, "after"),
    "on_or_before": (lambda a, b: a <= b, "on or before"),
    "on_or_after": (lambda a, b: a >= b, "on or after"),
}


def _compare(op: str) -> Callable[[Any, FieldType, Context, Mark], Built]:
    fn, word = _COMPARE[op]

    def build(raw: Any, ftype: FieldType, ctx: Context, mark: Mark) -> Built:
        operand = Operand(raw, ctx, mark)
        if operand.list is not None:
            raise CompileProblem(mark, "operand", f"{op} takes a value or a $field")
        if operand.is_ref:
            ref = operand

            def check(v: Any, s: Any, r: Any) -> bool:
                other = ref.value(s, r)
                return v is not None and other is not None and fn(v, other)

            return _simple(check, lambda v, s, r: f"{word} {ref} ({_jsonable(ref.value(s, r))})")
        value = _coerce(raw, ftype, mark)
        return _simple(lambda v, s, r: v is not None and fn(v, value), f"{word} {raw}")

    return build


def _same_party(raw: Any, ftype: FieldType, ctx: Context, mark: Mark) -> Built:
    operand = Operand(raw, ctx, mark)
    if operand.list is not None:
        raise CompileProblem(mark, "operand", "same_party takes a $field or a name")

    def other(s: Any, r: Any) -> Any:
        return operand.value(s, r) if operand.is_ref else raw

    def check(v: Any, s: Any, r: Any) -> bool:
        o = other(s, r)
        if not isinstance(v, str) or not isinstance(o, str):
            return False
        a, b = normalise_name(v), normalise_name(o)
        return a == b or fuzz.token_sort_ratio(a, b) >= 90

    return _simple(check, lambda v, s, r: f"names the same party as {raw}")


def _quantifier(kind: str) -> Callable[[Any, FieldType, Context, Mark], Built]:
    def build(raw: Any, ftype: FieldType, ctx: Context, mark: Mark) -> Built:
        item = ftype.item or FieldType("any")
        if item.kind == "object":
            sub = _condition(raw, item, ctx, mark)
            test = sub.test

            def holds(it: Any, s: Any, r: Any) -> bool:
                return test(it, r)

            def explain_item(it: Any, s: Any, r: Any, path: str) -> list[Evidence]:
                return sub.explain(it, r, path + ".")
            text = sub.text
        else:
            if not isinstance(raw, dict) or not raw:
                raise CompileProblem(mark, "operand", f"'{kind}' takes operators for each item")
            ops = [_operator(op, val, item, ctx, key_mark(raw, op),
                             raw.value_marks[op] if isinstance(raw, Node) else mark)
                   for op, val in raw.items()]
            checks = tuple(o[0] for o in ops)

            def holds(it: Any, s: Any, r: Any) -> bool:
                for c in checks:
                    if not c(it, s, r):
                        return False
                return True

            def explain_item(it: Any, s: Any, r: Any, path: str) -> list[Evidence]:
                return [e for o in ops for e in o[1](it, s, r, path)]
            text = " and ".join(o[2] for o in ops)

        def item_path(it: Any, i: int, path: str) -> str:
            own = getattr(it, "path", None)
            return own if isinstance(own, str) else f"{path}[{i}]"

        if kind == "any" and item.kind == "object":
            def check(v: Any, s: Any, r: Any) -> bool:
                # The commonest quantifier, written without the `holds` hop.
                if v:
                    for it in v:
                        if test(it, r):
                            return True
                return False
        elif kind == "any":
            def check(v: Any, s: Any, r: Any) -> bool:
                if v:
                    for it in v:
                        if holds(it, s, r):
                            return True
                return False
        elif kind == "all":
            def check(v: Any, s: Any, r: Any) -> bool:
                if v:
                    for it in v:
                        if not holds(it, s, r):
                            return False
                return True
        else:
            def check(v: Any, s: Any, r: Any) -> bool:
                if v:
                    for it in v:
                        if holds(it, s, r):
                            return False
                return True

        def explain(v: Any, s: Any, r: Any, path: str) -> list[Evidence]:
            if kind == "none":
                return [construct(Evidence, path=path, value=None, why=f"no item where {text}")]
            return [e for i, it in enumerate(v or ()) if holds(it, s, r)
                    for e in explain_item(it, s, r, item_path(it, i, path))]

        return Built(check, explain, f"{kind} item ({text})")

    return build


def _sugar(kind: str, op: str) -> Callable[[Any, FieldType, Context, Mark], Built]:
    quantified = _quantifier(kind)

    def build(raw: Any, ftype: FieldType, ctx: Context, mark: Mark) -> Built:
        inner = Node({op: raw})
        inner.mark = mark
        inner.key_marks, inner.value_marks = {op: mark}, {op: mark}
        return quantified(inner, ftype, ctx, mark)

    return build


SCALARS = frozenset({"str", "number", "bool", "date"})
_ANY = frozenset({"str", "number", "bool", "date", "object", "list"})
OPERATORS: dict[str, tuple[frozenset[str], Callable[[Any, FieldType, Context, Mark], Built]]] = {
    "equals": (SCALARS, _equals),
    "in": (frozenset({"str", "number"}), _in),
    "any_in": (frozenset({"list"}), _sugar("any", "in")),
    "all_in": (frozenset({"list"}), _sugar("all", "in")),
    "present": (_ANY, _presence(True)),
    "missing": (_ANY, _presence(False)),
    "matches": (frozenset({"str"}), _matches),
    "contains_any": (frozenset({"str"}), _contains_any),
    "hs_prefix": (frozenset({"str"}), _hs_prefix),
    "same_party": (frozenset({"str"}), _same_party),
    "any": (frozenset({"list"}), _quantifier("any")),
    "all": (frozenset({"list"}), _quantifier("all")),
    "none": (frozenset({"list"}), _quantifier("none")),
    **{op: (frozenset({"number"}), _compare(op)) for op in ("gt", "gte", "lt", "lte")},
    **{op: (frozenset({"date"}), _compare(op))
       for op in ("before", "after", "on_or_before", "on_or_after")},
}

