"""The rule engine: load and compile a ruleset once, evaluate shipments purely."""

from ..errors import Problem, RulesetError
from .evaluate import checklist_for, evaluate
from .ruleset import CompiledRule, Ruleset, check_ruleset, load_ruleset, ruleset_version

__all__ = ["CompiledRule", "Problem", "Ruleset", "RulesetError", "check_ruleset",
           "checklist_for", "evaluate", "load_ruleset", "ruleset_version"]
