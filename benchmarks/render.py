"""Render speed: renders per second on one core and on all cores, the ratio of
`render(patch)` (setting the patch included) to a bare `synth.render` of the same note on a
synth already set (the irreducible cost), and what each version-3 line costs when on (the same
version-2 patches with one line added, in turns), measured side by side in one run.

    .venv/bin/python benchmarks/render.py [--n 200]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import time

from whispersynth import synth
from whispersynth.sampler import clip_rng, sample_patch


def _patches(n: int, seed: int = 123) -> list:
    return [sample_patch(clip_rng(seed, i)) for i in range(n)]


def side_by_side(n: int) -> tuple[float, float]:
    """Seconds per clip for render(patch) and for a bare synth.render of the same note."""
    renderer = synth.Renderer()
    ours = bare = 0.0
    for p in _patches(n):
        t0 = time.perf_counter()
        synth.finish(renderer.render_vital(p), sample_rate=synth.SAMPLE_RATE, stereo=False, normalize=False)
        t1 = time.perf_counter()
        renderer._synth.render(p.note, 1.0, p.length, synth.CLIP_SECONDS)  # same note, synth already set
        t2 = time.perf_counter()
        ours, bare = ours + t1 - t0, bare + t2 - t1
    return ours / n, bare / n


# One typical setting of each version-3 line, added to every patch in its turn.
EFFECTS = {
    "FM": dict(osc2_wave="Sine", osc2_semitones=12, osc2_level=-60.0, fm_amount=0.3),
    "Distortion": dict(dist_type="Soft Clip", dist_drive=12.0, dist_mix=100),
    "Chorus": dict(chorus_rate=0.8, chorus_depth=50, chorus_mix=50),
    "Delay": dict(delay_time=0.375, delay_feedback=40, delay_mix=25),
    "Reverb": dict(reverb_decay=2.5, reverb_size=60, reverb_damping=40, reverb_mix=30),
}


def effect_costs(n: int) -> dict[str, float]:
    """Seconds per clip of n version-2 patches as drawn (every effect off), with each line on in
    turn (and with oscillator 2 on, FM's share of it), interleaved patch by patch."""
    renderer = synth.Renderer()
    plain = [sample_patch(clip_rng(321, i), version=2) for i in range(n)]
    variants = {"off": {}, "Oscillator 2 alone": {k: v for k, v in EFFECTS["FM"].items() if k != "fm_amount"},
                **EFFECTS}
    totals = dict.fromkeys(variants, 0.0)
    for p in plain:
        for name, changes in variants.items():
            q = p.replace(**changes)
            t0 = time.perf_counter()
            renderer.render_vital(q)
            totals[name] += time.perf_counter() - t0
    return {name: total / n for name, total in totals.items()}


def _worker(args: tuple[int, int]) -> int:
    start, count = args
    renderer = synth.Renderer()
    for i in range(start, start + count):
        renderer.render_vital(sample_patch(clip_rng(7, i)))
    return count


def throughput(n: int, workers: int) -> float:
    """Renders per second with `workers` processes (one synth each), start-up excluded."""
    with mp.get_context("spawn").Pool(workers) as pool:
        pool.map(_worker, [(10**6 + w, 2) for w in range(workers)])  # warm up: imports, synth
        t0 = time.perf_counter()
        done = sum(pool.map(_worker, [(w * n, n // workers) for w in range(workers)]))
        return done / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="renders per measurement")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    ours, bare = side_by_side(args.n)
    one = throughput(args.n, 1)
    many = throughput(args.n * cores, cores)
    print(f"render(patch):        {1000 * ours:7.1f} ms/clip (3 s clip, 44.1 kHz render, 16 kHz out)")
    print(f"bare synth.render:    {1000 * bare:7.1f} ms/clip (same note and length, synth already set)")
    print(f"ratio bare/ours:      {bare / ours:7.2f}  (target >= 0.8)")
    print(f"1 core:               {one:7.1f} renders/s")
    print(f"{cores} cores:              {many:7.1f} renders/s  ({many / one:.2f}x one core)")
    costs = effect_costs(args.n // 2)
    for name, seconds in costs.items():
        print(f"{name + ':':22s}{1000 * seconds:7.1f} ms/render  ({seconds / costs['off']:.2f}x every effect off)")


if __name__ == "__main__":
    main()
