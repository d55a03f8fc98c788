# The few commands a newcomer needs. Each creates .venv on first use.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The seed study has findings (that is the point of it): `check` exiting 1 is the expected
# outcome of the demo; a usage error (2) or a crash still fails it.
DEMO_JSON := demo-report.json
DEMO_HTML := demo-report.html
demo: $(STAMP)
	$(BIN)/trialspec lint protocols/*.yaml
	$(BIN)/trialspec check protocols/seed-rd-rrmm.yaml --data examples/seed/data \
		--json $(DEMO_JSON) || test $$? -eq 1
	$(BIN)/trialspec check protocols/seed-rd-rrmm.yaml --data examples/seed/data \
		--format html --output $(DEMO_HTML) || test $$? -eq 1
	$(BIN)/trialspec check protocols/t2dm-glucoflozin.yaml --data examples/t2dm-glucoflozin/data \
		--format html --output demo-report-t2dm.html || test $$? -eq 1
	@echo
	@echo "Demo done. The errors above are expected: they are the seed paper's own"
	@echo "contradictions and irreproducible numbers, found by trialspec (exit status 1 means"
	@echo "'findings'). The whole report, machine-readable: $(DEMO_JSON); to read, with"
	@echo "figures (CONSORT flow, forest plots, swimmer plot): $(DEMO_HTML), and the diabetes"
	@echo "example's (Kaplan-Meier curves with the number at risk): demo-report-t2dm.html"

test: $(STAMP)
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) build src/*.egg-info $(DEMO_JSON) $(DEMO_HTML) demo-report-t2dm.html
