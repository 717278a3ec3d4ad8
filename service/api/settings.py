"""Settings from the environment (pydantic-settings), passed to ``create_app`` and never global."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MiB = 1024 * 1024


class Settings(BaseSettings):
    """What the API needs to run. Environment names in parentheses.

    - ``database_url`` (``DATABASE_URL``): ``sqlite:///./var/assay.db`` by default;
      ``postgresql://user@host/db`` in production (the psycopg 3 driver is chosen for you).
    - ``rules_dir`` (``ASSAY_RULES_DIR``), ``seeds_dir`` (``ASSAY_SEEDS_DIR``): the ruleset.
    - ``auth_cache_seconds`` (``ASSAY_AUTH_CACHE_SECONDS``): how long a server remembers a good
      API key (a revoked key stops working within this time); 0 checks the database every time.
    - ``max_batch_items`` (``ASSAY_MAX_BATCH_ITEMS``): most shipments in one batch.
    - ``page_limit_default``, ``page_limit_max`` (``ASSAY_PAGE_LIMIT_DEFAULT``,
      ``ASSAY_PAGE_LIMIT_MAX``): page size of ``GET /v1/screenings`` without ``limit``, and the
      largest ``limit`` it takes (more is a 422).
    - ``reload_poll_seconds`` (``ASSAY_RELOAD_POLL_SECONDS``): how often a server process checks
      the database for a reload of the rules that another process did (then reloads its own);
      0 turns following off.
    """

    model_config = SettingsConfigDict(
        env_prefix="ASSAY_", extra="ignore", frozen=True, populate_by_name=True
    )

    database_url: str = Field(
        default="sqlite:///./var/assay.db",
        validation_alias=AliasChoices("DATABASE_URL", "ASSAY_DATABASE_URL", "database_url"),
    )
    rules_dir: Path = Path("rules")
    seeds_dir: Path = Path("seeds")
    max_body_bytes: int = Field(default=1 * MiB, ge=1024)
    max_batch_body_bytes: int = Field(default=16 * MiB, ge=1024)
    max_batch_items: int = Field(default=1000, ge=1, le=10_000)
    page_limit_default: int = Field(default=50, ge=1)
    page_limit_max: int = Field(default=200, ge=1)
    auth_cache_seconds: float = Field(default=10.0, ge=0, le=3600)
    reload_poll_seconds: float = Field(default=1.0, ge=0, le=60)

    def environment(self) -> dict[str, str]:
        """These settings as environment variables (for worker processes that re-read them)."""
        return {
            "DATABASE_URL": self.database_url,
            "ASSAY_RULES_DIR": str(self.rules_dir),
            "ASSAY_SEEDS_DIR": str(self.seeds_dir),
            "ASSAY_MAX_BODY_BYTES": str(self.max_body_bytes),
            "ASSAY_MAX_BATCH_BODY_BYTES": str(self.max_batch_body_bytes),
            "ASSAY_MAX_BATCH_ITEMS": str(self.max_batch_items),
            "ASSAY_PAGE_LIMIT_DEFAULT": str(self.page_limit_default),
            "ASSAY_PAGE_LIMIT_MAX": str(self.page_limit_max),
            "ASSAY_AUTH_CACHE_SECONDS": str(self.auth_cache_seconds),
            "ASSAY_RELOAD_POLL_SECONDS": str(self.reload_poll_seconds),
        }
