# Assay API image: `docker compose up` runs it against PostgreSQL (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY service ./service
RUN pip install .

# The ruleset is data, versioned with the code; ASSAY_RULES_DIR/ASSAY_SEEDS_DIR point at it.
COPY rules ./rules
COPY seeds ./seeds
COPY examples ./examples

RUN useradd --system --uid 10001 --home-dir /app assay \
    && mkdir -p /app/var \
    && chown assay /app/var
USER assay

ENV ASSAY_RULES_DIR=/app/rules \
    ASSAY_SEEDS_DIR=/app/seeds \
    DATABASE_URL=sqlite:////app/var/assay.db \
    ASSAY_WORKERS=2

EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=3)"]

# Migrate, then serve; `exec` so that the server gets the signals.
CMD ["sh", "-c", "assay db upgrade && assay keys bootstrap && exec assay serve --host 0.0.0.0 --port 8000 --workers ${ASSAY_WORKERS}"]
