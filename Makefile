# The front door. `make report` and `make test` set up everything they need.
VENV   := .venv
BIN    := $(VENV)/bin
YEAR   ?= 2020
LANGS  ?= it en
JOBS   ?=
# JupyterLab refuses to run as root unless told; say so only when we are root.
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

.PHONY: report reports-all test lab lint setup setup-system benchmark clean-reports

setup:
	@bash scripts/setup.sh python

setup-system:
	@bash scripts/setup.sh system

report: setup setup-system
	@$(BIN)/softskills run --year $(YEAR) $(foreach l,$(LANGS),--lang $(l)) $(if $(JOBS),--jobs $(JOBS))

reports-all: setup setup-system
	@$(BIN)/softskills run --all $(foreach l,$(LANGS),--lang $(l)) $(if $(JOBS),--jobs $(JOBS))

test: setup setup-system
	@$(BIN)/ruff check src tests benchmarks
	@$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

lint: setup
	@$(BIN)/ruff check src tests benchmarks

lab: setup
	@$(BIN)/jupyter lab --notebook-dir=notebooks $(ROOT_FLAG)

benchmark: setup setup-system
	@$(BIN)/python benchmarks/validate_100k.py
	@$(BIN)/python benchmarks/ordinal_fit.py
	@$(BIN)/python benchmarks/report_build.py
