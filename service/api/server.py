"""``assay serve``: uvicorn over the app factory, one process or N workers."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import uvicorn

from .app import create_app
from .metrics import MULTIPROC_ENV
from .settings import Settings


def _multiprocess_dir() -> str:
    """A fresh directory for prometheus-client's per-worker files (stale files removed)."""
    path = os.environ.get(MULTIPROC_ENV) or tempfile.mkdtemp(prefix="assay-metrics-")
    Path(path).mkdir(parents=True, exist_ok=True)
    for stale in Path(path).glob("*.db"):
        stale.unlink()
    return path


def serve(
    settings: Settings | None = None, *, host: str = "127.0.0.1", port: int = 8000,
    workers: int = 1, log_level: str = "info", access_log: bool = True,
) -> None:
    """Run the API until interrupted.

    With ``workers > 1`` every worker is a fresh process that builds its app from the
    environment: the settings are exported first, and ``PROMETHEUS_MULTIPROC_DIR`` is set (to a
    new temporary directory unless already set) before any worker imports prometheus-client,
    so ``/metrics`` sums all workers. Run ``assay db upgrade`` before serving.
    """
    settings = settings or Settings()
    if workers <= 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level,
                    access_log=access_log)
        return
    os.environ.update(settings.environment())
    os.environ[MULTIPROC_ENV] = _multiprocess_dir()
    uvicorn.run("service.api.app:app_from_env", factory=True, host=host, port=port,
                workers=workers, log_level=log_level, access_log=access_log)
