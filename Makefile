# One command to set up and run the main job (`make demo`) and one for the tests (`make test`).
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup system-deps demo test lint bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: setup
	$(BIN)/kg demo

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

# Debian's Chromium for the real-browser tests (Playwright drives it; it never downloads a browser).
system-deps:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; }

test: setup system-deps lint
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python bench/bench_core.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
