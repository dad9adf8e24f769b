"""Search speed: renders per second inside `--refine`, and how fast it gets its gain.

For a few held-out-style clips (random patches rendered the standard way) the search starts
from a perturbed copy of the true patch (a stand-in for a network guess: its choices right,
its numbers off) with a fixed budget; reported: renders/s with the given workers, and the
median time and renders to reach 90 % of the final improvement. Measured side by side in the
same pool: the ceiling (bare standard renders, no scoring, no search) and the rate of ranking
a match's candidates (render + MSS of 8 patches at a time, as `match` does); the target is
search / ceiling >= 0.8.

    .venv/bin/python benchmarks/refine.py [--clips 6] [--seconds 15] [--workers 2]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from whispersynth import synth
from whispersynth.match import MatchOptions
from whispersynth.refine import free_fields, from_unit, refine, render_pool, to_unit
from whispersynth.data import draw_clip


def perturbed(p, rng):
    names = free_fields(p)
    return from_unit(p, names, to_unit(p, names) + rng.normal(0, 0.08, len(names)))


def _bare(p) -> int:
    return synth.render(p, normalize=False).size  # the render alone (a silent one is no error here)


def _rates(pool, workers: int, n: int = 96) -> tuple[float, float]:
    """Bare renders/s and ranking renders/s (8 candidates at a time) in the same pool."""
    from whispersynth.match import rank
    from whispersynth.model import Guess
    from whispersynth.sampler import clip_rng, sample_patch

    patches = [sample_patch(clip_rng(99, i)) for i in range(n)]  # random, as CMA-ES candidates are
    run = pool.map if pool is not None else lambda f, xs: [f(x) for x in xs]
    run(_bare, patches[: 2 * workers])  # warm: every worker has its renderer
    t0 = time.perf_counter()
    run(_bare, patches)
    ceiling = n / (time.perf_counter() - t0)
    target = synth.render(patches[0])
    t0 = time.perf_counter()
    for i in range(0, n, 8):
        rank(target, [Guess(p, 0.0) for p in patches[i : i + 8]], pool)
    return ceiling, n / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=MatchOptions().seconds)
    parser.add_argument("--workers", type=int, default=MatchOptions().workers)
    args = parser.parse_args()
    pool, renderer = render_pool(args.workers), synth.Renderer()
    rates, t90, r90, gains = [], [], [], []
    try:
        for i in range(args.clips):
            true, target, _ = draw_clip(renderer, 2024, i)  # a patch that does not render silent
            got = refine(target, [perturbed(true, np.random.default_rng(i))], seconds=args.seconds, pool=pool)
            rates.append(got.renders / got.seconds)
            gain = got.start_distance - got.distance
            gains.append(gain / got.start_distance if got.start_distance else 0.0)
            if gain > 0:
                t, r, _ = next(h for h in got.history if got.start_distance - h[2] >= 0.9 * gain)
                t90.append(t)
                r90.append(r)
            print(f"clip {i}: MSS {got.start_distance:.3f} -> {got.distance:.3f} in {got.renders} renders, "
                  f"{got.seconds:.1f} s")
        ceiling, ranking = _rates(pool, args.workers)
    finally:
        if pool is not None:
            pool.terminate()
    print(f"workers: {args.workers}, budget {args.seconds:.0f} s per clip")
    print(f"bare renders/s (ceiling): {ceiling:.1f}; ranking candidates: {ranking:.1f} renders/s "
          f"({ranking / ceiling:.2f} x)")
    print(f"search / ceiling: {np.median(rates) / ceiling:.2f} x")
    print(f"renders/s inside the search: median {np.median(rates):.1f}")
    print(f"MSS reduction: median {100 * np.median(gains):.0f} %")
    if t90:
        print(f"time to 90 % of the final improvement: median {np.median(t90):.1f} s ({np.median(r90):.0f} renders)")


if __name__ == "__main__":
    main()
