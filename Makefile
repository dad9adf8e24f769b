# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
EXAMPLE := src/whispersynth/examples/pluck.txt

.PHONY: setup test demo bench clean

setup: $(STAMP)

# torch is pinned to 2.13.0: that spec installs a CPU build; a looser one pulls a multi-GB CUDA build.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check "torch==2.13.0"
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $(STAMP)

# pytest exits 5 when it collects no tests: that is a broken suite, and it fails here loudly.
test: $(STAMP)
	@$(PY) -m pytest -q; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "error: pytest collected no tests" >&2; fi; exit $$rc

demo: $(STAMP)
	$(VENV)/bin/whispersynth render $(EXAMPLE) -o out/demo.wav
	$(VENV)/bin/whispersynth preset $(EXAMPLE) -o out/demo.vital

bench: $(STAMP)
	$(PY) benchmarks/render.py

clean:
	rm -rf $(VENV) out
