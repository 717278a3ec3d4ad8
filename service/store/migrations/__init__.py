"""Alembic migrations, shipped in the package so ``assay db upgrade`` works when installed."""
