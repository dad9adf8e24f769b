"""Time per clip of the default `match` (no --refine) as a fraction of the clip's duration.

Figures measured in one run: the network alone (log-mel + constrained greedy decoding), for
single clips and for a batch; the default match (`match.find` with the default MatchOptions:
the network's candidates and the plain patches, each rendered and measured against the input
(MSS and log-mel L1) in the render pool, and 4 patches of the bank, ranked by MSS, by MSS x
log-mel when even the closest is far) and, side by side, the match without the bank ranked by MSS
(the default before 2026-12-07's tenth session);
the time to write every output file; the command's check of whether an input is a phrase
(`phrase.notes_of`); and the peak memory (RSS) of the process. Uses the
bundled model, or `--model DIR`. Targets: the network within 100 ms per 3 s clip, the whole
default match within 1.5 s per clip after start-up.

    .venv/bin/python benchmarks/match.py [--model DIR] [--clips 32]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from whispersynth import match, phrase, synth
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
    o = match.MatchOptions()
    other = replace(o, retrieve=0, ranking="mss")  # side by side: the match before the bank
    with match.search_pool(o) as pool:  # as the command has it: started once, before the first clip
        pool and pool.map(abs, range(o.workers))  # its processes are up (start-up, not per clip)
        match.bank_of(o)  # the bank is read once a process, at start-up (as the command's check reads it)
        t0 = time.perf_counter()
        found = [match.find(c, net, vocab, o, pool)[0] for c in clips]
        whole = (time.perf_counter() - t0) / len(clips)
        t0 = time.perf_counter()
        for c in clips:
            match.find(c, net, vocab, other, pool)
        whole_other = (time.perf_counter() - t0) / len(clips)
        with tempfile.TemporaryDirectory() as out:
            t0 = time.perf_counter()
            for i, (c, f) in enumerate(zip(clips, found)):
                match.write_match(Path(out), f"clip{i}", c, f, pool=pool)  # as the command: previews render in the pool
            writing = (time.perf_counter() - t0) / len(clips)
    phrase.notes_of(clips[0])  # warm-up: librosa's first call compiles
    t0 = time.perf_counter()
    phrases = sum(phrase.notes_of(c) is not None for c in clips)
    check = (time.perf_counter() - t0) / len(clips)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"{len(clips)} clips of {CLIP_SECONDS:.0f} s; fraction of real time = seconds per clip / {CLIP_SECONDS:.0f} s")
    print(f"network, one clip at a time:   {1000 * single:6.1f} ms/clip  = 1/{CLIP_SECONDS / single:.0f} of real time")
    print(f"network, batch of {len(clips):3d}:        {1000 * batched:6.1f} ms/clip  = 1/{CLIP_SECONDS / batched:.0f} of real time")
    print(f"default match ({o.search}, {o.candidates} candidates rendered and ranked, {o.workers} workers): "
          f"{1000 * whole:6.1f} ms/clip  = 1/{CLIP_SECONDS / whole:.0f} of real time")
    print(f"  --retrieve {other.retrieve} --rank-by {other.ranking} instead: {1000 * whole_other:6.1f} ms/clip "
          f"({whole_other / whole:.2f}x the default)")
    print(f"writing its files (.txt .vital .fxp .match.wav .preview.wav .png): {1000 * writing:6.1f} ms/clip")
    print(f"the command's phrase check (is it one note? YIN first, pYIN only if it may be a phrase): "
          f"{1000 * check:6.1f} ms/clip ({phrases} of {len(clips)} single notes taken for phrases)")
    print(f"whole default match after start-up: {whole + writing + check:.2f} s/clip (target <= 1.5 s)")
    print(f"peak RSS: {rss:.0f} MB")


if __name__ == "__main__":
    main()
