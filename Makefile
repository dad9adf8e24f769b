# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
EXAMPLES := src/whispersynth/examples

.PHONY: setup browser test demo bench model model-v1 model-v2 v3-data model-v3 v3-mix-data model-v3-mix harvest model-v3-harvest harvest-engines model-v3-engines model-v3-engines-lo bank evaluate-v3 ablation evaluate real-presets clean

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

# The bundled model's recipe (src/whispersynth/models/default/MODEL_CARD.md has its figures): the
# third bundled model (version 2: `model-v1`, then `model-v2`'s three stages; its float16 files as git
# holds them seed version 3), widened to version 3 (`model-v3`: the producer arm), continued with more
# version-1/2 clips (`model-v3-mix`: stage A) and with what the search found (`model-v3-harvest`), then
# the last one's float16 copy. Every step resumes when run again. On 2 cores: version 1's data ~35 min,
# its first model ~80 min, the envelope front end ~45 min (one thread, as in the ablation) and its
# annealed run ~50 min; version 2's data ~25 min, its stages ~60, ~22 and ~26 min; version 3's data
# ~15 min, its arms ~70 min (together), stage A ~32 min, the harvest ~45 min, stage C ~31 min.
DATA ?= data
RUN ?= runs/cpu-ce
TRAIN_N ?= 40000
STEPS ?= 5500
SIGMAS := 1,detune=13,cutoff=9,attack=2,decay=13,sustain=5,release=5,lfo_rate=29,lfo_depth=10
V2SIGMAS := $(SIGMAS),resonance=2,fenv_amount=3,fenv_attack=2,fenv_decay=13,fenv_sustain=5,fenv_release=5,osc2_level=5,noise=5,penv_amount=3,penv_decay=13
V1DATA := $(VENV)/bin/whispersynth data generate --format-version 1
V2TRAIN := $(VENV)/bin/whispersynth train --front-end envelope --batch-size 32 --loss soft --sigma $(V2SIGMAS) --val $(DATA)/v2-val --val-clips 300 --save-every 200
resume = $$([ -d $(1)/checkpoints ] && echo --resume)
model: model-v3-engines-lo
	$(VENV)/bin/whispersynth export-model runs/v3-engines-lo/model src/whispersynth/models/default

# Format version 3 (FM and effects), and training on what producers make (docs/FORMAT.md, "The
# producer sampler"): the third bundled model (version 2, float16: runs/v2-export) widened to version
# 3's tokens and trained three ways side by side, at equal time on one CPU (each arm one thread, all
# three at once; --stop-after with a run's logged step count repeats it anywhere): on uniform version-3
# clips; with producer-like clips pooled in; and those with the augmentation of real recordings. Each
# arm keeps version-1 and version-2 clips in the pool. ~10 min of data on 2 cores, then 80 min.
V3SIGMAS := $(V2SIGMAS),fm_amount=3,dist_drive=2,dist_mix=3,chorus_rate=5,chorus_depth=5,chorus_mix=3,delay_time=3,delay_feedback=3,delay_mix=3,reverb_decay=5,reverb_size=5,reverb_damping=5,reverb_mix=3
V3MINUTES ?= 80
V3TRAIN := OMP_NUM_THREADS=1 $(VENV)/bin/whispersynth train --init-from runs/v2-export --front-end envelope --batch-size 32 \
  --loss soft --sigma $(V3SIGMAS) --val $(DATA)/v3-val --val-clips 300 --save-every 200 --bf16 --steps 3000 --lr 3e-4 \
  --warmup 100 --eval-every 100000 --max-minutes $(V3MINUTES) --seed 20
GEN := $(VENV)/bin/whispersynth data generate --part-size 500 --workers 1
v3-data: $(STAMP)
	$(GEN) --out $(DATA)/v3-val --n 300 --seed 21 --part-size 300
	$(GEN) --out $(DATA)/v3-train --n 8000 --seed 20 & $(GEN) --out $(DATA)/v3-prod --n 8000 --seed 30 --sampler producer & wait
	$(GEN) --out $(DATA)/v1-mix --n 3000 --seed 3 --format-version 1 & $(GEN) --out $(DATA)/v2-mix --n 3000 --seed 10 --format-version 2 & wait
V2FILES := config.json generation_config.json model.safetensors vocab.json
V3POOL := --data $(DATA)/v1-mix --data $(DATA)/v2-mix --data $(DATA)/v3-train
model-v3: v3-data
	# the third bundled model's files as git holds them (what `make model` exported from runs/v2-mix3)
	[ -f runs/v2-export/model.safetensors ] || (mkdir -p runs/v2-export && for f in $(V2FILES); do \
	  git show adcce91:src/whispersynth/models/default/$$f > runs/v2-export/$$f || exit 1; done)
	$(V3TRAIN) $(V3POOL) --out runs/v3-uniform $(call resume,runs/v3-uniform) > runs/v3-uniform.log 2>&1 & \
	$(V3TRAIN) $(V3POOL) --data $(DATA)/v3-prod --out runs/v3-producer $(call resume,runs/v3-producer) > runs/v3-producer.log 2>&1 & \
	$(V3TRAIN) $(V3POOL) --data $(DATA)/v3-prod --augment --out runs/v3-producer-aug $(call resume,runs/v3-producer-aug) \
	  > runs/v3-producer-aug.log 2>&1 & wait

# The producer arm continued in two stages of 3 000 steps (lr 2e-4, seed 20; then lr 1.5e-4, seed 21)
# with 6 000 more version-1 and 6 000 more version-2 clips in its pool: its first 3 000 steps had left
# the version-1 split ~10 % behind the bundled model (median MSS). One thread, ~32 min a stage here;
# then the mean of the two stages' weights (runs/v3-soup). Measured, not bundled: see the model card.
v3-mix-data: $(STAMP)
	$(GEN) --out $(DATA)/v1-mix2 --n 6000 --seed 4 --format-version 1 & \
	  $(GEN) --out $(DATA)/v2-mix2 --n 6000 --seed 11 --format-version 2 & wait
MIXPOOL := $(V3POOL) --data $(DATA)/v3-prod --data $(DATA)/v1-mix2 --data $(DATA)/v2-mix2
# $(call mixstage,init,lr,seed,out[,more --data[,steps (3000)]])
mixstage = $(subst --seed 20,--seed $(3),$(subst --steps 3000 --lr 3e-4 --warmup 100,--steps $(or $(6),3000) --lr $(2) --warmup 50,$(subst \
  --init-from runs/v2-export,--init-from $(1),$(V3TRAIN)))) $(MIXPOOL) $(5) --out $(4) $(call resume,$(4)) > $(4).log 2>&1
model-v3-mix: model-v3 v3-mix-data
	$(call mixstage,runs/v3-producer/model,2e-4,20,runs/v3-mix)
	$(call mixstage,runs/v3-mix/model,1.5e-4,21,runs/v3-mix2)
	$(PY) tools/average_models.py runs/v3-soup/model runs/v3-mix/model runs/v3-mix2/model

# Learn from the search (harvest.py): random draws of the other-synth generators (seed 100; the evaluation's
# draws are seed 200) matched with --refine by stage A; where the search closed >= 20 % of the network's
# distance, the (sound, patch found) pair and the patch's own render are kept (~9 s a sound on 2 cores).
# Then stage A continued exactly as stage B was, with those pairs in the pool HARVEST_TIMES times over.
HARVEST_N ?= 600
HARVEST_TIMES ?= 6
harvest: model-v3-mix
	$(PY) evaluation/make_other_synths.py --random $(HARVEST_N) --seed 100 $(DATA)/harvest-sounds > /dev/null
	[ -f runs/v3-mix-export/model.safetensors ] || $(VENV)/bin/whispersynth export-model runs/v3-mix/model runs/v3-mix-export
	OMP_NUM_THREADS=1 $(VENV)/bin/whispersynth data harvest $(DATA)/harvest-sounds --out $(DATA)/harvest \
	  --model runs/v3-mix-export --renders 300 --min-gain 0.2 --workers 2 --limit $(HARVEST_N)
HARVESTED = $(foreach i,$(shell seq $(HARVEST_TIMES)),--data $(DATA)/$(1)/set)
model-v3-harvest: harvest
	$(call mixstage,runs/v3-mix/model,1.5e-4,21,runs/v3-harvest,$(call HARVESTED,harvest))

# The harvest again, on real engines with random settings (evaluation/real-presets/scripts/random_settings.py:
# random DX7 voices in hexter, random values of amsynth's controls; never a factory preset): ENGINES_N
# audible sounds of each, matched with --refine by the fourth bundled model (runs/v3-harvest) as `harvest`
# was (~40 min on 2 cores). Then that model continued 3 000 steps with these pairs pooled in beside
# `harvest`'s, and side by side (one thread each, at once, so at equal CPU) the same 3 000 steps without
# them: the control that says whether the new pairs pay. Measured, not bundled (the gentler stage below is).
# (random_settings.py also draws xsynth and whysynth; not used by this recipe.)
ENGINES_N ?= 80
harvest-engines: real-presets model-v3-harvest
	mkdir -p $(DATA)/random-engines
	gcc -O2 -Wall -o $(DATA)/random-engines/dssi_render evaluation/real-presets/dssi/dssi_render.c -ldl -lm
	for e in "hexter 700" "amsynth 800"; do set -- $$e; REAL_PRESETS_OUT=$(DATA)/random-engines $(PY) \
	  evaluation/real-presets/scripts/random_settings.py $$1 --n $(ENGINES_N) --seed $$2 --out $(DATA)/random-engines/sounds \
	  || exit 1; done
	[ -f runs/v3-harvest-export/model.safetensors ] || $(VENV)/bin/whispersynth export-model runs/v3-harvest/model runs/v3-harvest-export
	OMP_NUM_THREADS=1 $(VENV)/bin/whispersynth data harvest $(DATA)/random-engines/sounds --out $(DATA)/harvest-engines \
	  --model runs/v3-harvest-export --renders 300 --min-gain 0.2 --workers 2
model-v3-engines: harvest-engines
	$(call mixstage,runs/v3-harvest/model,1e-4,23,runs/v3-engines,$(call HARVESTED,harvest) $(call HARVESTED,harvest-engines)) & \
	$(call mixstage,runs/v3-harvest/model,1e-4,23,runs/v3-continued,$(call HARVESTED,harvest)) & wait
# The same two arms at a gentler rate (1 500 steps, lr 5e-5): the fifth bundled model is runs/v3-engines-lo.
model-v3-engines-lo: harvest-engines
	$(call mixstage,runs/v3-harvest/model,5e-5,23,runs/v3-engines-lo,$(call HARVESTED,harvest) $(call HARVESTED,harvest-engines),1500) & \
	$(call mixstage,runs/v3-harvest/model,5e-5,23,runs/v3-continued-lo,$(call HARVESTED,harvest),1500) & wait

# The bundled bank of `match --retrieve` (src/whispersynth/retrieve.py): 16 000 patches of the producer
# sampler (seed 40, which no training set uses) and their pooled log-mel. ~22 min of data on one core.
bank: $(STAMP)
	$(GEN) --out $(DATA)/bank-prod --n 16000 --seed 40 --sampler producer
	$(VENV)/bin/whispersynth data bank $(DATA)/bank-prod --out src/whispersynth/models/bank

# The three arms, exported as they would ship (float16), scored one at a time on the real-preset dev
# half beside the bundled model (`make evaluate` scores it into runs/eval-real-dev).
V3ARMS := uniform producer producer-aug
evaluate-v3: $(STAMP) real-presets
	for a in $(V3ARMS); do $(VENV)/bin/whispersynth export-model runs/v3-$$a/model runs/v3-$$a-export && \
	  $(VENV)/bin/whispersynth evaluate --sounds $(DATA)/real-presets/all/dev --model runs/v3-$$a-export \
	    --out runs/eval-real-dev-v3-$$a --limit 1000 || exit 1; done
	$(PY) tools/compare_evals.py bundled=runs/eval-real-dev/report.json \
	  $(foreach a,$(V3ARMS),$(a)=runs/eval-real-dev-v3-$(a)/report.json)

# The second bundled model (version 1's lines only), float16, in runs/envelope-export.
model-v1: $(STAMP)
	$(V1DATA) --out $(DATA)/val --n 500 --seed 1 --part-size 500
	$(V1DATA) --out $(DATA)/test --n 500 --seed 2 --part-size 500
	$(V1DATA) --out $(DATA)/train --n $(TRAIN_N) --seed 0 --part-size 500
	$(V1DATA) --out $(DATA)/train3 --n 24000 --seed 3 --part-size 500
	# 1. the first bundled model: log-mel, from scratch
	OMP_NUM_THREADS=1 $(VENV)/bin/whispersynth train --data $(DATA)/train --val $(DATA)/val --out $(RUN) \
	  --size cpu --pool 2 --steps $(STEPS) --batch-size 32 --lr 1e-3 --warmup 300 --loss ce \
	  --eval-every 500 --save-every 250 --val-clips 500 --seed 0 $(call resume,$(RUN))
	$(VENV)/bin/whispersynth export-model $(RUN)/model runs/v1-export
	# 2. widened to the envelope front end: the ablation's run (`make ablation`), its 534 steps
	OMP_NUM_THREADS=1 $(VENV)/bin/whispersynth train --data $(DATA)/train3 --val $(DATA)/val --out runs/ab-envelope \
	  --init-from runs/v1-export --front-end envelope --steps 100000 --stop-after 534 --batch-size 32 --lr 3e-4 \
	  --warmup 100 --loss ce --eval-every 100000 --save-every 100 --val-clips 500 --seed 0 $(call resume,runs/ab-envelope)
	# 3. annealed, with soft targets as wide as each field's errors
	OMP_NUM_THREADS=2 $(VENV)/bin/whispersynth train --data $(DATA)/train3 --val $(DATA)/val --out runs/envelope-sigma \
	  --init-from runs/ab-envelope/model --front-end envelope --steps 3600 --batch-size 32 --lr 3e-4 --warmup 50 \
	  --loss soft --sigma $(SIGMAS) --eval-every 1200 --save-every 200 --val-clips 500 --seed 1 \
	  $(call resume,runs/envelope-sigma)
	$(VENV)/bin/whispersynth export-model runs/envelope-sigma/model runs/envelope-export

# Format version 2: the version-1 model widened to version 2's tokens, trained on version-2
# clips, then on them pooled with version-1 clips (a third, then half of all clips).
model-v2: model-v1
	$(VENV)/bin/whispersynth data generate --out $(DATA)/v2-val --n 500 --seed 11 --part-size 500
	$(VENV)/bin/whispersynth data generate --out $(DATA)/v2-test --n 500 --seed 12 --part-size 500
	$(VENV)/bin/whispersynth data generate --out $(DATA)/v2-train --n 20000 --seed 10 --part-size 500
	$(V1DATA) --out $(DATA)/v1-mix --n 10000 --seed 3 --part-size 500
	$(V1DATA) --out $(DATA)/v1-mix2 --n 10000 --seed 13 --part-size 500
	# 1. version-2 clips only (the candidate the model card measured first)
	OMP_NUM_THREADS=1 $(V2TRAIN) --data $(DATA)/v2-train --out runs/v2 --init-from runs/envelope-export \
	  --steps 4000 --lr 3e-4 --warmup 100 --eval-every 2000 --seed 4 $(call resume,runs/v2)
	# 2. a third of the clips version 1's (every version-2 line off)
	OMP_NUM_THREADS=2 $(V2TRAIN) --data $(DATA)/v2-train --data $(DATA)/v1-mix --out runs/v2-mix \
	  --init-from runs/v2/model --steps 2500 --lr 2e-4 --warmup 50 --eval-every 2500 --seed 5 $(call resume,runs/v2-mix)
	# 3. half of them version 1's
	OMP_NUM_THREADS=2 $(V2TRAIN) --data $(DATA)/v2-train --data $(DATA)/v1-mix --data $(DATA)/v1-mix2 --out runs/v2-mix3 \
	  --init-from runs/v2-mix/model --steps 2500 --lr 1.5e-4 --warmup 50 --eval-every 2500 --seed 6 $(call resume,runs/v2-mix3)

# The model card's front-end and loss ablation: eight runs side by side (tools/ablate.sh).
ablation: $(STAMP)
	$(VENV)/bin/whispersynth export-model $(RUN)/model runs/v1-export
	sh tools/ablate.sh

# The real-preset evaluation set (evaluation/real-presets/README.md): factory presets of seven engines
# from Debian and PyPI, rendered into $(DATA)/real-presets (about 5 min). Installed here when run as root
# with apt (as CI runs); elsewhere it says what to install.
REAL_PKGS := fluidsynth fluid-soundfont-gm timgm6mb-soundfont musescore-general-soundfont-small hexter amsynth \
  whysynth xsynth-dssi zynaddsubfx-dssi zynaddsubfx-data dssi-dev ladspa-sdk libasound2-dev gcc
real-presets: $(STAMP)
	@if ! command -v fluidsynth >/dev/null 2>&1 || [ ! -e /usr/lib/dssi/hexter.so ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(REAL_PKGS) >/dev/null; \
	  else echo "error: install Debian's $(REAL_PKGS)" >&2; exit 2; fi; \
	fi
	$(PY) -m pip install --quiet --disable-pip-version-check "dexed-py==0.3.0"
	[ -f $(DATA)/real-presets/all/dev/sounds.json ] || sh evaluation/real-presets/render_all.sh $(PY) $(DATA)/real-presets

# The bundled model's evaluation: the held-out splits (version 1 and 2) with baselines, the other-synth
# sounds, and the real-preset set's dev half (its test half is kept for final figures).
evaluate: $(STAMP) real-presets
	$(VENV)/bin/whispersynth evaluate --data $(DATA)/test --train $(DATA)/train --baselines --out runs/eval-test
	$(VENV)/bin/whispersynth evaluate --data $(DATA)/v2-test --train $(DATA)/v2-train --baselines --out runs/eval-v2-test
	$(VENV)/bin/whispersynth evaluate --sounds evaluation/other-synths --train $(DATA)/train --baselines \
	  --out runs/eval-other
	$(PY) evaluation/make_other_synths.py --random 100 --seed 200 $(DATA)/other-random-dev > /dev/null
	$(VENV)/bin/whispersynth evaluate --sounds $(DATA)/other-random-dev --baselines --out runs/eval-other-random
	# the default (4 bank patches, ranked auto) and ranked by MSS x log-mel, side by side; then the
	# match before the bank (by MSS, no bank patches)
	$(VENV)/bin/whispersynth evaluate --sounds $(DATA)/real-presets/all/dev --baselines --rank-by auto,mss-logmel \
	  --out runs/eval-real-dev
	$(VENV)/bin/whispersynth evaluate --sounds $(DATA)/real-presets/all/dev --rank-by mss --retrieve 0 \
	  --out runs/eval-real-dev-no-bank
	# with match --refine and search alone (300 renders or 12 s a clip each: ~2 h for the 281 clips on 2 cores)
	$(VENV)/bin/whispersynth evaluate --sounds $(DATA)/real-presets/all/dev --refine --out runs/eval-real-dev-refine

clean:
	rm -rf $(VENV) out
