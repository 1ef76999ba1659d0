# ctcgenomics: the two commands of the README.
#   make demo   set up everything, then run the workflow on the bundled example
#   make test   set up everything, then run the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CORES ?= 2
TEST_WORKERS ?= 2
export PATH := $(CURDIR)/$(BIN):$(PATH)

# Other Python versions for `make test-compat` (CI runs it after `make test`): the
# interpreter pyenv has for each, else pythonX.Y on PATH.
COMPAT_VERSIONS ?= 3.12

.PHONY: setup tools demo test test-compat lint clean

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
	@bash scripts/ensure_tools.sh --browser --slurm
	@# pytest exit 5 (no tests collected) counts as a failure
	@# two workers: the SLURM and workflow tests spend much of their time waiting on jobs;
	@# tests sharing an expensive fixture stay in one worker (tests/conftest.py)
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadgroup --durations=15; rc=$$?; \
	  [ $$rc -ne 5 ] || echo 'no tests were collected' >&2; [ $$rc -eq 0 ]

# The fast part of the suite (no slow or browser tests) on each of COMPAT_VERSIONS, each in
# its own virtual environment (.venv-pyX.Y), so dependency releases for those Pythons are
# tested too. A version with no interpreter on this machine is an error.
test-compat: tools
	@set -e; for v in $(COMPAT_VERSIONS); do \
	  py=$$(ls -d $$HOME/.pyenv/versions/$$v.*/bin/python$$v 2>/dev/null | tail -n 1); \
	  [ -n "$$py" ] || py=$$(command -v python$$v || true); \
	  if [ -z "$$py" ]; then echo "no Python $$v interpreter found (set COMPAT_VERSIONS)" >&2; exit 1; fi; \
	  venv=.venv-py$$v; \
	  if [ ! -x $$venv/bin/ctcg ] || [ pyproject.toml -nt $$venv/bin/ctcg ]; then \
	    "$$py" -m venv $$venv && $$venv/bin/pip install --quiet --upgrade pip \
	      && $$venv/bin/pip install --quiet -e '.[test]' && touch $$venv/bin/ctcg; fi; \
	  echo "== Python $$v: $$($$venv/bin/python --version)"; \
	  PATH="$(CURDIR)/$$venv/bin:$$PATH" $$venv/bin/pytest -q -m "not slow and not browser" -p no:cacheprovider \
	    -n $(TEST_WORKERS) --dist loadgroup; \
	done

lint: $(BIN)/ctcg
	$(BIN)/ruff check ctcgenomics tests benchmarks docs/tutorial.py
	$(BIN)/ruff format --check ctcgenomics tests benchmarks docs/tutorial.py

clean:
	rm -rf results resources logs .snakemake
