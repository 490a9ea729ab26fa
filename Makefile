# Set-up and everyday commands. Needs only Python 3.11+ and make; the virtual
# environment is created on first use.
#   make crawl                 run `scrapy crawl cicero` into data/cicero/<start>.jsonl
#   make crawl SPIDER=cicero ARGS="-a mode=backfill -a since=2024-01-01"
#   make demo                  the whole path on the bundled sample site, offline, in a minute: a crawl, a count
#                              table, a search and a citation (into Elasticsearch too when `make es-up` ran)
#   make test                  the whole test suite (PYTEST_ARGS="-k dates" to narrow it); starts the
#                              local Elasticsearch node unless ELASTICSEARCH_URL points at one
#   make es-up / make es-down  start / stop (and wipe) the local Elasticsearch node (ES_PORT, default 9200)
#   make bench                 every benchmark, one after the other, into bench/results.md (under 10 min;
#                              BENCH_PAGES=2000 article pages for the crawl benchmark, BENCH_URLS=20000;
#                              the scripts alone default to 5000 and 100000)
#   make lint                  ruff and mypy (CI requires zero errors)
#   make audit                 pip-audit on the lock files ("NOT CHECKED", Error 3: no vulnerability service answered)
#   make lock                  resolve pyproject.toml again and rewrite requirements.lock and requirements-dev.lock

PYTHON ?= python3
VENV ?= .venv
SPIDER ?= cicero
ARGS ?=
PYTEST_ARGS ?=
BENCH_PAGES ?= 2000
BENCH_URLS ?= 20000
ES_PORT ?= 9200
export ES_PORT

BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install crawl demo test bench lint audit lock clean es-up es-down

# what CI audited: the locked versions, then the project itself without resolving anything
$(STAMP): pyproject.toml requirements.lock requirements-dev.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m pip check
	touch $(STAMP)

install: $(STAMP)

crawl: $(STAMP)
	$(BIN)/scrapy crawl $(SPIDER) $(ARGS)

demo: $(STAMP)
	$(BIN)/python -m corpus.demo

test: $(STAMP)
ifdef ELASTICSEARCH_URL
	$(BIN)/python -m pytest $(PYTEST_ARGS)
else
	tests/es-node/es.sh up
	ELASTICSEARCH_URL=http://127.0.0.1:$(ES_PORT) $(BIN)/python -m pytest $(PYTEST_ARGS)
endif

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -c requirements-dev.lock -e '.[bench]'
	$(BIN)/python bench/report.py --pages $(BENCH_PAGES) --urls $(BENCH_URLS)

es-up:
	tests/es-node/es.sh up

es-down:
	tests/es-node/es.sh down

lint: $(STAMP)
	$(BIN)/ruff check corpus spiders pipelines tests bench .ci
	$(BIN)/mypy

audit: $(STAMP)
	$(BIN)/python .ci/audit.py

lock:
	PYTHON=$(PYTHON) .ci/lock

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
