# Banzu: `make run` starts the product with demo data; `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
export DJANGO_SETTINGS_MODULE := banzu.settings

.PHONY: run test lint format bench fuzz messages clean lock audit

$(PY):
	$(PYTHON) scripts/make_venv.py $(VENV)

$(VENV)/.base-installed: requirements/base.txt | $(PY)
	$(PIP) install --quiet --require-hashes -r requirements/base.txt
	touch $@

$(VENV)/.dev-installed: requirements/base.txt requirements/dev.txt | $(PY)
	$(PIP) install --quiet --require-hashes -r requirements/base.txt -r requirements/dev.txt
	touch $@ $(VENV)/.base-installed

$(VENV)/.bench-installed: requirements/bench.txt $(VENV)/.dev-installed
	$(PIP) install --quiet --require-hashes -r requirements/bench.txt
	touch $@

run: $(VENV)/.base-installed
	BANZU_DEMO=1 $(PY) manage.py serve

test: $(VENV)/.dev-installed
	BANZU_TESTING=1 $(PY) -m pytest -q -n 2 --dist loadgroup

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	BANZU_TESTING=1 $(PY) manage.py makemigrations --check --dry-run

format: $(VENV)/.dev-installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(VENV)/.bench-installed
	$(PY) -m bench

# The API fuzzer's long run: more examples per operation and role than the suite's quick pass, failures shrunk.
FUZZ_EXAMPLES ?= 60
fuzz: $(VENV)/.dev-installed
	BANZU_TESTING=1 BANZU_FUZZ=1 BANZU_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest -q -n 2 -p no:cacheprovider \
		banzu/core/tests/test_fuzz_api.py

audit: $(VENV)/.dev-installed
	$(VENV)/bin/pip-audit --strict --disable-pip --require-hashes --progress-spinner off \
		--vulnerability-service pypi -r requirements/base.txt

messages: $(VENV)/.dev-installed
	BANZU_TESTING=1 $(PY) manage.py makemessages -l zh_Hans --no-obsolete --ignore=.venv --ignore=var
	BANZU_TESTING=1 $(PY) manage.py compilemessages -l zh_Hans --ignore=.venv

clean:
	rm -rf $(VENV) var/*.sqlite3* var/static

PIP_COMPILE := $(VENV)/bin/pip-compile -q --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links
lock: $(VENV)/.dev-installed
	$(PIP) install --quiet pip-tools
	$(PIP_COMPILE) -o requirements/base.txt requirements/base.in
	$(PIP_COMPILE) -o requirements/dev.txt requirements/dev.in
	$(PIP_COMPILE) -o requirements/bench.txt requirements/bench.in
