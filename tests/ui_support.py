"""Helpers for the reviewer-page tests (``test_ui_*.py``): two organisations with keys and
screenings on a live server, and signing in through the form as a browser would.

Each call of ``make_world`` makes two new organisations with unique ids on the server's
database, so tests that share a server never see each other's screenings.
"""

from __future__ import annotations

import copy
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from service.models import EXAMPLE_SHIPMENT

from .api_support import LiveServer, make_keys

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
HOSTILE_NAME = '<script>alert("x")</script> Sunrise Logistics Sdn Bhd'


@dataclass
class Org:
    id: str
    submitter: str
    reviewer: str
    second_reviewer: str
    screenings: dict[str, str] = field(default_factory=dict)
    references: dict[str, str] = field(default_factory=dict)


@dataclass
class World:
    server: LiveServer
    a: Org
    b: Org


def _shipments(series: int) -> dict[str, dict[str, Any]]:
    base = copy.deepcopy(EXAMPLE_SHIPMENT)
    postal = copy.deepcopy(base)
    postal["transport_mode"] = "courier"
    hostile = copy.deepcopy(base)
    hostile["consignee"] = {**hostile["consignee"], "name": HOSTILE_NAME}
    hold = copy.deepcopy(base)
    hold["end_user"] = {"name": "Lockheed Martin Corporation", "country": "US",
                        "kind": "manufacturer"}
    hold["route"] = {**hold["route"], "destination_country": "US"}
    clear = copy.deepcopy(base)
    clear.update(
        consignee={"name": "Nordic Retail AB", "country": "SE", "kind": "trader"},
        end_user={"name": "Nordic Retail AB", "country": "SE", "kind": "trader"},
        goods=[{"description": "Cotton T-shirts", "hs_code": "6109.10", "quantity": 2000,
                "unit": "pcs", "value": {"amount": 8000, "currency": "USD"}}],
        route={"origin_country": "CN", "transit_countries": [], "destination_country": "SE"},
        documents=[{"type": "commercial_invoice", "number": "INV-1"}],
    )
    out = {"review": base, "hostile": hostile, "postal": postal, "hold": hold, "clear": clear}
    for number, body in enumerate(out.values(), start=1):
        body["reference"] = f"PO-2025-{series}{number:03d}"
    return out


def _org(server: LiveServer, prefix: str, series: int) -> Org:
    org_id = f"{prefix}-{uuid.uuid4().hex[:8]}"
    keys = make_keys(server.database_url, {"feed": (org_id, "submitter"),
                                           "Ada": (org_id, "reviewer"),
                                           "Grace": (org_id, "reviewer")})
    org = Org(org_id, keys["feed"], keys["Ada"], keys["Grace"])
    with server.client(org.submitter) as http:
        for name, body in _shipments(series).items():
            response = http.post("/v1/screenings", json=body)
            assert response.status_code == 201, response.text
            screening = response.json()
            expected = "clear" if name == "clear" else ("hold" if name == "hold" else "review")
            assert screening["decision"] == expected, (name, screening["decision"])
            org.screenings[name] = screening["id"]
            org.references[name] = screening["reference"]
    return org


def make_world(server: LiveServer) -> World:
    return World(server, _org(server, "northwind", 1), _org(server, "southgate", 2))


def page_client(server: LiveServer) -> httpx.Client:
    """A client like a browser: no API key header, redirects not followed."""
    return server.client(None, follow_redirects=False)


def csrf_token(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def sign_in(http: httpx.Client, key: str) -> httpx.Response:
    """Sign in through the form (GET for the token, POST the key); return the POST's answer."""
    page = http.get("/ui/sign-in")
    assert page.status_code == 200, page.text
    return http.post("/ui/sign-in", data={"api_key": key, "csrf_token": csrf_token(page.text),
                                          "next": "/ui/queue"})


def audit_types(server: LiveServer, key: str, screening_id: str) -> list[str]:
    """The screening's audit event types as its page lists them."""
    with page_client(server) as http:
        assert sign_in(http, key).status_code == 303
        page = http.get(f"/ui/screenings/{screening_id}")
        assert page.status_code == 200
        return re.findall(r"<strong>(screening\.[a-z]+)</strong>", page.text)
