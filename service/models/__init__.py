"""The pydantic contract: Shipment in, Screening out."""

from .screening import (
    ChecklistItem,
    Citation,
    Decision,
    Evidence,
    Finding,
    Normalisation,
    Review,
    RulesetRef,
    Screening,
    Severity,
)
from .shipment import EXAMPLE_SHIPMENT, MASS_UNITS, Document, Good, Money, Party, Route, Shipment

__all__ = [
    "EXAMPLE_SHIPMENT", "MASS_UNITS", "ChecklistItem", "Citation", "Decision", "Document",
    "Evidence", "Finding", "Good", "Money", "Normalisation", "Party", "Review", "Route",
    "RulesetRef", "Screening", "Severity", "Shipment",
]
