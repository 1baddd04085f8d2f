# Two entry points: `make demo` and `make test`. Everything is installed into .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# `make test` (CI) installs the tools, scan and Ray (the Ray engine's tests run there);
# `make demo` installs the gate and `auditor[scan]` (the demo scans URL tables and shards).
STAMP  := $(VENV)/.installed-dev
DEMO_STAMP := $(VENV)/.installed-demo

.PHONY: demo test lint typecheck unit bench bench-scan fuzz clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,scan,ray]'
	touch $(STAMP)

$(DEMO_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[scan]'
	touch $(DEMO_STAMP)

demo: $(DEMO_STAMP)
	@bash examples/demo.sh $(BIN)/auditor

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest --cov --cov-report=term

test: lint typecheck unit

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_check.py
	$(BIN)/python benchmarks/bench_resolve.py
	$(BIN)/python benchmarks/bench_corpus.py
	$(BIN)/python benchmarks/score_dpi.py

# Long fuzz campaign over mutated real manifests of every format (FUZZ_CASES, FUZZ_SEED).
FUZZ_CASES ?= 100000
FUZZ_SEED  ?= 0
fuzz: $(STAMP)
	$(BIN)/python -m tests.fuzzing --cases $(FUZZ_CASES) --seed $(FUZZ_SEED) --keep out/fuzz

bench-scan: $(STAMP)
	$(BIN)/python benchmarks/bench_scan.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage build dist
