# Every target sets itself up on a fresh machine that has only Python 3.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: test lint typecheck pytest demo bench bench-quick soak clean

$(STAMP): pyproject.toml constraints-test.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints-test.txt -e '.[test]'
	@touch $(STAMP)

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy --strict mimecast_async
	$(VENV)/bin/pytest -q

BENCH_STAMP := $(VENV)/.bench-stamp

$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -c constraints-test.txt -e '.[test,bench]'
	@touch $(BENCH_STAMP)

# Benchmarks (not part of `make test`): writes benchmarks/RESULTS.md and benchmarks/throughput.png.
bench: $(BENCH_STAMP)
	$(PY) benchmarks/run.py

bench-quick: $(BENCH_STAMP)
	$(PY) benchmarks/run.py --quick

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis
