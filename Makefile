# Two commands on a fresh machine: `make demo` and `make test`.
# Tools are bootstrapped into .tools/ (uv from PyPI); the project into .venv/ from uv.lock.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup demo test lint bench postgres chromium ckan clean

setup: $(VENV)/.synced node_modules/.installed

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet "uv>=0.5"

# Bytecode is compiled once here, as pip does on install: with PYTHONDONTWRITEBYTECODE
# set (as on this machine) every command would otherwise compile polars and the
# rest from source again, about half a second per command.
$(VENV)/.synced: pyproject.toml uv.lock | $(if $(filter .tools/bin/uv,$(UV)),.tools/bin/uv)
	$(UV) sync --frozen --compile-bytecode
	$(BIN)/python -m compileall -q kokai
	touch $@

# The site's front-end libraries (Leaflet; axe-core for the accessibility tests),
# exactly as pinned in package-lock.json; copied into _site/ by the site build.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || \
	  { echo "installing Node.js and npm (Debian packages)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }
	npm ci --no-audit --no-fund
	touch $@

# Publish the demo city (a second run says nothing changed), import a made-up
# access log labelled DEMO for the metrics, list freshness alerts, build the
# static site (only what changed), make two staff users (a random password kept
# in _data/, printed), then serve the API, the staff page and the site on 127.0.0.1:8000.
DEMO_PASSWORD := _data/demo-staff-password.txt
demo: setup
	$(BIN)/kokai publish
	$(BIN)/python datasets/_demo_access_log.py _data/demo-access-log.DEMO.log.gz
	$(BIN)/kokai metrics import-log --demo _data/demo-access-log.DEMO.log.gz
	$(BIN)/kokai metrics report
	$(BIN)/kokai status || true
	$(BIN)/kokai site build
	@test -s $(DEMO_PASSWORD) || $(BIN)/python -c "import secrets; print(secrets.token_urlsafe(12))" > $(DEMO_PASSWORD)
	@KOKAI_USER_PASSWORD="$$(cat $(DEMO_PASSWORD))" $(BIN)/kokai user add demo-bousai --org shiomi-city-bousai --password
	@KOKAI_USER_PASSWORD="$$(cat $(DEMO_PASSWORD))" $(BIN)/kokai user add demo-admin --sysadmin --password
	@echo "職員ページ: http://127.0.0.1:8000/staff/  利用者 demo-bousai（防災課の編集者）または demo-admin（管理者）、パスワード $$(cat $(DEMO_PASSWORD))"
	$(BIN)/kokai serve --host 127.0.0.1 --port 8000

# PostgreSQL server binaries for the catalog tests (the tests start a throwaway cluster).
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || \
	  { echo "installing PostgreSQL server (Debian package)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }

# Headless Chromium for the real-browser tests (Playwright drives Debian's build; it
# cannot download its own here), with a Japanese font so pages render as people see them.
chromium:
	@command -v chromium >/dev/null 2>&1 && dpkg -s fonts-ipafont-gothic >/dev/null 2>&1 || \
	  { echo "installing Chromium and IPA fonts (Debian packages)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-ipafont-gothic >/dev/null; }

# A real CKAN 2.12.0 for tests/remote_ckan, from PyPI into its own virtualenv (CKAN
# pins its own SQLAlchemy, Flask, ...); reinstalled only when its pins change.
# psycopg2 builds from source (gcc, libpq-dev); ckanext-harvest queues on Redis
# (redis-server): Debian packages.
CKAN_VENV := .tools/ckan-2.12.0
ckan: $(CKAN_VENV)/.installed

$(CKAN_VENV)/.installed: tests/remote_ckan/ckan_requirements.txt
	@command -v gcc >/dev/null 2>&1 && command -v pg_config >/dev/null 2>&1 && command -v redis-server >/dev/null 2>&1 || \
	  { echo "installing gcc, libpq-dev and redis-server (Debian packages)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc libpq-dev redis-server >/dev/null; }
	rm -rf $(CKAN_VENV)
	$(PYTHON) -m venv $(CKAN_VENV)
	$(CKAN_VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/remote_ckan/ckan_requirements.txt
	touch $@

lint: setup
	$(BIN)/ruff check kokai tests bench

test: setup postgres chromium ckan lint
	$(BIN)/pytest

bench: setup postgres chromium ckan
	$(BIN)/python bench/validate_table.py
	$(BIN)/python bench/gtfs_validate.py
	$(BIN)/python bench/api.py
	$(BIN)/python bench/publish.py
	$(BIN)/python bench/site_build.py
	$(BIN)/python bench/staff_upload.py
	$(BIN)/python bench/ckan_push.py

clean:
	rm -rf $(VENV) .tools _data _site _site.state .pytest_cache node_modules
