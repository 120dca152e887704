# portail — developer entry points. Every target sets up what it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: build test system editor serve validate validate-github etat liens lock bench clean

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

## build: validate the content and build the demo site into site/
build: $(STAMP) editor
	$(BIN)/portail build

## editor: the web editor's npm packages (Decap CMS, decap-server) in admin/; idempotent
editor:
	bash scripts/setup_admin.sh

## system: what the browser and HTML tests need (Chromium, Java, axe-core, vnu); idempotent
system:
	bash scripts/setup_system.sh

## test: run every test
test: $(STAMP) system editor
	$(BIN)/python -m pytest -n 2 tests

## serve: preview the site with live reload on http://127.0.0.1:8000
serve: $(STAMP) editor
	$(BIN)/mkdocs serve --dirty --livereload -a 127.0.0.1:8000

## validate: check every content file and print the problems in French
validate: $(STAMP)
	$(BIN)/portail validate

## validate-github: the same, as GitHub annotations on the changed lines
validate-github: $(STAMP)
	$(BIN)/portail validate --format github

## etat: what needs an editor's attention (stale items, events to complete, closed aids, drafts, broken references)
etat: $(STAMP)
	$(BIN)/portail etat

## liens: check the external links of the content; the dead ones also go to liens-morts.md
liens: $(STAMP)
	$(BIN)/portail liens --sortie liens-morts.md

## bench: run the benchmarks and print their figures
bench: $(STAMP) system editor
	$(BIN)/python benchmarks/validate.py --fiches 10000
	$(BIN)/python benchmarks/build.py --fiches 1000 5000
	$(BIN)/python benchmarks/scale.py --fiches 1000 10000
	$(BIN)/python benchmarks/preview.py --fiches 1000 10000
	$(BIN)/python benchmarks/search.py --fiches 10000
	$(BIN)/python benchmarks/search_parts.py --fiches 10000 --parties 4 8 16
	$(BIN)/python benchmarks/images.py --photos 500
	$(BIN)/python benchmarks/map.py --fiches 10000

## lock: refresh requirements.lock from pyproject.toml (needs uv)
lock:
	uv pip compile pyproject.toml --extra test --python-version 3.11 --generate-hashes --no-header -o requirements.lock

clean:
	rm -rf site .cache
