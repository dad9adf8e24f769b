#!/bin/sh
# Render the real-preset evaluation set: single held notes from factory presets of seven engines
# installed from Debian and PyPI (README.md here). Deterministic draws (ZynAddSubFX's own random
# phases aside); about 5 min on 2 cores. Usage: sh render_all.sh PYTHON [OUT]  (OUT: data/real-presets)
set -e
# Both paths are resolved before the cd below; -s keeps a venv's python link (resolved, it would be the
# base interpreter, without the venv's packages).
PY=$(realpath -s "$1")
export REAL_PRESETS_OUT=$(realpath -m "${2:-$(dirname "$0")/../../data/real-presets}")
cd "$(dirname "$0")"
mkdir -p "$REAL_PRESETS_OUT" "$HOME/.local/share/amsynth"  # amsynth prints an error without the latter
gcc -O2 -Wall -o "$REAL_PRESETS_OUT/dssi_render" dssi/dssi_render.c -ldl -lm
"$PY" scripts/soundfonts.py
for e in hexter amsynth whysynth xsynth zynaddsubfx; do
  "$PY" scripts/dssi_engines.py $e
done
"$PY" scripts/dexed_engine.py
"$PY" scripts/collect.py "$REAL_PRESETS_OUT"
