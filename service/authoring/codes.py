"""The problem codes `assay rules check` reports, each with a one-line description.

Reports (SARIF rule descriptors, the rulebook) read this table; a code missing from it is
still reported, with a generic description.
"""

from __future__ import annotations

PROBLEM_CODES: dict[str, str] = {
    # reading YAML
    "read": "the file cannot be read (permissions, encoding)",
    "file-too-large": "the file is larger than the loader accepts",
    "yaml-syntax": "the file is not valid YAML",
    "yaml-alias": "YAML aliases and anchors are refused: they can expand without bound",
    "yaml-tag": "a YAML tag other than the plain safe types is refused",
    "yaml-value": "a scalar that cannot be read as its type (an impossible date, a bad tag)",
    "yaml-depth": "the YAML nests deeper than the loader accepts",
    "yaml-key": "a mapping key is not a scalar",
    "yaml-node": "an unsupported YAML node",
    "duplicate-key": "a mapping repeats a key",
    # shape of the files
    "rule-schema": "a rule pack does not match the rule schema (rules/schema.json)",
    "list-schema": "a list file does not match the list schema",
    "policy-schema": "policy.yaml does not match the policy schema",
    "checklist-schema": "checklist.yaml does not match the checklist schema",
    "policy": "policy.yaml is missing",
    "unknown-red-flag": "a red-flag code that is not in the shared vocabulary",
    "effective-range": "an effective range that is not a valid pair of dates, from <= until",
    "no-example": "a rule without a hit example or without a miss example",
    "duplicate-id": "two rules share an id",
    # meaning of conditions
    "condition": "a condition is not a non-empty mapping, or a combinator has no conditions",
    "unknown-field": "a condition or reference names a shipment field that does not exist",
    "unknown-operator": "an operator that is not in the operator table",
    "operator": "an operator is missing or given the wrong shape",
    "operator-type": "an operator applied to a field of a type it does not take",
    "operand": "an operator's operand is of the wrong kind",
    "regex": "an invalid regular expression",
    "unknown-list": "an @list that is not defined in rules/lists/",
    "unused-list": "a list that no rule, checklist item or reference table uses",
    "list-name": "a list file's name differs from the list it defines",
    "list-entry": "a list entry without its value or term",
    "list-field": "a list entry field that the list's kind or table does not have (a misspelt "
                  "key)",
    "list-except": "exceptions (`except`) on a list that is not a keywords list",
    "table": "a reference table list that cannot be read (at the bad entry's field where there "
             "is one)",
    "template": "a message template names a field that does not exist",
    # citations and examples
    "unknown-seed": "a citation names a seed that is not in seeds/index.yaml",
    "quote-not-found": "a cited quote does not occur in its seed",
    "seed-index": "seeds/index.yaml is missing or malformed",
    "seed-file": "a seed's text file is missing",
    "example-missing": "an example shipment file does not exist",
    "example-invalid": "an example is not valid JSON, its edit does not apply, or it is not "
                       "a valid shipment",
    # traceability (rules/traceability.yaml)
    "traceability-schema": "rules/traceability.yaml does not match its schema",
    "phrase-not-in-seed": "a traceability phrase does not occur in its seed",
    "untraced-phrase": "a traceability phrase that no rule's citation quotes",
}


def describe(code: str) -> str:
    return PROBLEM_CODES.get(code, f"problem {code}")
