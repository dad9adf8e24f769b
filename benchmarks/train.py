"""Training and inference speed of the model shapes on this machine.

Training samples/s (forward + field-aware loss + backward + AdamW step, log-mel computed per
batch as in `whispersynth train`), and inference ms/clip (log-mel + constrained greedy
decoding) for single clips and for batches, for the CPU default shape and Whisper-tiny's.

    .venv/bin/python benchmarks/train.py [--shapes cpu tiny] [--steps 10]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from whispersynth import data
from whispersynth import model as M
from whispersynth.data import DatasetSpec
from whispersynth.train import Collator, FieldLoss, _part_arrays
from whispersynth.tokens import Vocab


def clips(n: int) -> tuple[np.ndarray, np.ndarray]:
    with tempfile.TemporaryDirectory() as tmp:
        data.generate(Path(tmp), DatasetSpec(n=n, seed=99, part_size=n), progress=False)
        return _part_arrays(Path(tmp) / "part-00000.parquet", Vocab())


def train_speed(shape: str, pool: int, audio, labels, batch: int, steps: int) -> float:
    model = M.build(shape, pool).train()
    collate, loss_fn = Collator(pool), FieldLoss(Vocab())
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    rows = [{"audio": a, "labels": l} for a, l in zip(audio[:batch], labels[:batch])]

    def step():
        inputs = collate(rows)
        target = inputs.pop("labels")
        loss = loss_fn(model(**inputs).logits, target)
        loss.backward()
        opt.step()
        opt.zero_grad()

    step()  # warm-up
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    return batch * steps / (time.perf_counter() - t0)


def infer_ms(shape: str, pool: int, audio, batch: int, repeats: int) -> float:
    model, vocab = M.build(shape, pool).eval(), Vocab()
    x = audio[:batch].astype(np.float32) / 32767
    M.predict(model, vocab, x)  # warm-up
    t0 = time.perf_counter()
    for _ in range(repeats):
        M.predict(model, vocab, x)
    return 1000 * (time.perf_counter() - t0) / (repeats * batch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", nargs="+", default=["cpu", "tiny"])
    parser.add_argument("--pool", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()
    audio, labels = clips(args.batch)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, pool {args.pool}, batch {args.batch}")
    print("| shape | params | train samples/s | infer ms/clip, 1 clip | infer ms/clip, batch |")
    print("|---|---|---|---|---|")
    for shape in args.shapes:
        params = sum(p.numel() for p in M.build(shape, args.pool).parameters()) / 1e6
        speed = train_speed(shape, args.pool, audio, labels, args.batch, args.steps)
        one = infer_ms(shape, args.pool, audio, 1, 10)
        many = infer_ms(shape, args.pool, audio, args.batch, 2)
        print(f"| {shape} | {params:.1f}M | {speed:.1f} | {one:.0f} | {many:.1f} |")


if __name__ == "__main__":
    main()
