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

# The README's main job: 100,000 TTP URL records from the bundled emulator to JSON Lines, with a
# progress bar on a terminal and a one-line summary. Repeatable: stale demo files are removed.
demo: $(STAMP)
	@mkdir -p demo
	@rm -f demo/ttp_url.jsonl demo/ttp_url.state.json
	$(VENV)/bin/mimecast-async pull ttp-url --emulator --emulator-records 100000 \
		--out demo/ttp_url.jsonl --checkpoint demo/ttp_url.state.json
	@printf 'lines in demo/ttp_url.jsonl: '; wc -l < demo/ttp_url.jsonl
	@printf 'first record: '; head -n 1 demo/ttp_url.jsonl | cut -c 1-160

BENCH_STAMP := $(VENV)/.bench-stamp

$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -c constraints-test.txt -e '.[test,bench]'
	@touch $(BENCH_STAMP)

# Benchmarks (not part of `make test`): writes benchmarks/RESULTS.md and benchmarks/throughput.png.
bench: $(BENCH_STAMP)
	$(PY) benchmarks/run.py

bench-quick: $(BENCH_STAMP)
	$(PY) benchmarks/run.py --quick

# Long reliability run, not in CI: 2,000 seeded fault plans (must lose and repeat nothing),
# 10,000 hypothesis examples against the envelope parser, CLI kill-and-resume at 100 kill points.
soak: $(STAMP)
	$(PY) benchmarks/soak.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis
