"""The JSON Schema of rule files (`rules/schema.json`), generated from the pydantic models.

One schema covers the files of a rules directory: rule packs, `policy.yaml`,
`checklist.yaml`, `traceability.yaml` and the lists in `lists/`; each file matches exactly
one branch. Conditions (`when`, `scope`, `applies_when`, `provided_when`) are described
from the compiler's operator table, and red-flag codes carry their meanings, so an
editor with a YAML language server completes operators and codes. The schema describes
shape only: `assay rules check` remains the judge (fields, lists, quotes, examples).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from ..engine.compiler import OPERATORS
from ..engine.ruleset import ChecklistFile, PolicyFile
from ..engine.schema import RED_FLAGS, ListFile, RuleFile
from .traceability import TraceabilityFile

FILE_MODELS: tuple[type[BaseModel], ...] = (RuleFile, PolicyFile, ChecklistFile,
                                             TraceabilityFile, ListFile)
CONDITION_FIELDS = {
    ("RuleSpec", "when"): "When the rule fires: a condition over the shipment's fields.",
    ("PolicyFile", "scope"): "Which shipments are screened at all (others get no findings).",
    ("ChecklistSpec", "applies_when"): "When the checklist item applies to a shipment.",
    ("ChecklistSpec", "provided_when"): "When the item counts as provided.",
}
FIELD_HELP = {
    ("RuleSpec", "id"): "Unique id, lower case: `<category>.<name>`.",
    ("RuleSpec", "title"): "One line an officer reads in the finding.",
    ("RuleSpec", "red_flag"): "The red-flag code the rule raises (DESIGN.md, fixed vocabulary).",
    ("RuleSpec", "severity"): "Points towards the risk score (policy.yaml severity_points).",
    ("RuleSpec", "effective"): "Days the rule applies, both inclusive; open ends allowed.",
    ("RuleSpec", "verified_as_of"): "When the regime behind the rule was last verified.",
    ("RuleSpec", "message"): "Finding message; `{field.path}` and `{list[0].field}` insert "
                             "shipment values.",
    ("RuleSpec", "action"): "What the officer should do about it.",
    ("RuleSpec", "citations"): "Seed passages the rule encodes; each quote must occur "
                               "verbatim in its seed.",
    ("RuleSpec", "references"): "Regulations the rule encodes, with where the fact was found.",
    ("RuleSpec", "examples"): "Shipments the rule must flag (hit) and must not flag (miss); "
                              "run by `assay rules test`.",
    ("CitationSpec", "quote"): "Verbatim from the seed (whitespace and typographic quotes "
                               "may differ).",
    ("ExamplePatch", "extends"): "A shipment JSON file, relative to the rules directory.",
    ("ExamplePatch", "set"): "Dotted paths (`route.transit_countries`, `goods[0].hs_code`) "
                             "and the values to put there.",
    ("ExamplePatch", "unset"): "Dotted paths to remove.",
    ("ExamplePatch", "as_of"): "Evaluate the example at this date instead of its ship date.",
}

_LIST_REF = {"type": "string", "pattern": "^@[a-z][a-z0-9_]*$",
             "description": "A named list from rules/lists/ (`@transshipment_hubs`)."}
_FIELD_REF = {"type": "string", "pattern": r"^\$\.?[A-Za-z_][A-Za-z0-9_.]*$",
              "description": "Another field: `$path` from the shipment root, `$.path` from "
                             "the current item."}
_SCALAR = {"type": ["string", "number", "boolean"]}
_TERMS = {"type": "array", "minItems": 1, "items": {"type": "string"}}
_MEMBERS = {"anyOf": [_LIST_REF, {"type": "array", "minItems": 1,
                                  "items": {"type": ["string", "number"]}}]}
_ITEMS = {"anyOf": [{"$ref": "#/definitions/Condition"}, {"$ref": "#/definitions/Operators"}],
          "description": "A condition on each item (objects) or operators (scalars)."}
_DATE = {"anyOf": [{"type": "string", "format": "date"}, _FIELD_REF]}
_NUMBER = {"anyOf": [{"type": "number"}, _FIELD_REF]}

OPERANDS: dict[str, tuple[dict[str, Any], str]] = {
    "equals": (_SCALAR, "The field equals this value (or `$field`)."),
    "in": (_MEMBERS, "The field is one of these values or in an @list."),
    "any_in": (_MEMBERS, "Some item of the list field is in these values or @list."),
    "all_in": (_MEMBERS, "Every item of the list field is in these values or @list."),
    "present": ({"type": "boolean"}, "true: the field has a value (a non-empty list)."),
    "missing": ({"type": "boolean"}, "true: the field has no value (or an empty list)."),
    "matches": ({"type": "string", "format": "regex"}, "The text matches this regular "
                                                       "expression (Python syntax)."),
    "contains_any": ({"anyOf": [_LIST_REF, _TERMS]}, "The text contains one of these terms "
                     "(case- and width-insensitive) or a term of an @list."),
    "hs_prefix": ({"anyOf": [_LIST_REF, {"type": "string"}, _TERMS]},
                  "The HS code starts with one of these codes."),
    "same_party": ({"type": "string"},
                   "The name may be the same party as `$field` (or this name): it matches "
                   "once read as company names are read, or shares no script with it."),
    "any": (_ITEMS, "Some item of the list satisfies the condition."),
    "all": (_ITEMS, "Every item of the list satisfies the condition."),
    "none": (_ITEMS, "No item of the list satisfies the condition."),
    "gt": (_NUMBER, "Greater than."),
    "gte": (_NUMBER, "Greater than or equal."),
    "lt": (_NUMBER, "Less than."),
    "lte": (_NUMBER, "Less than or equal."),
    "before": (_DATE, "A date before this day."),
    "after": (_DATE, "A date after this day."),
    "on_or_before": (_DATE, "A date on or before this day."),
    "on_or_after": (_DATE, "A date on or after this day."),
}


def _operators() -> dict[str, Any]:
    props: dict[str, Any] = {}
    for name, (kinds, _) in OPERATORS.items():
        operand, help_text = OPERANDS.get(name, ({}, ""))
        applies = ", ".join(sorted(kinds))
        props[name] = {**operand, "description": f"{help_text} Applies to: {applies}.".strip()}
    return {
        "description": "Operators applied to one field; all must hold.",
        "type": "object",
        "minProperties": 1,
        "additionalProperties": False,
        "properties": props,
    }


def _condition() -> dict[str, Any]:
    return {
        "description": "A mapping of field paths (`consignee.kind`, `$route.origin_country` "
                       "from the root inside a quantifier) to operators, all of which must "
                       "hold; `all`, `any` and `not` combine conditions. A plain value is "
                       "short for `{equals: value}`.",
        "type": "object",
        "minProperties": 1,
        "properties": {
            "all": {"description": "Every condition holds.", "type": "array", "minItems": 1,
                    "items": {"$ref": "#/definitions/Condition"}},
            "any": {"description": "At least one condition holds.", "type": "array",
                    "minItems": 1, "items": {"$ref": "#/definitions/Condition"}},
            "not": {"description": "The condition does not hold.",
                    "$ref": "#/definitions/Condition"},
        },
        "propertyNames": {"pattern": r"^\$?[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$"},
        "additionalProperties": {"anyOf": [_SCALAR, {"$ref": "#/definitions/Operators"}]},
    }


def build_schema() -> dict[str, Any]:
    """The schema document; deterministic, so a test can compare it with the file."""
    _, defs = models_json_schema([(m, "validation") for m in FILE_MODELS],
                                 ref_template="#/definitions/{model}")
    definitions: dict[str, Any] = dict(defs.get("$defs", {}))
    for (model, field), help_text in CONDITION_FIELDS.items():
        definitions[model]["properties"][field] = {"$ref": "#/definitions/Condition",
                                                   "description": help_text}
    for (model, field), help_text in FIELD_HELP.items():
        definitions[model]["properties"][field]["description"] = help_text
    red_flag = definitions["RuleSpec"]["properties"]["red_flag"]
    red_flag["enum"] = list(RED_FLAGS)
    red_flag["enumDescriptions"] = list(RED_FLAGS.values())
    red_flag["markdownEnumDescriptions"] = [f"`{c}`: {m}" for c, m in RED_FLAGS.items()]
    definitions["Condition"] = _condition()
    definitions["Operators"] = _operators()
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Assay rule files",
        "description": "Rule packs (rules/*.yaml), policy.yaml, checklist.yaml, "
                       "traceability.yaml and named lists (rules/lists/*.yaml). Generated by "
                       "`assay rules schema`; do not edit.",
        "anyOf": [{"$ref": f"#/definitions/{m.__name__}"} for m in FILE_MODELS],
        "definitions": dict(sorted(definitions.items())),
    }


def render_schema() -> str:
    return json.dumps(build_schema(), indent=2, ensure_ascii=False) + "\n"
