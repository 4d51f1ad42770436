# One command per job. Each sets up what it needs (a venv in .venv, the package, the data) and reuses what is there.
SHELL := bash
# Python may write .pyc files for what it imports: with PYTHONDONTWRITEBYTECODE set, as on some CI machines, every
# process would compile torch from source again (import torch: 3.4 s in a uv-made venv instead of 1.9 s)
unexport PYTHONDONTWRITEBYTECODE
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DATA_OK := $(VENV)/.data-checked
PIN    := constraints.txt
PORT   ?= 8037
LAB_PORT  ?= 8837
LAB_TOKEN ?=
LAB_NBS   ?= nbs

.PHONY: help venv data lab reset test test-nbs test-lab test-units test-site check docs serve-docs bench clean

help:  ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

# The first run installs about 6.6 GB (mostly the CUDA libraries that torch's wheels bring): about a minute with uv,
# which pip installs first, or a few minutes with pip alone if uv can't be had. A .venv left half-made is mended.
$(STAMP): settings.ini setup.py $(PIN)
	@if [ -e $(VENV) ] && ! $(BIN)/python -c '' 2>/dev/null; then \
	  echo "make: $(VENV) exists but its python does not run (moved, or made by another Python): making it again"; \
	  rm -rf $(VENV); fi
	@if [ -x $(BIN)/python ] && ! $(BIN)/python -m pip --version >/dev/null 2>&1; then \
	  echo "make: $(VENV) has no pip (made with --without-pip?): adding it with ensurepip"; \
	  $(BIN)/python -m ensurepip --upgrade >/dev/null || { \
	    echo "make: ensurepip failed too: making $(VENV) again"; rm -rf $(VENV); }; fi
	@test -x $(BIN)/python || { echo "make: creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	@echo "make: installing mnist37 and its tools into $(VENV): about 6.6 GB, mostly CUDA libraries that torch brings"
	$(BIN)/python -m pip install --disable-pip-version-check --progress-bar on uv \
	  || echo "make: could not install uv; pip will do it, more slowly (a few minutes)"
	if [ -x $(BIN)/uv ]; then $(BIN)/uv pip install --python $(BIN)/python -c $(PIN) -e ".[dev]"; \
	else $(BIN)/python -m pip install --disable-pip-version-check -c $(PIN) -e ".[dev]"; fi
	touch $@

venv: $(STAMP)  ## create .venv and install mnist37 with its dev tools (mends a half-made .venv)

data: venv  ## get and check MNIST_SAMPLE (set MNIST37_ARCHIVE to use a local copy)
	$(BIN)/mnist37 data
	touch $(DATA_OK)

# `make lab` checks the data once per venv (the notebooks fetch it themselves if it goes missing later)
$(DATA_OK): $(STAMP)
	$(MAKE) --no-print-directory data

# The lab runs in nbs/ (LAB_NBS) with tools/lab_config.py: it listens on 127.0.0.1 only, and cleans notebooks as they are saved
# (nbdev's save hook, and no widget views), so opening and running them leaves git clean. `jupyter trust` marks the
# committed notebooks as safe, so their saved outputs (the heatmaps' colours, for one) show before you run them.
lab: $(DATA_OK)  ## open the series in JupyterLab on 127.0.0.1:8837 (more options in LAB_ARGS)
	$(BIN)/jupyter trust $(LAB_NBS)/*.ipynb >/dev/null
	cd $(LAB_NBS) && exec $(abspath $(BIN))/jupyter lab --config=$(abspath tools/lab_config.py) --port=$(LAB_PORT) \
	  $(if $(LAB_TOKEN),--IdentityProvider.token=$(LAB_TOKEN)) $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

# Your own versions go to nbs/_mine/<date-time>/ first (git ignores that folder), so nothing you wrote is lost.
reset:  ## put the notebooks back as committed (after you ran and saved them), keeping your copies in nbs/_mine/
	@changed="$$(git diff --name-only -- 'nbs/*.ipynb')"; \
	if [ -z "$$changed" ]; then echo "make reset: the notebooks are as committed"; exit 0; fi; \
	dest="nbs/_mine/$$(date +%Y-%m-%d_%H%M%S)"; mkdir -p "$$dest"; \
	for f in $$changed; do cp "$$f" "$$dest/"; done; \
	git checkout -- $$changed; \
	echo "make reset: put back $$(echo $$changed | wc -w) notebook(s); your versions are in $$dest/"

check: venv  ## fail if nbdev_clean or nbdev_export would change anything, README.md is stale, or a Colab cell is missing
	$(BIN)/python tools/check_sync.py
	$(BIN)/python tools/readme.py --check
	$(BIN)/python tools/hosted.py --check

# Steps that share no files run side by side, each printing its output whole when it ends (--output-sync): the
# site's build, nbdev_test and the lab's browser test (mostly waiting on the lab, its kernel and Chromium); then the
# unit and data tests with the site's tests, which need the site built.
LAB_TESTS  := tests/test_lab.py
SITE_TESTS := tests/test_site.py tests/test_translate.py
test: data check  ## everything CI checks: sync, every notebook, the site and the lab in a browser, tests/
	$(MAKE) --no-print-directory -j3 --output-sync=target docs test-nbs test-lab
	$(MAKE) --no-print-directory -j2 --output-sync=target test-units test-site

test-site: venv
	$(BIN)/python -m pytest $(SITE_TESTS)

test-nbs: venv
	$(BIN)/nbdev_test --timing

test-lab: venv
	$(BIN)/python -m pytest $(LAB_TESTS)

# every other file in tests/, new ones included
test-units: venv
	$(BIN)/python -m pytest tests $(addprefix --ignore=,$(LAB_TESTS) $(SITE_TESTS)) || [ $$? -eq 5 ]

docs: venv  ## build the docs site into _site/ (no Quarto; KaTeX comes from the npm registry, once)
	test -f docs/node_modules/katex/package.json || npm ci --prefix docs --no-audit --no-fund
	$(BIN)/python docs/build.py

serve-docs: docs  ## serve the site on http://127.0.0.1:$(PORT)
	$(BIN)/python -m http.server $(PORT) --bind 127.0.0.1 --directory _site

bench: data  ## run every notebook, time it, read its results, and write _bench/results.md and .json
	$(BIN)/python tools/bench.py

clean:  ## remove generated files (keeps .venv and the data)
	rm -rf _site _site_src _proc _docs _screenshots _bench .pytest_cache build dist
