# The few commands a newcomer needs. Each creates .venv on first use.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench fuzz clean

# First run only: uv when it is installed (much faster), else pip; both print their progress.
$(STAMP): pyproject.toml
	@echo "Setting up $(VENV) and installing trialspec with its dependencies (first run only)..."
	@if command -v uv >/dev/null 2>&1; then \
		uv venv --allow-existing --python $(PY) $(VENV) && \
		uv pip install --python $(BIN)/python -e '.[dev]'; \
	else \
		$(PY) -m venv $(VENV) && \
		$(BIN)/pip install --upgrade --progress-bar on pip && \
		$(BIN)/pip install --progress-bar on -e '.[dev]'; \
	fi
	touch $(STAMP)

# The seed study has findings (that is the point of it: the paper's own errors, shown failing).
# --exit-zero lets the demo end well with them; a usage error (2) or a crash still fails it.
DEMO_JSON := demo-report.json
DEMO_HTML := demo-report.html
demo: $(STAMP)
	$(BIN)/trialspec lint protocols/*.yaml
	$(BIN)/trialspec check protocols/seed-rd-rrmm.yaml --data examples/seed/data \
		--json $(DEMO_JSON) --exit-zero
	$(BIN)/trialspec check protocols/seed-rd-rrmm.yaml --data examples/seed/data \
		--format html --output $(DEMO_HTML) --exit-zero
	$(BIN)/trialspec check protocols/t2dm-glucoflozin.yaml --data examples/t2dm-glucoflozin/data \
		--format html --output demo-report-t2dm.html --exit-zero
	@echo
	@echo "Demo done. The errors above are expected: they are the seed paper's own"
	@echo "contradictions and irreproducible numbers, found by trialspec (without --exit-zero,"
	@echo "check exits 1 on them, as CI needs). The whole report, machine-readable: $(DEMO_JSON);"
	@echo "to read, with figures (CONSORT flow, forest plots, swimmer plot): $(DEMO_HTML); the"
	@echo "diabetes example's (Kaplan-Meier curves with the number at risk): demo-report-t2dm.html"

# Two workers (pytest-xdist): the suite is CPU-bound and CI has two cores. Each worker starts
# its own local Spark session for the Spark tests. (xdist's loadgroup, which would keep them on
# one worker, does not group under pytest 9.2: xdist 3.8 renames a test by an attribute pytest
# no longer reads.)
test: $(STAMP)
	$(BIN)/pytest -q -n 2

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

# A longer fuzz run than the suite's seeded one: fresh random inputs, FUZZ_EXAMPLES per test
# (docs/reliability.md records what such runs found).
FUZZ_EXAMPLES ?= 3000
fuzz: $(STAMP)
	TRIALSPEC_FUZZ=$(FUZZ_EXAMPLES) $(BIN)/pytest -q -p no:cacheprovider tests/fuzz

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) build src/*.egg-info $(DEMO_JSON) $(DEMO_HTML) demo-report-t2dm.html
