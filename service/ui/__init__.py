"""Reviewer pages: server-rendered Jinja2 templates under ``/ui/``, no JavaScript build.

``router`` is included by the app factory; ``backend.Backend`` is all the pages need from the
rest of Assay (``adapter.make_backend`` builds it for a running app).
"""

from .pages import router

__all__ = ["router"]
