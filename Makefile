# Supportal: `make run` to try it, `make test` to check it. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
LOCALES := ko en ja zh_Hans

.PHONY: run test lint messages bench install browser mailserver wrk lighthouse clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/supportal migrate --no-input
	$(BIN)/supportal collectstatic --no-input --verbosity 0
	$(BIN)/supportal demo
	HOST=$(HOST) PORT=$(PORT) $(BIN)/supportal serve --demo-logins

# Browser tests drive Debian's Chromium; install it when it is missing and we may.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null; \
	  else echo "Browser tests need Chromium: sudo apt-get install chromium"; exit 1; fi; \
	fi

# The IMAP tests run a private Dovecot (Debian's dovecot-imapd); install it when it is missing.
mailserver:
	@if [ ! -x /usr/sbin/dovecot ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd) >/dev/null; \
	  else echo "Mail tests need Dovecot: sudo apt-get install dovecot-imapd"; exit 1; fi; \
	fi

# The page benchmark measures throughput with wrk (Debian's package).
wrk:
	@if ! command -v wrk >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk) >/dev/null; \
	  else echo "The page benchmark needs wrk: sudo apt-get install wrk"; exit 1; fi; \
	fi

# Lighthouse from npm, pinned, in var/lighthouse/ (12.8 runs on Node 20; 13 needs Node 22).
LIGHTHOUSE_VERSION := 12.8.2

var/lighthouse/node_modules/.bin/lighthouse:
	@command -v npm >/dev/null || { echo "Lighthouse needs Node.js 20 and npm"; exit 1; }
	npm install --prefix var/lighthouse --no-audit --no-fund --save-exact lighthouse@$(LIGHTHOUSE_VERSION)

# Lighthouse on every page type, one page at a time: run it on a quiet machine.
lighthouse: install browser var/lighthouse/node_modules/.bin/lighthouse
	$(BIN)/python -m supportal.bench.lighthouse $(LIGHTHOUSE_ARGS)

# Three processes on two cores: the suite mostly waits on browsers, servers and subprocesses (with
# three it still kept about one core of two busy on average). Time-bound tests count CPU time.
PYTEST_WORKERS ?= 3
test: install browser mailserver
	$(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/supportal makemigrations --check --dry-run
	$(BIN)/python -m supportal.lib.catalogues --check
	$(BIN)/python -m supportal.lib.glossary --check

messages: install
	$(BIN)/supportal makemessages --no-obsolete --add-location file \
	  --ignore '.venv/*' --ignore 'var/*' --ignore '*/tests/*' --ignore 'docs/*' \
	  $(addprefix -l ,$(LOCALES))
	$(BIN)/python -m supportal.lib.catalogues --compile

bench: install wrk
	$(BIN)/python -m supportal.bench.pages
	$(BIN)/python -m supportal.bench.search
	$(BIN)/python -m supportal.bench.tickets --reuse
	$(BIN)/python -m supportal.bench.mail
	$(BIN)/python -m supportal.bench.sla --reuse
	$(BIN)/python -m supportal.bench.rules --database sqlite
	$(BIN)/python -m supportal.bench.rules --database postgres
	$(BIN)/python -m supportal.bench.chat --database sqlite
	$(BIN)/python -m supportal.bench.chat --database postgres --chat-processes 2

clean:
	rm -rf $(VENV) var/static
