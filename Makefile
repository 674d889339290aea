# One command opens the course, one command tests it (see README.md).
#   make lab        create .venv, install the course, open JupyterLab on notebooks/ (student mode)
#   make test       create .venv, install the course with its test tools, run every test
#   make release    regenerate notebooks/ (the student release) from solutions/
#   make benchmark  print the speed tables of benchmarks/
#   make site       build the course website into site/_build/html/ (Jupyter Book 1.x)
#   make lock       regenerate requirements/lock.txt (the class's locked versions)
#   make system-deps  (Debian/Ubuntu, as root) chromium, PostgreSQL and JupyterHub's npm proxy:
#                   what the hub, browser and PostgreSQL tests and `course hub` need

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
JOBS ?= 2
# torch stays out of the hashed lock (requirements/header.txt says why); its pin is pyproject's.
TORCH_PIN := $(shell sed -n 's/.*"torch==\([^"]*\)".*/\1/p' pyproject.toml)
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: env lab test release benchmark clean system-deps lock site

env: $(STAMP)

$(STAMP): pyproject.toml requirements/lock.txt
	@$(PYTHON) -c 'import sys; assert (3, 11) <= sys.version_info[:2] <= (3, 13), "Python 3.11, 3.12 or 3.13 is needed, found " + sys.version.split()[0] + ": run make PYTHON=/path/to/python3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/lock.txt
	$(BIN)/python -m pip install --quiet "torch==$(TORCH_PIN)"
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m pip check
	@echo "Compiling librosa's numba functions once (about 30 s), so that no notebook waits for it"
	@echo "and parallel test workers never write the same cache at once (a race that can crash)."
	$(BIN)/python -c "from course_utils.grader.sandbox import KERNEL_WARMUP; exec(KERNEL_WARMUP)"
	@touch $(STAMP)

# requirements/lock.txt: every package of the course and its extras at one version, with hashes.
lock: $(STAMP)
	$(BIN)/pip-compile --quiet --no-header --no-emit-index-url --no-emit-find-links --generate-hashes \
	  --strip-extras --unsafe-package torch --extra dev --extra hub --extra postgres \
	  -o requirements/lock.txt pyproject.toml
	cat requirements/header.txt requirements/lock.txt > requirements/lock.tmp
	mv requirements/lock.tmp requirements/lock.txt

# The course website (site/README.md): site/_build/html/index.html
site: $(STAMP)
	$(BIN)/jupyter-book build . --config site/_config.yml --toc site/_toc.yml --path-output site

lab: $(STAMP)
	$(BIN)/course lab --student $(ROOT_FLAG)

test: $(STAMP)
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile tests solutions

release: $(STAMP)
	$(BIN)/course release

benchmark: $(STAMP)
	$(BIN)/python benchmarks/notebooks.py
	@for b in benchmarks/bench_*.py; do $(BIN)/python "$$b" || exit 1; done

system-deps:
	@missing=""; command -v chromium >/dev/null || missing="$$missing chromium"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "Debian packages present: chromium, postgresql"; fi
	npm ci --no-audit --no-fund --loglevel=error

clean:
	rm -rf $(VENV) .pytest_cache submitted autograded feedback gradebook.db
