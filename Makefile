# Leadflow: `make run` starts everything, `make test` runs every test. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MEMBERS := libs/common services/capture services/scoring services/routing services/console services/webhooks
PROJECT_FILES := pyproject.toml requirements.lock $(foreach m,$(MEMBERS),$(m)/pyproject.toml)

.PHONY: run test bytecode docs unit integration lint compose-check browser tail eval-scoring bench chaos chaos-short venv clean lock

venv: $(STAMP)

# uv (pinned by the lock file, installed by pip) installs the same pins as pip would, in 25 s
# instead of 80. --compile-bytecode as pip does: with PYTHONDONTWRITEBYTECODE set (these
# machines set it) nothing is compiled later, and every process the tests start took twice the
# CPU to import (a clean-clone run: 13 failures, 18 min 38 s instead of 12 min 41 s).
$(STAMP): $(PROJECT_FILES)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c requirements.lock uv
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -c requirements.lock \
		$(foreach m,$(MEMBERS),-e $(m)) -e '.[dev]'
	touch $@

# Our own packages are installed editable, so nothing compiles them either: each process the
# tests and `make run` start compiled every module of its service again (0.2 s of a service's
# 1.5 s start-up CPU here). compileall rewrites only what changed since.
bytecode: venv
	@$(BIN)/python -m compileall -q -j 0 libs/common/leadflow_common $(foreach m,$(filter services/%,$(MEMBERS)),$(m)/leadflow_$(notdir $(m))) cli/leadflow_cli

# The services' JSON logs go to .data/logs/; `make run LOGS=1` prints them in the terminal instead.
run: venv bytecode
	$(BIN)/leadflow run $(if $(LOGS),--logs)

tail: venv
	$(BIN)/leadflow tail $(or $(TOPIC),leads.routed) --from-beginning

# Most tests wait on processes, the broker and the database rather than compute: six workers
# (each with its own broker and template database; every test has its own topics and database)
# share the two cores (four took 14 min 11 s here, six 12 min 6 s). The fault-injection run
# (its own broker and PostgreSQL) and the tests marked `long` start first (tests/conftest.py),
# so no worker ends the run alone with one of them. Packing the work tighter (a file or a test
# at a time) ended sooner (10 min 40 s, 10 min 54 s) but with 7–9 failures under load (PostgreSQL
# out of connections, pages past their timeouts). The tests marked `timed` (how soon a screen
# follows) run after, one at a time: on two workers the other worker's system starting (five
# interpreters) and its browser kept the load at 4-7 on two cores (an offer reached an inbox in
# 2.51 s, not 2, on the CI machine), while alone they take about 160-200 s instead of 140.
# Both runs always run; either failing fails.
test: venv bytecode lint compose-check browser docs
	@$(BIN)/pytest -q -n 6 --durations=15 -m "not timed"; rest=$$?; \
		$(BIN)/pytest -q -n 0 --durations=5 -m timed; timed=$$?; \
		test $$rest -eq 0 && test $$timed -eq 0

# The X Education leads through a system of its own; prints AUC and conversion per band.
eval-scoring: venv bytecode
	$(BIN)/leadflow eval-scoring

# Throughput, latency and memory on this machine (a benchmark, not a test): reports/bench.*;
# then the console's pages with 100,000 leads in its read model: reports/bench-console.json
bench: venv bytecode
	$(BIN)/leadflow bench
	$(BIN)/python -m leadflow_cli.bench_console

# Faults injected while 10,000 leads are posted; chaos-short is the 3,000-lead test.
chaos: venv bytecode
	$(BIN)/leadflow chaos --leads 10000

chaos-short: venv bytecode
	$(BIN)/pytest -q -m chaos

# The documentation (docs/, mkdocs.yml) into site/; --strict: a broken link or anchor, or a page
# missing from the navigation, fails it.
docs: venv
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

unit: venv
	$(BIN)/pytest -q -m "not integration and not e2e"

integration: venv bytecode
	$(BIN)/pytest -q -m "integration or e2e"

# ruff; mypy (tools/mypy_baseline.py keeps its per-module baseline); import-linter's contracts
# (pyproject.toml: layers, a pure domain, independent services); modules ≤ 300 lines, functions ≤ 60.
LINT_PATH := $(subst $(eval) ,:,$(wildcard libs/common services/* cli))
lint: venv
	$(BIN)/ruff check .
	$(BIN)/mypy libs/common/leadflow_common services cli/leadflow_cli tools
	PYTHONPATH=$(LINT_PATH) $(BIN)/lint-imports --no-cache
	$(BIN)/python tools/check_sizes.py

# Validates docker-compose.yml offline; installs Debian's docker-compose when missing and allowed.
compose-check:
	@command -v docker-compose >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing docker-compose (Debian package) for the offline compose check"; \
			apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null; \
		fi; }
	@if command -v docker-compose >/dev/null 2>&1; then \
		LEADFLOW_API_KEY=compose-check POSTGRES_PASSWORD=compose-check \
		LEADFLOW_ADMIN_EMAIL=admin@example.com LEADFLOW_ADMIN_PASSWORD=compose-check docker-compose -f docker-compose.yml config -q && echo "docker-compose.yml: valid"; \
	else echo "SKIPPED: docker-compose is not installed and cannot be installed here (not root)"; fi

# The console's browser tests drive Debian's chromium with Playwright (which cannot download its
# own browsers here): installed when missing and allowed; otherwise those tests skip, saying why.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing chromium (Debian package) for the console's browser tests"; \
			{ apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1; } \
				|| echo "SKIPPED: chromium could not be installed: the browser tests skip"; \
		else echo "SKIPPED: chromium is not installed and cannot be installed here (not root): the browser tests skip"; fi; }

# Re-pins every package (run after changing a pyproject.toml's dependencies).
lock:
	rm -rf /tmp/leadflow-lock && $(PYTHON) -m venv /tmp/leadflow-lock
	/tmp/leadflow-lock/bin/pip install --quiet $(foreach m,$(MEMBERS),-e $(m)) -e '.[dev]'
	/tmp/leadflow-lock/bin/pip freeze --exclude-editable | grep -v '^-e' > requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
