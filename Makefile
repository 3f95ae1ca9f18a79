# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv and install everything.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The CPU build of torch: installed first, so the project's `torch>=2.2` is already satisfied and pip
# never pulls the CUDA wheels. Override on other platforms, e.g. `make demo TORCH_SPEC=torch`.
TORCH_SPEC ?= torch==2.13.0

.PHONY: demo test install clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@if $(BIN)/python -m pip list 2>/dev/null | grep -qi "^nvidia-"; then echo "CUDA packages were pulled in; expected the CPU torch only" >&2; exit 1; fi
	touch $@

demo: install
	$(BIN)/distill demo

test: install
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) .pytest_cache
