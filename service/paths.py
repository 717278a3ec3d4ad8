"""Where the bundled rules and seeds are, unless the environment says otherwise."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def default_rules_dir() -> Path:
    return Path(os.environ.get("ASSAY_RULES_DIR") or PROJECT / "rules")


def default_seeds_dir() -> Path:
    return Path(os.environ.get("ASSAY_SEEDS_DIR") or PROJECT / "seeds")
