"""Request parts the screening POSTs read by hand, and how the OpenAPI document shows them.

FastAPI resolves a route's declared parameters on every request through its dependency
machinery, and parses a JSON body with Python's `json` before validating it; on the routes
that screen shipments that costs more than the screening itself. Those routes take the
`Request` and read their parts here: the body with pydantic's own JSON parser, each header or
query parameter with one `TypeAdapter`. A bad part is the 422 FastAPI would answer (the same
`loc`, every bad part at once). Each part is declared once, as a `Part` or a body model, and
that declaration both reads it and documents it (`documented`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.json_schema import models_json_schema

M = TypeVar("M", bound=BaseModel)
# Body models of hand-read routes: `add_components` puts their schemas in the document.
BODY_MODELS: dict[str, type[BaseModel]] = {}
REF = "#/components/schemas/{model}"


@dataclass(frozen=True)
class Part:
    """An optional header or query parameter: its name as sent, its type, its description."""

    name: str
    where: Literal["header", "query"]
    annotation: Any
    description: str
    adapter: TypeAdapter[Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "adapter", TypeAdapter(self.annotation))

    def read(self, request: Request, errors: list[dict[str, Any]]) -> Any:
        """The validated value, or None when absent; a bad value is added to `errors`."""
        given = request.headers if self.where == "header" else request.query_params
        raw = given.get(self.name)
        if raw is None:
            return None
        try:
            return self.adapter.validate_python(raw)
        except ValidationError as exc:
            errors.extend({**e, "loc": (self.where, self.name, *e["loc"])}
                          for e in exc.errors(include_url=False))
            return None

    def parameter(self) -> dict[str, Any]:
        """The OpenAPI parameter object, as FastAPI writes one for ``T | None = None``."""
        schema = {"anyOf": [self.adapter.json_schema(), {"type": "null"}],
                  "description": self.description, "title": self.name.replace("_", " ").title()}
        return {"name": self.name, "in": self.where, "required": False, "schema": schema,
                "description": self.description}


async def read_request(request: Request, body: type[M], *parts: Part) -> tuple[M, list[Any]]:
    """The body as `body` and the value of each part, or one 422 naming every bad one."""
    errors: list[dict[str, Any]] = []
    values = [part.read(request, errors) for part in parts]
    raw = await request.body()
    model: M | None = None
    if not raw:
        errors.append({"type": "missing", "loc": ("body",), "msg": "Field required",
                       "input": None})
    else:
        try:
            model = body.model_validate_json(raw)
        except ValidationError as exc:
            errors.extend({**e, "loc": ("body", *e["loc"])}
                          for e in exc.errors(include_url=False))
    if errors or model is None:
        raise RequestValidationError(errors)
    return model, values


def documented(body: type[BaseModel], *parts: Part) -> dict[str, Any]:
    """The route's ``openapi_extra``: its parameters and its JSON body."""
    BODY_MODELS[body.__name__] = body
    return {
        "parameters": [part.parameter() for part in parts],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"$ref": REF.format(model=body.__name__)}}}},
    }


def add_components(schema: dict[str, Any]) -> None:
    """Put the schemas of the hand-read bodies (and the models they use) in the document's
    components, beside those FastAPI collected from declared parameters."""
    if not BODY_MODELS:
        return
    _, definitions = models_json_schema(
        [(model, "validation") for model in BODY_MODELS.values()], ref_template=REF)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name, definition in definitions.get("$defs", {}).items():
        components.setdefault(name, definition)
