# The README's quick start is `make run` and `make test`; both set themselves up in .venv.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup run test lint unit bench openapi system-setup clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

# First run: migrate, then print an admin API key for the default organisation (once: the
# command does nothing when a key exists), then serve.
run: $(STAMP)
	$(BIN)/assay db upgrade
	$(BIN)/assay keys bootstrap
	$(BIN)/assay serve --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest

test: lint system-setup unit

# Browser tests drive Debian's Chromium through Playwright (Playwright's own browser
# download does not work here); the compose file is validated by Debian's docker-compose.
system-setup:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v docker-compose >/dev/null 2>&1 || missing="$$missing docker-compose"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

bench: $(STAMP)
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/api.py

openapi: $(STAMP)
	$(BIN)/assay openapi

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
