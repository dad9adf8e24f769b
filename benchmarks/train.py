"""Training and inference speed of the model shapes on this machine.

Training samples/s (forward + field-aware loss + backward + AdamW step, log-mel computed per
batch as in `whispersynth train`), and inference ms/clip (log-mel + constrained greedy
decoding) for single clips and for batches, for the CPU default shape and Whisper-tiny's; and
training with bfloat16 autocast beside float32 (samples/s, and with --curve N the loss of N
steps from the same start on the same batches, both ways).

    .venv/bin/python benchmarks/train.py [--shapes cpu tiny] [--steps 10] [--curve 0]
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


def _trainer(shape: str, pool: int, bf16: bool, lr: float = 1e-4):
    """One training step function (forward, field-aware loss, backward, AdamW) from a fixed start."""
    model = M.build(shape, pool, seed=0).train()
    collate, loss_fn = Collator(pool), FieldLoss(Vocab())
    opt = torch.optim.AdamW(model.parameters(), lr=lr)

    def step(rows) -> float:
        inputs = collate(rows)
        target = inputs.pop("labels")
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = loss_fn(model(**inputs).logits, target)
        loss.backward()
        opt.step()
        opt.zero_grad()
        return float(loss.detach())

    return step


def train_speed(shape: str, pool: int, audio, labels, batch: int, steps: int, bf16: bool = False) -> float:
    step = _trainer(shape, pool, bf16)
    rows = [{"audio": a, "labels": l} for a, l in zip(audio[:batch], labels[:batch])]
    step(rows)  # warm-up
    t0 = time.perf_counter()
    for _ in range(steps):
        step(rows)
    return batch * steps / (time.perf_counter() - t0)


def loss_curves(shape: str, pool: int, audio, labels, batch: int, steps: int) -> dict[bool, list[float]]:
    """The loss of `steps` steps over the clips' batches in turn, float32 and bfloat16 autocast."""
    rows = [{"audio": a, "labels": l} for a, l in zip(audio, labels)]
    batches = [rows[i: i + batch] for i in range(0, len(rows) - batch + 1, batch)]
    out = {}
    for bf16 in (False, True):
        step = _trainer(shape, pool, bf16, lr=3e-4)
        out[bf16] = [step(batches[k % len(batches)]) for k in range(steps)]
    return out


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
    parser.add_argument("--curve", type=int, default=0, help="also train this many steps both ways, compare losses")
    args = parser.parse_args()
    audio, labels = clips(args.batch * (4 if args.curve else 1))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, pool {args.pool}, batch {args.batch}")
    print("| shape | params | train samples/s | infer ms/clip, 1 clip | infer ms/clip, batch |")
    print("|---|---|---|---|---|")
    for shape in args.shapes:
        params = sum(p.numel() for p in M.build(shape, args.pool).parameters()) / 1e6
        speed = train_speed(shape, args.pool, audio, labels, args.batch, args.steps)
        one = infer_ms(shape, args.pool, audio, 1, 10)
        many = infer_ms(shape, args.pool, audio, args.batch, 2)
        print(f"| {shape} | {params:.1f}M | {speed:.1f} | {one:.0f} | {many:.1f} |")
    print("\n| shape | float32 samples/s | bf16 autocast samples/s | ratio |\n|---|---|---|---|")
    for shape in args.shapes:  # interleaved, so both see the same machine state
        f32, bf = [], []
        for _ in range(2):
            f32.append(train_speed(shape, args.pool, audio, labels, args.batch, args.steps))
            bf.append(train_speed(shape, args.pool, audio, labels, args.batch, args.steps, bf16=True))
        print(f"| {shape} | {max(f32):.1f} | {max(bf):.1f} | {max(bf) / max(f32):.2f} |")
    if args.curve:
        curves = loss_curves(args.shapes[0], args.pool, audio, labels, args.batch, args.curve)
        every = max(1, args.curve // 8)
        print(f"\nloss, {args.shapes[0]}, {len(audio)} clips in batches of {args.batch}: step float32 bf16")
        for k in range(0, args.curve, every):
            print(f"{k + 1:5d} {curves[False][k]:.4f} {curves[True][k]:.4f}")
        tail = max(1, args.curve // 5)
        f32, bf = np.mean(curves[False][-tail:]), np.mean(curves[True][-tail:])
        print(f"mean of the last {tail}: float32 {f32:.4f}, bf16 {bf:.4f} ({100 * (bf / f32 - 1):+.1f} %)")


if __name__ == "__main__":
    main()
