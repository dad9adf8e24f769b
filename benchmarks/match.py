"""Time per clip of `match` (network only, no search) as a fraction of the clip's duration.

Figures measured in one run: the network alone (log-mel + constrained greedy decoding), for
single clips and for a batch, and the default match (`match.find` with the default
MatchOptions: beam search, every beam rendered and ranked by MSS to the input); plus the peak
memory (RSS) of the process. Uses the bundled model, or `--model DIR`. Target: the
network within 1/30 of real time (100 ms for a 3 s clip).

    .venv/bin/python benchmarks/match.py [--model DIR] [--clips 32]
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from whispersynth import match, synth
from whispersynth import model as M
from whispersynth.audio import CLIP_SECONDS
from whispersynth.data import draw_clip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="model folder (default: the bundled model)")
    parser.add_argument("--clips", type=int, default=32)
    args = parser.parse_args()
    net, vocab = match.load_model(args.model)
    renderer = synth.Renderer()  # random patches that do not render silent, as in a dataset
    clips = np.stack([draw_clip(renderer, 77, i)[1] for i in range(args.clips)])
    M.predict(net, vocab, clips[:2])  # warm-up

    t0 = time.perf_counter()
    for c in clips:
        M.predict(net, vocab, c)
    single = (time.perf_counter() - t0) / len(clips)
    t0 = time.perf_counter()
    M.predict(net, vocab, clips)
    batched = (time.perf_counter() - t0) / len(clips)
    t0 = time.perf_counter()
    for c in clips:
        match.find(c, net, vocab, match.MatchOptions())
    whole = (time.perf_counter() - t0) / len(clips)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"{len(clips)} clips of {CLIP_SECONDS:.0f} s; fraction of real time = seconds per clip / {CLIP_SECONDS:.0f} s")
    print(f"network, one clip at a time:   {1000 * single:6.1f} ms/clip  = 1/{CLIP_SECONDS / single:.0f} of real time")
    print(f"network, batch of {len(clips):3d}:        {1000 * batched:6.1f} ms/clip  = 1/{CLIP_SECONDS / batched:.0f} of real time")
    beams = match.MatchOptions().beams
    print(f"default match ({beams} beams, rendered and ranked): {1000 * whole:6.1f} ms/clip  = 1/{CLIP_SECONDS / whole:.0f} of real time")
    print(f"peak RSS: {rss:.0f} MB")


if __name__ == "__main__":
    main()
