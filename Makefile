# ctcgenomics: the two commands of the README.
#   make demo   set up everything, then run the workflow on the bundled example
#   make test   set up everything, then run the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CORES ?= 2
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: setup tools demo test lint clean

$(BIN)/ctcg: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "ctcgenomics needs Python >= 3.11 (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

tools:
	@bash scripts/ensure_tools.sh

setup: $(BIN)/ctcg tools

demo: setup
	$(BIN)/snakemake --cores $(CORES) --keep-going --printshellcmds
	@echo
	@echo "Done. Per-cell BAMs: results/bam/   QC table: results/qc/qc.tsv"
	@for f in results/*/report.html; do [ -f "$$f" ] && echo "Report: $(CURDIR)/$$f"; done; true

test: $(BIN)/ctcg
	@bash scripts/ensure_tools.sh --browser
	@# pytest exit 5 (no tests collected) counts as a failure
	$(BIN)/pytest -q; rc=$$?; [ $$rc -ne 5 ] || echo 'no tests were collected' >&2; [ $$rc -eq 0 ]

lint: $(BIN)/ctcg
	$(BIN)/ruff check ctcgenomics tests benchmarks
	$(BIN)/ruff format --check ctcgenomics tests benchmarks

clean:
	rm -rf results resources logs .snakemake
