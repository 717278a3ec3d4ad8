"""Loading a ruleset: rule packs, named lists, policy, checklist and seeds, all or nothing.

`check_ruleset` collects every problem (for `assay rules check`); `load_ruleset` raises
`RulesetError` when there is any, so a server never serves a partial ruleset.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from ..errors import Problem, RulesetError
from ..models import ChecklistItem, Citation, RulesetRef
from ..reference.entries import EntryError
from ..reference.facts import Facts
from ..reference.tables import TABLE_FIELDS, TABLES, ReferenceTables
from .compiler import Compiled, Context, NamedList, compile_condition
from .fields import FieldType
from .plan import Plan, PlanBuilder
from .schema import ENTRY_FIELDS, ChecklistSpec, ListFile, Policy, RuleFile, RuleSpec
from .schema_errors import schema_problems
from .sources import Seed, load_seeds
from .templates import Render, compile_template
from .yaml_loader import Node, NodeList, YamlError, key_mark, load_yaml_file, locate

M = TypeVar("M", bound=BaseModel)
ROOT = FieldType("object", owner=Facts)
GENERATED = frozenset({"schema.json"})
NOT_PACKS = frozenset({"policy.yaml", "checklist.yaml", "traceability.yaml"})


@dataclass(frozen=True)
class CompiledRule:
    spec: RuleSpec
    condition: Compiled
    render: Render
    citations: tuple[Citation, ...]
    file: str
    line: int


@dataclass(frozen=True)
class ChecklistRule:
    spec: ChecklistSpec
    citations: tuple[Citation, ...]

    @cached_property
    def answers(self) -> dict[str, ChecklistItem]:
        """The three possible checklist entries, built once (they are immutable)."""
        return {status: ChecklistItem(id=self.spec.id, title=self.spec.title, status=status,
                                      detail=self.spec.detail, citations=list(self.citations))
                for status in ("provided", "missing", "not_applicable")}


@dataclass(frozen=True)
class Ruleset:
    version: str
    rules: tuple[CompiledRule, ...]
    plan: Plan
    checklist: tuple[ChecklistRule, ...]
    policy: Policy
    scope: Compiled
    lists: Mapping[str, ListFile]
    tables: ReferenceTables
    seeds: Mapping[str, Seed]
    rules_dir: Path

    @cached_property
    def ref(self) -> RulesetRef:
        return RulesetRef(version=self.version, rules=len(self.rules))

    def rule(self, rule_id: str) -> CompiledRule | None:
        return next((r for r in self.rules if r.spec.id == rule_id), None)


class PolicyFile(Policy):
    scope: dict[str, Any]


class ChecklistFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    checklist: list[ChecklistSpec]


def _validate(model: type[M], raw: Any, shown: str, code: str,
                            problems: list[Problem]) -> M | None:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems.extend(schema_problems(model, exc, raw, shown, code))
        return None


UNREADABLE: Any = object()  # what `_read` returns for a file it reported as unreadable


def _read(path: Path, shown: str, problems: list[Problem]) -> Any:
    try:
        return load_yaml_file(path, shown)
    except YamlError as exc:
        problems.append(exc.problem)
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(shown, 1, 1, "read", str(exc)))
    return UNREADABLE


def _mentions(node: Any) -> set[str]:
    """The `@list` names a condition mentions anywhere, compiled or not."""
    if isinstance(node, str):
        return {node[1:]} if node.startswith("@") else set()
    if isinstance(node, dict):
        return set().union(*(_mentions(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_mentions(v) for v in node))
    return set()


def shown_dir(rules_dir: Path) -> str:
    """The rules directory as problems show it: as given on the command line."""
    return str(rules_dir).rstrip("/") or "."


def ruleset_version(rules_dir: Path, seeds_dir: Path) -> str:
    """sha256 over the canonical content of rules/ (not generated files) and seeds/."""
    digest = hashlib.sha256()
    for base, tag in ((rules_dir, "rules"), (seeds_dir, "seeds")):
        for path in sorted(p for p in base.rglob("*") if p.is_file()):
            rel = path.relative_to(base).as_posix()
            if rel in GENERATED or "__pycache__" in rel:
                continue
            text = path.read_bytes().replace(b"\r\n", b"\n")
            digest.update(f"{tag}/{rel}\0{len(text)}\0".encode())
            digest.update(text)
    return "sha256:" + digest.hexdigest()


def _cite(specs: Any, raw: Any, seeds: Mapping[str, Seed], shown: str,
          problems: list[Problem], at: tuple[Any, ...]) -> tuple[Citation, ...]:
    out: list[Citation] = []
    for i, cite in enumerate(specs):
        seed = seeds.get(cite.source)
        if seed is None:
            line, col = locate(raw, (*at, i, "source"))
            problems.append(Problem(shown, line, col, "unknown-seed",
                                    f"no seed {cite.source!r} in seeds/index.yaml"))
            continue
        span = seed.find(cite.quote)
        if span is None:
            line, col = locate(raw, (*at, i, "quote"))
            near = seed.nearest(cite.quote)
            problems.append(Problem(shown, line, col, "quote-not-found",
                                    f"quote not found in {cite.source}; nearest passage: {near!r}"))
            continue
        out.append(seed.citation(cite.quote, span))
    return tuple(out)


def _lists(rules_dir: Path, shown_dir: str, problems: list[Problem],
           nodes: dict[str, Node] | None = None) -> dict[str, ListFile]:
    """The named lists; `nodes` receives each list's file as parsed (with its marks)."""
    lists: dict[str, ListFile] = {}
    for path in sorted((rules_dir / "lists").glob("*.yaml")):
        shown = f"{shown_dir}/lists/{path.name}"
        raw = _read(path, shown, problems)
        if raw is UNREADABLE:
            continue
        parsed = _validate(ListFile, raw, shown, "list-schema", problems)
        if parsed is None:
            continue
        if parsed.name != path.stem:
            line, col = locate(raw, ("list",))
            problems.append(Problem(shown, line, col, "list-name",
                                    f"list {parsed.name!r} must be in {parsed.name}.yaml"))
            continue
        if parsed.exceptions and parsed.kind != "keywords":
            line, col = locate(raw, ("except",))
            problems.append(Problem(shown, line, col, "list-except",
                                    "only a keywords list has exceptions"))
        field = {"values": "value", "keywords": "term"}.get(parsed.kind)
        known = ENTRY_FIELDS.get(parsed.kind) or TABLE_FIELDS.get(parsed.name)
        for i, entry in enumerate(parsed.entries):
            if field and not isinstance(entry.get(field), str | int):
                line, col = locate(raw, ("entries", i))
                problems.append(Problem(shown, line, col, "list-entry",
                                        f"a {parsed.kind} entry needs a '{field}'"))
            for key in entry:
                if known is not None and key not in known:
                    line, col = key_mark(raw["entries"][i], key)
                    problems.append(Problem(shown, line, col, "list-field",
                                            f"unknown field {key!r} in a {parsed.name} entry "
                                            f"(known: {', '.join(sorted(known))})"))
        lists[parsed.name] = parsed
        if nodes is not None:
            nodes[parsed.name] = raw
    return lists


def _named(lists: Mapping[str, ListFile]) -> dict[str, NamedList]:
    named: dict[str, NamedList] = {}
    for name, spec in lists.items():
        if spec.kind == "values":
            values = frozenset(str(e["value"]) for e in spec.entries if "value" in e)
            named[name] = NamedList(name, spec.kind, values, ())
        elif spec.kind == "keywords":
            terms = tuple(str(e["term"]) for e in spec.entries if "term" in e)
            named[name] = NamedList(name, spec.kind, frozenset(), terms,
                                    tuple(spec.exceptions))
    return named


def check_ruleset(rules_dir: Path, seeds_dir: Path) -> tuple[Ruleset | None, list[Problem]]:
    """Load everything and collect every problem; the ruleset is None when there is any."""
    loader = _Loader(rules_dir, seeds_dir)
    return loader.load(), loader.problems


class _Loader:
    """One pass over a rules directory, collecting problems as it goes."""

    def __init__(self, rules_dir: Path, seeds_dir: Path) -> None:
        self.rules_dir, self.seeds_dir = rules_dir, seeds_dir
        self.shown_dir = shown_dir(rules_dir)
        self.problems: list[Problem] = []
        self.used: set[str] = set()
        self.incomplete = False  # a file could not be read: list usage is not known
        self.seeds = load_seeds(seeds_dir, self.problems)
        self.list_nodes: dict[str, Node] = {}
        self.lists = _lists(rules_dir, self.shown_dir, self.problems, self.list_nodes)
        self.named = _named(self.lists)
        self.plan = PlanBuilder(ROOT)

    def shown(self, name: str) -> str:
        return f"{self.shown_dir}/{name}"

    def load(self) -> Ruleset | None:
        tables = self.tables()
        policy, scope = self.policy()
        checklist = self.checklist()
        rules = self.rules()
        for name, spec in self.lists.items():
            if self.incomplete:
                break
            if name not in self.used and not (spec.kind == "table" and name in TABLES):
                line, col = locate(self.list_nodes[name], ("list",))
                self.problems.append(Problem(self.shown(f"lists/{name}.yaml"), line, col,
                                             "unused-list",
                                             f"list {name!r} is not used by any rule"))
        if self.problems or policy is None or scope is None or tables is None:
            return None
        version = ruleset_version(self.rules_dir, self.seeds_dir)
        return Ruleset(version, tuple(rules), self.plan.build(), tuple(checklist), policy,
                       scope, self.lists, tables, self.seeds, self.rules_dir)

    def context(self, shown: str) -> Context:
        return Context(shown, self.named, ROOT)

    def finish(self, ctx: Context) -> None:
        self.problems.extend(ctx.problems)
        self.used |= ctx.used_lists

    def tables(self) -> ReferenceTables | None:
        try:
            return ReferenceTables.from_lists({n: s.entries for n, s in self.lists.items()})
        except EntryError as exc:
            table = exc.where.table
            path: tuple[int | str, ...] = ("entries", exc.where.index,
                                           *([exc.field] if exc.field else []))
            line, col = locate(self.list_nodes[table], path)  # its entries came from there
            self.problems.append(Problem(self.shown(f"lists/{table}.yaml"), line, col, "table",
                                         str(exc)))
            return None
        except ValueError as exc:
            table, _, message = str(exc).partition(": ")
            self.problems.append(Problem(self.shown(f"lists/{table}.yaml"), 1, 1, "table",
                                         message or str(exc)))
            return None

    def policy(self) -> tuple[PolicyFile | None, Compiled | None]:
        path, shown = self.rules_dir / "policy.yaml", self.shown("policy.yaml")
        if not path.is_file():
            self.problems.append(Problem(shown, 1, 1, "policy", "policy.yaml is missing"))
            return None, None
        raw = _read(path, shown, self.problems)
        if raw is UNREADABLE:
            return None, None
        policy = _validate(PolicyFile, raw, shown, "policy-schema", self.problems)
        if policy is None:
            return None, None
        ctx = self.context(shown)
        scope = compile_condition(raw["scope"], ROOT, ctx, raw.value_marks["scope"])
        self.finish(ctx)
        return policy, scope

    def checklist(self) -> list[ChecklistRule]:
        path, shown = self.rules_dir / "checklist.yaml", self.shown("checklist.yaml")
        if not path.is_file():
            return []
        raw = _read(path, shown, self.problems)
        if raw is UNREADABLE:
            self.incomplete = True
            return []
        parsed = _validate(ChecklistFile, raw, shown, "checklist-schema", self.problems)
        if parsed is None:
            return []
        ctx = self.context(shown)
        items = []
        for i, spec in enumerate(parsed.checklist):
            node = raw["checklist"][i]
            item = ChecklistRule(spec, _cite(spec.citations, raw, self.seeds, shown,
                                             self.problems, ("checklist", i, "citations")))
            self.plan.add_check(node["applies_when"], node["provided_when"], ctx,
                                item.answers)
            items.append(item)
        self.finish(ctx)
        return items

    def rules(self) -> list[CompiledRule]:
        rules: list[CompiledRule] = []
        seen: dict[str, str] = {}
        for path in sorted(self.rules_dir.glob("*.yaml")):
            if path.name in NOT_PACKS:
                continue
            shown = self.shown(path.name)
            raw = _read(path, shown, self.problems)
            if raw is UNREADABLE:
                self.incomplete = True  # which lists it uses is unknown
                continue
            pack = _pack(raw, shown, self.problems)
            if pack is None:
                continue
            ctx = self.context(shown)
            for i, spec in enumerate(pack):
                node: Node = raw["rules"][i]
                if isinstance(node, dict):
                    self.used |= _mentions(node.get("when"))
                if spec is None:
                    # Its schema problems are reported; still check its condition, so
                    # its problems are reported too and its lists do not look unused.
                    if isinstance(node, Node) and isinstance(node.get("when"), Node):
                        compile_condition(node["when"], ROOT, ctx)
                    continue
                where = f"{shown}:{node.mark[0]}:{node.mark[1]}"
                if spec.id in seen:
                    line, col = locate(raw, ("rules", i, "id"))
                    self.problems.append(Problem(
                        shown, line, col, "duplicate-id",
                        f"rule id {spec.id!r} already defined at {seen[spec.id]}"))
                seen.setdefault(spec.id, where)
                condition = self.plan.add(node["when"], ctx,
                                          (spec.effective.from_, spec.effective.until))
                render = compile_template(spec.message, ROOT)
                if isinstance(render, str):
                    ctx.problem(node.value_marks["message"], "template", render)
                citations = _cite(spec.citations, raw, self.seeds, shown, self.problems,
                                  ("rules", i, "citations"))
                _check_examples(spec, raw, ("rules", i, "examples"), path.parent, shown,
                                self.problems)
                if not isinstance(render, str):
                    rules.append(CompiledRule(spec, condition, render, citations, shown,
                                              node.mark[0]))
            self.finish(ctx)
        return rules


def _pack(raw: Any, shown: str, problems: list[Problem]) -> list[RuleSpec | None] | None:
    """A pack's rules, None for each rule that fails the schema (its problems recorded);
    None when the file itself is not a pack."""
    pack = _validate(RuleFile, raw, shown, "rule-schema", problems)
    if pack is not None:
        return list(pack.rules)
    if not (isinstance(raw, Node) and isinstance(raw.get("rules"), NodeList)):
        return None
    specs: list[RuleSpec | None] = []
    for item in raw["rules"]:
        try:
            specs.append(RuleSpec.model_validate(item))
        except ValidationError:
            specs.append(None)
    return specs


def _check_examples(spec: RuleSpec, raw: Any, at: tuple[Any, ...], base: Path, shown: str,
                    problems: list[Problem]) -> None:
    """Every example file exists, parses, takes its edits and is a valid shipment, so that
    `assay rules test` can run it."""
    from ..inputs import field_path
    from ..models import Shipment
    from .examples import apply_patch

    docs: dict[str, Any] = {}
    for kind in ("hit", "miss"):
        for j, example in enumerate(getattr(spec.examples, kind)):
            rel = example if isinstance(example, str) else example.extends
            loc = (*at, kind, j) if isinstance(example, str) else (*at, kind, j, "extends")
            line, col = locate(raw, loc)
            if not (base / rel).is_file():
                problems.append(Problem(shown, line, col, "example-missing",
                                        f"example file {rel} does not exist"))
                continue
            if rel not in docs:
                try:
                    docs[rel] = json.loads((base / rel).read_text("utf-8"))
                except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                    docs[rel] = exc
            doc = docs[rel]
            if isinstance(doc, Exception):
                problems.append(Problem(shown, line, col, "example-invalid",
                                        f"example file {rel} is not valid JSON: {doc}"))
                continue
            if not isinstance(example, str):
                try:
                    doc = apply_patch(doc, example)
                except (KeyError, IndexError, TypeError) as exc:
                    eline, ecol = locate(raw, (*at, kind, j))
                    problems.append(Problem(shown, eline, ecol, "example-invalid",
                                            f"the edit of {rel} does not apply: no {exc}"))
                    continue
            try:
                Shipment.model_validate(doc)
            except ValidationError as exc:
                err = exc.errors()[0]
                more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
                eline, ecol = locate(raw, (*at, kind, j))
                problems.append(Problem(
                    shown, eline, ecol, "example-invalid",
                    f"{kind} example {j + 1} is not a valid shipment: "
                    f"{field_path(tuple(err['loc']))}: {err['msg']}{more}"))


def load_ruleset(rules_dir: Path, seeds_dir: Path) -> Ruleset:
    """Load a ruleset or raise `RulesetError` with every problem."""
    ruleset, problems = check_ruleset(rules_dir, seeds_dir)
    if ruleset is None:
        raise RulesetError(problems)
    return ruleset


__all__ = ["ChecklistRule", "CompiledRule", "Ruleset", "check_ruleset", "load_ruleset",
           "ruleset_version"]
