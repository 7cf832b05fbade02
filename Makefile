# make run   – the dashboard on the built-in demo portfolio, http://127.0.0.1:8501
# make test  – every test, including the real-browser ones (installs Debian's chromium)
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
PORT ?= 8501
CHROMIUM ?= /usr/bin/chromium
APT_PACKAGES := chromium fonts-liberation fonts-dejavu-core fonts-noto-core poppler-utils postgresql

.PHONY: run test lint demo chromium bench clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

demo: $(VENV)/.installed
	$(PY) -m portfolio demo --if-missing

run: demo
	$(PY) -m portfolio.delivery.serve dashboard.py --server.port $(PORT)

# The browser tests need Debian's chromium (Playwright cannot download its own here); the
# decision-log tests start a PostgreSQL server from Debian's postgresql package.
chromium:
	@if [ ! -x $(CHROMIUM) ] || [ ! -x /usr/bin/pdftotext ] || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $(APT_PACKAGES); \
	  elif command -v sudo >/dev/null; then sudo apt-get update -qq && sudo apt-get install -y -qq $(APT_PACKAGES); \
	  else echo "Install Debian's chromium first: apt-get install $(APT_PACKAGES)" >&2; exit 1; fi; \
	fi

test: $(VENV)/.installed chromium
	$(PY) -m pytest -q

lint: $(VENV)/.installed
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports

bench: $(VENV)/.installed chromium
	$(PY) bench/bench_demo.py
	$(PY) bench/bench_import.py
	$(PY) bench/bench_pages.py
	$(PY) bench/bench_browser_cpu.py
	$(PY) bench/bench_export.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
