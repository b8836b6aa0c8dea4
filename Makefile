# One command to set up and run the main job (`make demo`) and one for the tests (`make test`).
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup setup-test system-deps bench-deps demo test lint bench docs clean

# The demo needs kg and its runtime dependencies only; the tests add pytest, Playwright, linters.
setup: $(VENV)/.installed

setup-test: $(VENV)/.installed-test

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: setup
	$(BIN)/kg demo

lint: setup-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Debian packages the tests drive for real: Chromium (Playwright uses it; it never downloads a
# browser), Virtuoso (the remote-store tests start one on loopback) and libseccomp (the query
# workers' network sandbox). Installed only if missing.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v virtuoso-t >/dev/null 2>&1 || missing="$$missing virtuoso-opensource"; \
	ls /usr/lib/*/libseccomp.so.2 /lib/*/libseccomp.so.2 >/dev/null 2>&1 || missing="$$missing libseccomp2"; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

# wrk drives the endpoint benchmark from a second process.
bench-deps:
	@command -v wrk >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }

test: setup-test system-deps lint
	$(BIN)/python -m pytest

bench: setup-test system-deps bench-deps
	$(BIN)/python bench/bench_core.py
	$(BIN)/python bench/bench_scale.py  # also runs bench_serve.py, starts its own Virtuoso

# The ontology's documentation page (pyLODE), regenerated after editing ontology/kg.ttl.
docs: setup
	$(BIN)/python -m kg.ontology_docs docs/ontology.html

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
