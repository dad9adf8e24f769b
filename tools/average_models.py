"""Average the weights of models of one shape (a "soup" of checkpoints from one training run).

    .venv/bin/python tools/average_models.py OUT MODEL_DIR MODEL_DIR [...]

Writes OUT/model.safetensors (the element-wise mean, computed in float32 and stored in the models'
own dtype) beside the first model's other files (config, generation config, vocabulary), each written
atomically; OUT is then a model folder like any other (`whispersynth export-model OUT ...`). Refuses
models whose tensors differ in name or shape.
"""

from __future__ import annotations

import sys
from pathlib import Path

from safetensors.torch import load_file, save_file

from whispersynth.files import atomic_path, write_bytes


def fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(2)


def main(out: str = "", *models: str) -> None:
    if len(models) < 2:
        fail("usage: average_models.py OUT MODEL_DIR MODEL_DIR [...]")
    weights = []
    for m in models:
        try:
            weights.append(load_file(str(Path(m) / "model.safetensors")))
        except (OSError, RuntimeError, ValueError) as e:
            fail(f"{m}: cannot read model.safetensors ({str(e).splitlines()[0]})")
    names = set(weights[0])
    for m, w in zip(models, weights):
        if set(w) != names or any(w[k].shape != weights[0][k].shape for k in names):
            fail(f"{m}: not the same shape as {models[0]}")
    mean = {}
    for k in sorted(names):
        first = weights[0][k]
        if first.is_floating_point():
            mean[k] = (sum(w[k].float() for w in weights) / len(weights)).to(first.dtype)
        elif all(w[k].equal(first) for w in weights):
            mean[k] = first  # an integer buffer: the same in every model
        else:
            fail(f"{k}: an integer tensor that differs between the models")
    target = Path(out)
    target.mkdir(parents=True, exist_ok=True)
    for f in Path(models[0]).iterdir():
        if f.is_file() and f.name != "model.safetensors":
            write_bytes(target / f.name, f.read_bytes())
    with atomic_path(target / "model.safetensors") as tmp:
        save_file(mean, str(tmp), metadata={"format": "pt"})
    print(f"wrote {target}: the mean of {len(models)} models")


if __name__ == "__main__":
    main(*sys.argv[1:])
