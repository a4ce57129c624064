# The two commands of the quick start: `make digest` and `make test`. Everything else is in tasks.py.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: digest test venv clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

digest: $(STAMP)
	$(BIN)/invoke fetch build
	@echo
	@echo "The digest is in output/. Preview it with:  $(BIN)/invoke serve   (http://localhost:8000)"

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

clean:
	rm -rf output .digest-cache .pytest_cache .ruff_cache
