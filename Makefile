# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
EXAMPLES := src/whispersynth/examples

.PHONY: setup browser test demo bench model evaluate clean

setup: $(STAMP)

# torch is pinned to 2.13.0: that spec installs a CPU build; a looser one pulls a multi-GB CUDA build.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check "torch==2.13.0"
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $(STAMP)

# The web app's tests drive Debian's Chromium (no browser download): installed here when run as
# root with apt (as CI runs); elsewhere they skip, saying so, until `apt install chromium`.
browser:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "note: no Chromium here; the browser tests will skip (install Debian's chromium package)"; fi; \
	fi

# pytest exits 5 when it collects no tests: that is a broken suite, and it fails here loudly.
test: $(STAMP) browser
	@$(PY) -m pytest -q; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "error: pytest collected no tests" >&2; fi; exit $$rc

# The main job on the bundled example sounds with the bundled model: settings, presets,
# re-renders and pictures in out/demo/.
demo: $(STAMP)
	$(VENV)/bin/whispersynth match $(EXAMPLES) -o out/demo --top-k 3

bench: $(STAMP)
	$(PY) benchmarks/render.py
	$(PY) benchmarks/data.py
	$(PY) benchmarks/train.py
	$(PY) benchmarks/match.py
	$(PY) benchmarks/refine.py

# The bundled model's recipe (src/whispersynth/models/default/MODEL_CARD.md has its figures).
# Every step resumes when run again; on 2 cores data takes ~20 min and training ~75 min.
DATA ?= data
RUN ?= runs/cpu-ce
TRAIN_N ?= 40000
STEPS ?= 5500
model: $(STAMP)
	$(VENV)/bin/whispersynth data generate --out $(DATA)/val --n 500 --seed 1 --part-size 500
	$(VENV)/bin/whispersynth data generate --out $(DATA)/test --n 500 --seed 2 --part-size 500
	$(VENV)/bin/whispersynth data generate --out $(DATA)/train --n $(TRAIN_N) --seed 0 --part-size 500
	OMP_NUM_THREADS=1 $(VENV)/bin/whispersynth train --data $(DATA)/train --val $(DATA)/val --out $(RUN) \
	  --size cpu --pool 2 --steps $(STEPS) --batch-size 32 --lr 1e-3 --warmup 300 --loss ce \
	  --eval-every 500 --save-every 250 --val-clips 500 --seed 0 $$([ -d $(RUN)/checkpoints ] && echo --resume)
	$(VENV)/bin/whispersynth export-model $(RUN)/model src/whispersynth/models/default

# The bundled model's evaluation: held-out split with baselines, and the other-synth sounds.
evaluate: $(STAMP)
	$(VENV)/bin/whispersynth evaluate --data $(DATA)/test --train $(DATA)/train --baselines --out runs/eval-test
	$(VENV)/bin/whispersynth evaluate --sounds evaluation/other-synths --train $(DATA)/train --baselines \
	  --out runs/eval-other

clean:
	rm -rf $(VENV) out
