# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv and install everything,
# at the exact versions in requirements.lock (`make lock` refreshes it).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LOCK := requirements.lock
# The CPU build of torch: installed first, so the project's `torch>=2.2` is already satisfied and pip
# never pulls the CUDA wheels. Override on other platforms, e.g. `make demo TORCH_SPEC=torch`.
TORCH_SPEC ?= torch==2.13.0

.PHONY: demo test install lock clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c $(LOCK) "$(TORCH_SPEC)"
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e ".[dev]"
	@if $(BIN)/python -m pip list 2>/dev/null | grep -qi "^nvidia-"; then echo "CUDA packages were pulled in; expected the CPU torch only" >&2; exit 1; fi
	touch $@

# Resolve everything afresh in a scratch venv and write the exact versions to $(LOCK). The CPU build's local
# label (+cpu) is dropped, so `torch==X` in the lock also admits the CUDA build that TORCH_SPEC=torch asks for.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet "$(TORCH_SPEC)"
	.lock-venv/bin/python -m pip install --quiet ".[dev]"
	{ echo "# Exact versions for make demo / make test, written by make lock on $$(date -u +%F) with $$(.lock-venv/bin/python -V)."; \
	  .lock-venv/bin/python -m pip freeze --exclude distill | sed -E 's/^(torch==[^+]+)\+.*/\1/'; } > $(LOCK)
	rm -rf .lock-venv

demo: install
	$(BIN)/distill demo

test: install
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) .lock-venv .pytest_cache
