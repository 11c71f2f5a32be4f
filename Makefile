# Two entry points: `make dev` runs the whole stack, `make test` runs every check.
# Both create the virtualenv at .venv on first use; only Python 3.11+ is needed.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed-stamp

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $(STAMP)

.PHONY: install dev test lint browser
install: $(STAMP)

dev: $(STAMP)
	$(VENV)/bin/recoveryos dev $(ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

# pytest includes the schemathesis run over /openapi.json (tests/security/test_schemathesis.py).
# The signing-page tests drive Debian's Chromium; install it when missing (root + apt), else
# those tests are skipped and say why.
browser:
	@[ -x /usr/bin/chromium ] || (command -v apt-get >/dev/null && \
		(apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || \
		echo "chromium not installed: browser tests will be skipped")

# Two processes, each with its own PostgreSQL and Temporal, take whole test files (their
# module-scoped stacks and orgs stay in one process).
test: lint browser
	$(VENV)/bin/pytest -q -n 2 --dist loadfile
