# Two commands: `make run` starts the platform, `make test` runs every test.
PYTHON ?= python3
UV := $(PYTHON) -m uv

.PHONY: install test-tools run test test-fast lint typecheck bench plans clean

install:
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	@$(UV) sync --frozen

# promtool and chromium, which pip cannot install: installed where possible (it says
# what), else their tests are skipped naming the command (a failure with CI=true).
test-tools:
	@bash scripts/test-tools.sh

run: install
	$(UV) run python -m ishc_platform.devrun

test: install test-tools
	$(UV) run pytest

test-fast: install test-tools
	$(UV) run pytest -m "not integration and not e2e"

lint: install
	$(UV) run ruff check .
	$(UV) run ruff format --check .

typecheck: install
	$(UV) run mypy libs services bench

plans: install  # the committed plans into the reporting database (ISHC_DATABASE_URL, else var/)
	$(UV) run ishc-reporting plans load services/reporting/plans/*.toml

bench: install
	$(UV) run python -m bench.national --quick

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
