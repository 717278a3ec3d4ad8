"""Each operator, hit and miss, compiled from YAML exactly as rule files are."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest

from service.engine.compiler import Compiled, Context, NamedList, compile_condition
from service.engine.fields import FieldType
from service.engine.yaml_loader import load_yaml


@dataclass
class Line:
    path: str
    description: str
    hs_code: str
    price: float | None
    floor: float | None


@dataclass
class Who:
    name: str
    country: str


@dataclass
class Root:
    mode: str
    ship_date: dt.date
    as_of: dt.date
    transit: list[str]
    lines: list[Line]
    consignee: Who
    end_user: Who | None
    note: str | None = None
    codes: list[str] = field(default_factory=list)


LISTS = {
    "hubs": NamedList("hubs", "values", frozenset({"HK", "MY", "SG"}), ()),
    "vague": NamedList("vague", "keywords", frozenset(), ("metal samples", "alloy scrap", "样品")),
}
ROOT_TYPE = FieldType("object", owner=Root)


def root(**changes: object) -> Root:
    base = Root(
        mode="sea", ship_date=dt.date(2025, 8, 4), as_of=dt.date(2025, 8, 4),
        transit=["KR", "MY"],
        lines=[Line("goods[0]", "Gallium metal 99.99%", "8112.92", 900.0, 200.0),
               Line("goods[1]", "Metal samples for testing", "8110.10", 5.0, 10.0)],
        consignee=Who("Sunrise Logistics Sdn Bhd", "MY"),
        end_user=Who("Vektor Halbleiter GmbH", "DE"),
        note="Mixed with ceramic tiles", codes=["8112.92"])
    for k, v in changes.items():
        setattr(base, k, v)
    return base


def compiled(text: str) -> Compiled:
    ctx = Context("t.yaml", LISTS, ROOT_TYPE)
    cond = compile_condition(load_yaml(text, "t.yaml"), ROOT_TYPE, ctx)
    assert not ctx.problems, [str(p) for p in ctx.problems]
    return cond


def holds(text: str, **changes: object) -> bool:
    facts = root(**changes)
    return compiled(text).test(facts, facts)


CASES = [
    # (condition, hit changes, miss changes)
    ("mode: sea", {}, {"mode": "air"}),
    ("mode: {equals: sea}", {}, {"mode": "post"}),
    ("mode: {in: [post, courier]}", {"mode": "courier"}, {}),
    ("transit: {any_in: '@hubs'}", {}, {"transit": ["KR", "JP"]}),
    ("transit: {all_in: '@hubs'}", {"transit": ["HK", "SG"]}, {}),
    ("transit: {any_in: [KR]}", {}, {"transit": []}),
    ("note: {present: true}", {}, {"note": None}),
    ("note: {missing: true}", {"note": ""}, {}),
    ("end_user: {missing: true}", {"end_user": None}, {}),
    ("note: {matches: '(?i)ceramic'}", {}, {"note": "steel drums"}),
    ("note: {contains_any: [ceramic tile]}", {}, {"note": "ceramics"}),
    ("lines: {any: {description: {contains_any: '@vague'}}}", {},
     {"lines": [Line("goods[0]", "Gallium", "8112.92", 1.0, 1.0)]}),
    ("lines: {any: {description: {contains_any: '@vague'}}}",
     {"lines": [Line("goods[0]", "金属样品", "8112.92", 1.0, 1.0)]},
     {"lines": [Line("goods[0]", "METALLIC SAMPLE", "8112.92", 1.0, 1.0)]}),
    ("lines: {any: {hs_code: {hs_prefix: '811292'}}}", {},
     {"lines": [Line("goods[0]", "x", "8110.10", 1.0, 1.0)]}),
    ("lines: {any: {hs_code: {hs_prefix: ['8112 92 10']}}}",
     {"lines": [Line("goods[0]", "x", "8112.92.10.10", 1.0, 1.0)]}, {}),
    ("lines: {all: {price: {gt: 1}}}", {}, {"lines": [Line("g", "x", "8112", 0.5, None)]}),
    ("lines: {none: {price: {gte: 1000}}}", {}, {"lines": [Line("g", "x", "8112", 1000.0, 1)]}),
    ("lines: {any: {price: {lt: $.floor}}}", {},
     {"lines": [Line("goods[0]", "x", "8112.92", 11.0, 10.0)]}),
    ("lines: {any: {price: {lte: 5}}}", {}, {"lines": [Line("g", "x", "8112", 6.0, None)]}),
    ("ship_date: {before: 2025-09-01}", {}, {"ship_date": dt.date(2025, 9, 1)}),
    ("ship_date: {on_or_after: $as_of}", {}, {"ship_date": dt.date(2025, 8, 3)}),
    ("ship_date: {after: 2025-08-03}", {}, {"ship_date": dt.date(2025, 8, 3)}),
    ("ship_date: {on_or_before: 2025-08-04}", {}, {"ship_date": dt.date(2025, 8, 5)}),
    ("consignee.country: {equals: $end_user.country}",
     {"consignee": Who("Vektor GmbH", "DE")}, {}),
    ("consignee.name: {same_party: $end_user.name}",
     {"consignee": Who("VEKTOR HALBLEITER GMBH.", "DE")}, {}),
    ("all: [{mode: sea}, {transit: {any_in: '@hubs'}}]", {}, {"mode": "air"}),
    ("any: [{mode: air}, {transit: {any_in: '@hubs'}}]", {}, {"transit": []}),
    ("not: {mode: air}", {}, {"mode": "air"}),
    ("lines: {any: {$mode: sea, price: {gt: 100}}}", {}, {"mode": "air"}),
    ("codes: {any: {hs_prefix: ['8112']}}", {}, {"codes": ["2825.60"]}),
]


@pytest.mark.parametrize(("condition", "hit", "miss"), CASES)
def test_operator_hit_and_miss(condition: str, hit: dict[str, object],
                               miss: dict[str, object]) -> None:
    assert holds(condition, **hit)
    assert not holds(condition, **miss)


def test_missing_values_never_satisfy_a_comparison() -> None:
    assert not holds("end_user.country: {equals: DE}", end_user=None)
    assert holds("not: {consignee.country: {equals: $end_user.country}}", end_user=None)


def test_evidence_points_into_the_shipment() -> None:
    facts = root()
    cond = compiled("transit: {any_in: '@hubs'}")
    evidence = cond.explain(facts, facts, "")
    assert [(e.path, e.value, e.why) for e in evidence] == [
        ("transit[1]", "MY", "in list hubs")]
    cond = compiled("lines: {any: {description: {contains_any: '@vague'}}}")
    (item,) = cond.explain(facts, facts, "")
    assert item.path == "goods[1].description"
    assert "metal samples" in item.why


@pytest.mark.parametrize(("text", "line", "col", "code"), [
    ("mode: {equal: sea}", 1, 8, "unknown-operator"),
    ("mdoe: sea", 1, 1, "unknown-field"),
    ("transit: {any_in: '@hub'}", 1, 19, "unknown-list"),
    ("note: {matches: '('}", 1, 17, "regex"),
    ("all:\n  - mode: sea\n  - mode: {gt: 3}", 3, 12, "operator-type"),
    ("ship_date: {before: not-a-date}", 1, 21, "operand"),
    ("lines: {any: {colour: red}}", 1, 15, "unknown-field"),
])
def test_compile_problems_are_located(text: str, line: int, col: int, code: str) -> None:
    ctx = Context("t.yaml", LISTS, ROOT_TYPE)
    cond = compile_condition(load_yaml(text, "t.yaml"), ROOT_TYPE, ctx)
    assert [(p.line, p.col, p.code) for p in ctx.problems] == [(line, col, code)]
    facts = root()
    assert cond.test(facts, facts) is False


def test_unknown_field_suggests_the_closest_name() -> None:
    ctx = Context("t.yaml", LISTS, ROOT_TYPE)
    compile_condition(load_yaml("mdoe: sea", "t.yaml"), ROOT_TYPE, ctx)
    assert "did you mean 'mode'" in ctx.problems[0].message


def test_not_is_explained_by_the_values_it_reads() -> None:
    """A condition that does not hold has no evidence of its own: `not` shows the field it
    read, with its value (not the root of the shipment)."""
    facts = root()
    scalar = compiled("{not: {consignee.country: {equals: $end_user.country}}}")
    assert scalar.test(facts, facts)
    [evidence] = scalar.explain(facts, facts, "")
    assert (evidence.path, evidence.value) == ("consignee.country", "MY")
    assert evidence.why.startswith("not (consignee.country equals $end_user.country")
