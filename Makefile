# The two commands of the README: `make demo` and `make test`. Each makes .venv when it is missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench checker clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test,distributed]"
	touch $(STAMP)

# Debian packages: installed when missing and allowed (root or passwordless sudo), else one warning line and go on.
SYSTEM := scripts/install-system-packages

# The main job on the shipped course, in a scratch folder it keeps and names (grader/demo.py); bubblewrap sandboxes it.
demo: $(STAMP)
	$(SYSTEM) bubblewrap
	OPENBLAS_NUM_THREADS=1 $(BIN)/grader demo

# One BLAS thread per process: the suite runs kernels and workers side by side on few cores, where
# OpenBLAS threads fighting over them made the depth tests 10x slower.
test: $(STAMP)
	$(SYSTEM) bubblewrap chromium
	$(MAKE) --no-print-directory lint
	OPENBLAS_NUM_THREADS=1 $(BIN)/python -m pytest

# Style (ruff), the layers of pyproject's [tool.importlinter] contracts, and declared dependencies (deptry).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/deptry .

# The students' `grader check` as a wheel of grader/ alone, without reference/ (docs/students.md).
checker: $(STAMP)
	$(BIN)/python -m grader.checker_wheel --dist dist

bench: $(STAMP)
	$(BIN)/python benchmarks/reference_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
