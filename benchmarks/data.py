"""Dataset generation speed against its ceiling, and memory as the dataset grows.

Clips per second of `whispersynth data generate` with all cores, versus the ceiling measured
in the same run on the same cores: bare `synth.render` calls of the same notes and lengths on
synths already set. Peak RSS (the largest process) is reported for two dataset sizes.

    .venv/bin/python benchmarks/data.py [--n 400]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import time

from whispersynth import synth
from whispersynth.sampler import clip_rng, sample_patch

SEED = 42


def _bare(args: tuple[int, int]) -> int:
    start, count = args
    renderer = synth.Renderer()
    renderer.render_vital(sample_patch(clip_rng(SEED, start)))  # set once, then bare renders
    for i in range(start, start + count):
        p = sample_patch(clip_rng(SEED, i))
        renderer._synth.render(p.note, 1.0, p.length, synth.CLIP_SECONDS)
    return count


def ceiling(n: int, workers: int) -> float:
    with mp.get_context("spawn").Pool(workers) as pool:
        pool.map(_bare, [(10**6 + w, 1) for w in range(workers)])
        t0 = time.perf_counter()
        done = sum(pool.map(_bare, [(w * (n // workers), n // workers) for w in range(workers)]))
        return done / (time.perf_counter() - t0)


GENERATE = """
import resource, sys, time
from pathlib import Path
from whispersynth import data
spec = data.DatasetSpec(n=int(sys.argv[2]), seed={seed}, part_size=int(sys.argv[3]))
t = time.perf_counter()
data.generate(Path(sys.argv[1]), spec, workers=int(sys.argv[4]), progress=False)
rss = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
print(time.perf_counter() - t, rss)
"""


def generate(n: int, workers: int, part_size: int) -> tuple[float, float]:
    """(clips/s, peak RSS in MB of the largest process) of one generate run in a subprocess."""
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([sys.executable, "-c", GENERATE.format(seed=SEED), tmp, str(n), str(part_size),
                              str(workers)], capture_output=True, text=True, check=True)
        seconds, rss_kb = out.stdout.split()[-2:]
        return n / float(seconds), float(rss_kb) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=400, help="clips in the speed run")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    top = ceiling(args.n, cores)
    speed, _ = generate(args.n, cores, part_size=100)
    print(f"generate, {cores} workers:   {speed:7.1f} clips/s (pool start-up included)")
    print(f"ceiling, {cores} processes:  {top:7.1f} clips/s (bare synth.render, synths already set)")
    print(f"ratio:                  {speed / top:7.2f}  (target >= 0.8)")
    for n in (args.n // 4, args.n):
        _, rss = generate(n, cores, part_size=100)
        print(f"peak RSS, n={n:6d}:      {rss:7.0f} MB (largest process)")


if __name__ == "__main__":
    main()
