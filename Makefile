# One command per job. Each sets up what it needs (a venv in .venv, the package, the data) and reuses what is there.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8037

.PHONY: help venv data lab test check docs serve-docs bench clean

help:  ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

$(STAMP): settings.ini setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

venv: $(STAMP)  ## create .venv and install mnist37 with its dev tools

data: venv  ## get and check MNIST_SAMPLE (set MNIST37_ARCHIVE to use a local copy)
	$(BIN)/mnist37 data

lab: data  ## open the series in JupyterLab (pass more options in LAB_ARGS)
	$(BIN)/jupyter lab --notebook-dir=nbs $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

check: venv  ## fail if nbdev_clean or nbdev_export would change anything, or README.md is stale
	$(BIN)/python tools/check_sync.py
	$(BIN)/python tools/readme.py --check

test: data check docs  ## everything CI checks: sync, every notebook, the site in a browser, tests/
	$(BIN)/nbdev_test --timing
	$(BIN)/python -m pytest tests || [ $$? -eq 5 ]

docs: venv  ## build the docs site into _site/ (no Quarto; KaTeX comes from the npm registry, once)
	test -f docs/node_modules/katex/package.json || npm ci --prefix docs --no-audit --no-fund
	$(BIN)/python docs/build.py

serve-docs: docs  ## serve the site on http://127.0.0.1:$(PORT)
	$(BIN)/python -m http.server $(PORT) --bind 127.0.0.1 --directory _site

bench: data  ## measure the series and write _bench/results.md and .json
	$(BIN)/python tools/bench.py

clean:  ## remove generated files (keeps .venv and the data)
	rm -rf _site _site_src _proc _docs _screenshots _bench .pytest_cache
