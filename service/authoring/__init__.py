"""The rule authors' toolchain behind `assay rules ...`: reports for CI (text, JSON, SARIF,
JUnit, GitHub annotations), the JSON Schema of rule files, the rulebook document, the
traceability map and the ruleset diff. It reads rulesets through the engine and never
changes how they load or evaluate."""

from .check import check_all, checked_files, run_check
from .reports import CHECK_FORMATS, TEST_FORMATS, CheckSummary, ExampleOutcome

__all__ = ["CHECK_FORMATS", "TEST_FORMATS", "CheckSummary", "ExampleOutcome", "check_all",
           "checked_files", "run_check"]
