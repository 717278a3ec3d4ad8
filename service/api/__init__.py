"""The HTTP API (v1): app factory, routers, problem+json errors, settings, server.

Entry points:
- ``create_app(settings) -> FastAPI`` (``app_from_env()`` for ``uvicorn --factory``);
- ``write_openapi(path)`` for ``assay openapi``; ``openapi_document()`` for the drift test;
- ``serve(settings, host=, port=, workers=)`` for ``assay serve``.
"""

from .app import app_from_env, create_app, openapi_document, render_openapi, write_openapi
from .rulesets import ReloadResult, RulesetHolder
from .server import serve
from .settings import Settings

__all__ = [
    "ReloadResult", "RulesetHolder", "Settings", "app_from_env", "create_app",
    "openapi_document", "render_openapi", "serve", "write_openapi",
]
