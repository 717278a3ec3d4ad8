"""Compiles rule conditions into plain Python, once per ruleset load.

A condition compiles to a `Compiled`: `emit` writes it as one Python expression over the
facts (the plan compiles every rule's expressions into one function, see `codegen`),
`test(scope, root) -> bool` is that expression compiled on its own, and
`explain(scope, root, prefix) -> [Evidence]` runs only for rules that fired. `scope` is
the object paths are relative to (the facts, or an item inside a quantifier); `root` is
always the facts. Operator names map to builders through the `OPERATORS` table; each
operator is written either as an expression (`_expr`) or, where that would not be plain,
as a function the expression calls (`_call`), never both.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

from pydantic import BaseModel

from ..errors import Problem
from ..models import Evidence
from ..models.construct import construct, replace
from ..reference.hs import hs_digits
from ..reference.keywords import KeywordMatcher
from ..reference.parties import same_party
from .codegen import Emit, Source
from .fields import FieldType, Getter, getter, resolve
from .yaml_loader import Mark, Node, NodeList, key_mark

Test = Callable[[Any, Any], bool]
Explain = Callable[[Any, Any, str], list[Evidence]]
Check = Callable[[Any, Any, Any], bool]
ExplainValue = Callable[[Any, Any, Any, str], list[Evidence]]
# (source, value, scope, root) -> expression; value, scope and root are plain names or paths.
EmitValue = Callable[[Source, str, str, str], str]

COMBINATORS = ("all", "any", "not")
QUANTIFIERS = ("any", "all", "none")


def _lazy(params: str, expr: Callable[[Source], str]) -> Callable[..., bool]:
    """A function of `params` returning `bool(expr)`, compiled when first called (most
    conditions are only ever evaluated inside the plan's one function)."""
    compiled: Callable[..., bool] | None = None

    def call(*args: Any) -> bool:
        nonlocal compiled
        if compiled is None:
            src = Source()
            compiled = src.compile(f"def f({params}):\n    return bool({expr(src)})\n", "f")
        return compiled(*args)

    return call


class Compiled:
    """A compiled condition: its expression, its test, its explanation, its text, and the
    fields it reads (path, from the root?) for explaining a `not`."""

    __slots__ = ("emit", "explain", "fields", "test", "text")

    def __init__(self, emit: Emit, explain: Explain, text: str,
                 fields: tuple[tuple[str, bool], ...] = ()) -> None:
        self.emit, self.explain, self.text, self.fields = emit, explain, text, fields
        self.test: Test = _lazy("s, r", lambda src: emit(src, "s", "r"))


def _conj(parts: list[str], word: str = "and") -> str:
    return parts[0] if len(parts) == 1 else "(" + f" {word} ".join(parts) + ")"


@dataclass(frozen=True)
class NamedList:
    """A `values` or `keywords` list as rules use it (`@name`)."""

    name: str
    kind: str
    values: frozenset[str]
    terms: tuple[str, ...]
    exceptions: tuple[str, ...] = ()

    @cached_property
    def matcher(self) -> KeywordMatcher:
        """One matcher per list, shared by every rule that names it."""
        return KeywordMatcher(self.terms or sorted(self.values), exceptions=self.exceptions)


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


_FALSE = Compiled(lambda src, s, r: "False", lambda s, r, p: [], "(invalid)")


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
    def emit(src: Source, s: str, r: str) -> str:
        return _conj([p.emit(src, s, r) for p in parts])

    explains = [p.explain for p in parts]

    def explain(s: Any, r: Any, prefix: str) -> list[Evidence]:
        out: list[Evidence] = []
        for part in explains:
            out += part(s, r, prefix)
        return out

    return Compiled(emit, explain, " and ".join(f"({p.text})" for p in parts), _fields(parts))


def _any(parts: list[Compiled]) -> Compiled:
    def emit(src: Source, s: str, r: str) -> str:
        return _conj([p.emit(src, s, r) for p in parts], "or")

    def explain(s: Any, r: Any, prefix: str) -> list[Evidence]:
        return [e for p in parts if p.test(s, r) for e in p.explain(s, r, prefix)]

    return Compiled(emit, explain, " or ".join(f"({p.text})" for p in parts), _fields(parts))


def _fields(parts: list[Compiled]) -> tuple[tuple[str, bool], ...]:
    return tuple(dict.fromkeys(f for p in parts for f in p.fields))


def _not(inner: Compiled) -> Compiled:
    """A condition that does not hold has no evidence of its own: a `not` shows the values
    of the fields its condition reads."""
    text = f"not ({inner.text})"
    reads = [(path, from_root, getter(path)) for path, from_root in inner.fields]

    def explain(s: Any, r: Any, prefix: str) -> list[Evidence]:
        if not reads:
            return [construct(Evidence, path=prefix.rstrip(".") or "$", value=None, why=text)]
        out: list[Evidence] = []
        for path, from_root, get in reads:
            value = get(r if from_root else s)
            if isinstance(value, list) and value and hasattr(value[0], "evidence"):
                out += [replace(item.evidence(), why=text) for item in value]  # lines, parties
            else:
                out.append(construct(Evidence, path=path if from_root else prefix + path,
                                     value=_jsonable(value), why=text))
        return out

    return Compiled(lambda src, s, r: f"(not {inner.emit(src, s, r)})", explain, text,
                    inner.fields)


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
    if not isinstance(spec, dict):
        if isinstance(spec, list):
            raise CompileProblem(vmark, "operator", f"{key}: use {{in: [...]}} to test membership")
        spec = {"equals": spec}
    if not spec:
        raise CompileProblem(vmark, "operator", f"{key}: no operator given")
    ops = [_operator(op, operand, ftype, ctx, key_mark(spec, op),
                     spec.value_marks[op] if isinstance(spec, Node) else vmark)
           for op, operand in spec.items()]
    texts = " and ".join(f"{path} {o.text}" for o in ops)

    def emit(src: Source, s: str, r: str) -> str:
        value = src.path(r if from_root else s, path)
        return src.bind(value, lambda v: _conj([o.emit(src, v, s, r) for o in ops]))

    def explain(s: Any, r: Any, prefix: str) -> list[Evidence]:
        if from_root:
            v, where = get(r), path
        else:
            v, where = get(s), prefix + path
        evidence = (ops[0].explain(v, s, r, where) if len(ops) == 1
                    else [e for o in ops for e in o.explain(v, s, r, where)])
        if v is None or v is True or v is False:
            return _shown_as_submitted(evidence, s, path)
        return evidence

    return Compiled(emit, explain, texts, ((path, from_root),))


def _shown_as_submitted(evidence: list[Evidence], item: Any, path: str) -> list[Evidence]:
    """A yes, a no or a nothing derived from one submitted field of a line, party or paper (a
    line's ``controlled_heading`` from its ``hs_code``, its ``named_item`` from its
    ``description``): the evidence shows that field's value (its path already points at it)
    and names the derived fact in its why, so that "is missing" is not read as the field's."""
    submitted = getattr(item.__class__, "SUBMITTED", None)
    field = submitted.get(path) if submitted else None
    if not field or not hasattr(item, field):
        return evidence
    value = _jsonable(getattr(item, field))
    return [replace(e, value=value, why=f"{path} {e.why}") for e in evidence]


class Built(NamedTuple):
    """A compiled operator: its expression over the value, its explanation, its text."""

    emit: EmitValue
    explain: ExplainValue
    text: str


def _expr(write: Callable[[Source, str], str]) -> EmitValue:
    """An operator written as an expression over the value: `write(source, value)`."""
    return lambda src, v, s, r: write(src, v)


def _call(check: Check) -> EmitValue:
    """An operator written as a function of (value, scope, root) that the expression calls."""
    return lambda src, v, s, r: f"{src.const(check, 'k')}({v}, {s}, {r})"


def _simple(emit: EmitValue, describe: Callable[[Any, Any, Any], str] | str,
            text: str = "") -> Built:
    """An operator with one piece of evidence: the value, and why (`describe`, or `text`
    as the operator reads in conditions when `describe` needs the value)."""
    if isinstance(describe, str):
        why = describe

        def explain(v: Any, s: Any, r: Any, path: str) -> list[Evidence]:
            return [construct(Evidence, path=path, value=_jsonable(v), why=why)]

        return Built(emit, explain, describe)

    def explain_with(v: Any, s: Any, r: Any, path: str) -> list[Evidence]:
        return [construct(Evidence, path=path, value=_jsonable(v), why=describe(v, s, r))]

    return Built(emit, explain_with, text)


def _jsonable(v: Any) -> Any:
    if v.__class__ is str:
        return v
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, str | int | float | bool) or v is None:
        return v
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    if isinstance(v, BaseModel):  # a submitted object (a party): as it is in the shipment
        return v.model_dump(mode="json", by_alias=True, exclude_none=True)
    return str(v)


class Operand:
    """A literal, a `@list`, or a `$path` (`$.path` relative to the current scope)."""

    def __init__(self, raw: Any, ctx: Context, mark: Mark, want: str | None = None) -> None:
        self.raw = raw
        self.list: NamedList | None = None
        self.get: Getter | None = None
        self.path = ""
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
            self.path, self.get = path, getter(path)

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
        return _simple(_call(lambda v, s, r: v is not None and v == ref.value(s, r)),
                       f"equals {ref}")
    if ftype.choices and str(raw) not in ftype.choices:
        raise CompileProblem(mark, "operand",
                             f"{raw!r} is not one of {', '.join(ftype.choices)}")
    value = _coerce(raw, ftype, mark)
    return _simple(_expr(lambda src, v: f"({v} == {src.const(value)})"), f"equals {raw!r}")


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
        return _simple(_expr(lambda src, v: f"({v} in {src.const(values)})"), f"in list {name}")
    if not isinstance(raw, list) or not raw:
        raise CompileProblem(mark, "operand", "'in' takes a non-empty list or an @list")
    for item in raw:
        if ftype.choices and str(item) not in ftype.choices:
            raise CompileProblem(mark, "operand",
                                 f"{item!r} is not one of {', '.join(ftype.choices)}")
    allowed = frozenset(raw)
    return _simple(_expr(lambda src, v: f"({v} in {src.const(allowed)})"),
                   f"in {sorted(allowed)}")


def _presence(want: bool) -> Callable[[Any, FieldType, Context, Mark], Built]:
    def build(raw: Any, ftype: FieldType, ctx: Context, mark: Mark) -> Built:
        if not isinstance(raw, bool):
            raise CompileProblem(mark, "operand", "present/missing take true or false")
        expect = raw == want

        def emit(src: Source, v: str) -> str:
            # present: not None, not "" and not [] (for text, lists and objects: truthy)
            there = (f"(not not {v})" if ftype.kind in ("list", "object", "str")
                     else f"({v} is not None and {v} != '' and {v} != [])")
            return there if expect else f"(not {there})"

        def explain(v: Any, s: Any, r: Any, path: str) -> list[Evidence]:
            if expect and isinstance(v, list) and v and hasattr(v[0], "evidence"):
                return [item.evidence() for item in v]
            why = "is present" if expect else "is missing"
            return [construct(Evidence, path=path, value=_jsonable(v), why=why)]

        return Built(_expr(emit), explain, "is present" if expect else "is missing")

    return build


def _matches(raw: Any, ftype: FieldType, ctx: Context, mark: Mark) -> Built:
    if not isinstance(raw, str):
        raise CompileProblem(mark, "operand", "matches takes a regular expression string")
    try:
        pattern = re.compile(raw)
    except re.error as exc:
        raise CompileProblem(mark, "regex", f"invalid regular expression: {exc}") from exc
    return _simple(_expr(lambda src, v: f"(isinstance({v}, str) and "
                                         f"{src.const(pattern.search, 'f')}({v}) is not None)"),
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

    def describe(v: Any, s: Any, r: Any) -> str:
        found = find(v) if isinstance(v, str) else None
        return f"contains {found!r} ({name})" if found else f"contains a term of {name}"

    return _simple(_expr(lambda src, v: f"(isinstance({v}, str) and "
                                         f"{src.const(find, 'f')}({v}) is not None)"),
                   describe, f"contains a term of {name}")


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

    return _simple(_call(check), f"HS code under {', '.join(str(c) for c in codes)}")


# operator: (Python comparison, word in explanations)
_COMPARE: dict[str, tuple[str, str]] = {
    "gt": (">", ">"), "gte": (">=", ">="), "lt": ("<", "<"), "lte": ("<=", "<="),
    "before": ("<", "before"), "after": (">", "after"),
    "on_or_before": ("<=", "on or before"), "on_or_after": (">=", "on or after"),
}


def _compare(op: str) -> Callable[[Any, FieldType, Context, Mark], Built]:
    symbol, word = _COMPARE[op]

    def build(raw: Any, ftype: FieldType, ctx: Context, mark: Mark) -> Built:
        operand = Operand(raw, ctx, mark)
        if operand.list is not None:
            raise CompileProblem(mark, "operand", f"{op} takes a value or a $field")
        if operand.is_ref:
            ref = operand

            def emit(src: Source, v: str, s: str, r: str) -> str:
                other = src.path(s if ref.relative else r, ref.path)
                return src.bind(other, lambda o: f"({v} is not None and {o} is not None "
                                                 f"and {v} {symbol} {o})")

            return _simple(emit, lambda v, s, r: f"{word} {ref} ({_jsonable(ref.value(s, r))})",
                           f"{word} {ref}")
        value = _coerce(raw, ftype, mark)
        return _simple(_expr(lambda src, v: f"({v} is not None and {v} {symbol} "
                                            f"{src.const(value)})"), f"{word} {raw}")

    return build


def _same_party(raw: Any, ftype: FieldType, ctx: Context, mark: Mark) -> Built:
    operand = Operand(raw, ctx, mark)
    if operand.list is not None:
        raise CompileProblem(mark, "operand", "same_party takes a $field or a name")

    def other(s: Any, r: Any) -> Any:
        return operand.value(s, r) if operand.is_ref else raw

    def check(v: Any, s: Any, r: Any) -> bool:
        o = other(s, r)
        return isinstance(v, str) and isinstance(o, str) and same_party(v, o)

    return _simple(_call(check), f"names the same party as {raw}")


# The loop each quantifier writes: (test on an item, result when it holds, result otherwise).
_LOOPS = {"any": ("{}", True, False), "all": ("not {}", False, True),
          "none": ("{}", False, True)}


def _quantifier(kind: str) -> Callable[[Any, FieldType, Context, Mark], Built]:
    def build(raw: Any, ftype: FieldType, ctx: Context, mark: Mark) -> Built:
        item = ftype.item or FieldType("any")
        if item.kind == "object":
            sub = _condition(raw, item, ctx, mark)

            def on_item(src: Source, it: str, s: str, r: str) -> str:
                return sub.emit(src, it, r)

            def explain_item(it: Any, s: Any, r: Any, path: str) -> list[Evidence]:
                return sub.explain(it, r, path + ".")
            text = sub.text
        else:
            if not isinstance(raw, dict) or not raw:
                raise CompileProblem(mark, "operand", f"'{kind}' takes operators for each item")
            ops = [_operator(op, val, item, ctx, key_mark(raw, op),
                             raw.value_marks[op] if isinstance(raw, Node) else mark)
                   for op, val in raw.items()]

            def on_item(src: Source, it: str, s: str, r: str) -> str:
                return _conj([o.emit(src, it, s, r) for o in ops])

            def explain_item(it: Any, s: Any, r: Any, path: str) -> list[Evidence]:
                return [e for o in ops for e in o.explain(it, s, r, path)]
            text = " and ".join(o.text for o in ops)

        test, when, otherwise = _LOOPS[kind]

        def emit(src: Source, v: str, s: str, r: str) -> str:
            loop = src.helper("v, s, r", [
                "if v:",
                "    for it in v:",
                f"        if {test.format(on_item(src, 'it', 's', 'r'))}:",
                f"            return {when}",
                f"return {otherwise}"])
            return f"{loop}({v}, {s}, {r})"

        holds = _lazy("it, s, r", lambda src: on_item(src, "it", "s", "r"))

        def item_path(it: Any, i: int, path: str) -> str:
            own = getattr(it, "path", None)
            return own if isinstance(own, str) else f"{path}[{i}]"

        def explain(v: Any, s: Any, r: Any, path: str) -> list[Evidence]:
            if kind == "none":
                return [construct(Evidence, path=path, value=None, why=f"no item where {text}")]
            return [e for i, it in enumerate(v or ()) if holds(it, s, r)
                    for e in explain_item(it, s, r, item_path(it, i, path))]

        return Built(emit, explain, f"{kind} item ({text})")

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

