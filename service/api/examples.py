"""Examples shown in the OpenAPI document (a test checks that they validate)."""

from __future__ import annotations

from typing import Any

_CITATION = {
    "source": "seed-004", "title": "", "publisher": "", "published": "",
    "quote": "transshipment through third-party nations", "span": [812, 853],
}

EXAMPLE_SCREENING: dict[str, Any] = {
    "id": "scr_01JD3X5Q7Z8K9M2N4P6R8T0V2W",
    "reference": "PO-2025-0193",
    "as_of": "2025-08-04",
    "ruleset": {"version": "sha256:4c1e0b7d9a", "rules": 58},
    "decision": "hold",
    "risk_score": 87,
    "findings": [{
        "rule_id": "transshipment.hub-transit", "red_flag": "TRX-HUB",
        "title": "Controlled mineral routed through a third-country trading hub",
        "category": "transshipment", "severity": "high",
        "message": "Gallium metal transits MY (Malaysia), a listed trading hub",
        "evidence": [{"path": "route.transit_countries[1]", "value": "MY",
                      "why": "in list transshipment_hubs"}],
        "citations": [_CITATION],
        "action": "Obtain the end-user certificate naming the final consignee.",
    }],
    "checklist": [{"id": "licence.dual-use", "title": "MOFCOM dual-use export licence",
                   "status": "provided", "detail": None, "citations": [_CITATION]}],
    "normalised": [],
    "created_at": "2025-08-04T09:30:12.345678Z",
    "review": {"status": "open", "history": []},
}
