# Set-up and everyday commands. Needs only Python 3.11+ and make; the virtual
# environment is created on first use.
#   make crawl                 run `scrapy crawl cicero` into data/cicero/<start>.jsonl
#   make crawl SPIDER=cicero ARGS="-a mode=backfill -a since=2024-01-01"
#   make test                  the whole test suite (PYTEST_ARGS="-k dates" to narrow it)

PYTHON ?= python3
VENV ?= .venv
SPIDER ?= cicero
ARGS ?=
PYTEST_ARGS ?=

BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install crawl test lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

crawl: $(STAMP)
	$(BIN)/scrapy crawl $(SPIDER) $(ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/python -m pip install --quiet ruff
	$(BIN)/ruff check corpus spiders pipelines tests

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
