# Developer shortcuts. CI runs .ci/run, which runs the README's test command.
PY ?= .venv/bin/python
.PHONY: install check lint test bench bench-rask sample-data snapshots t-tabell build clean

install:
	python3 -m venv .venv && .venv/bin/pip install -e ".[dev]"

check: lint test

lint:
	$(PY) -m ruff check src tests bench sample_data
	$(PY) -m ruff format --check src tests bench sample_data
	$(PY) -m mypy

test:
	$(PY) -m pytest

bench:  # issue 12's table, every line measured (long: builds the 9M-row data once); see bench/README.md
	PYTHONPATH=src $(PY) bench/tabell.py --json bench/_data/tabell.json

bench-rask:  # the same table at small sizes, one run per side: a few minutes
	PYTHONPATH=src $(PY) bench/tabell.py --rask

t-tabell:  # rewrite src/tallkit/data/t975.txt (t quantiles looked up, not computed, at run time)
	$(PY) -c "from tallkit import stats; stats.T975_TABLE.write_text(stats.t975_table_text(), encoding='ascii')"

snapshots:  # regenerate the golden Læringsspeil and kommune report files; read the diff before committing
	TALLKIT_OPPDATER_GULL=1 $(PY) -m pytest -q tests/test_golden.py

sample-data:
	$(PY) sample_data/generate.py

build:
	$(PY) -m pip wheel --no-deps -w dist .

clean:
	rm -rf dist build .pytest_cache .mypy_cache .ruff_cache
