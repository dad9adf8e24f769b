"""Measure what the render check (tests/render_check.py) must tell apart, over the 304
version-1 texts of tests/fixtures/v1_renders.json:

- float noise: each clip rendered through soxr's scalar path (SOXR_USE_SIMD=0, another
  instruction set) against its SIMD path, as the level of the difference (dB re the clip);
- one step of a grid: each field moved one step (1 ms / 10 ms of a time, 0.5 dB of sustain,
  one 3 % cutoff bin, one semitone, one detune step, one 3 % LFO-rate bin) where it is on.

Usage: python tools/render_tolerance.py   (about a minute on 2 cores)
Prints, per row, the number of clips, how many renders a step left bit-identical (changes
no check can see: e.g. a decay with sustain at 0 dB), the smallest / 5th percentile /
median / largest level of the rest, by the full waveform and by the 16-number sketch, and
how many of the rest the check passes (below its tolerance): all of the noise, none of the steps,
ideally.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from render_check import TOLERANCE_DB, distance_db, sketch  # noqa: E402

from whispersynth import settings, synth  # noqa: E402

TEXTS = [r["text"] for r in json.loads((ROOT / "tests/fixtures/v1_renders.json").read_text())]


def _clips(renderer, patches) -> np.ndarray:
    return np.stack([synth.finish(renderer.render_vital(p), sample_rate=16000, stereo=False, normalize=False)
                     for p in patches]).astype(np.float64)


def _step(p, name):
    v = getattr(p, name)
    if v is None or (name == "sustain" and math.isinf(v)):
        return None
    up = {"attack": 0.001 if v < 1 else 0.01, "decay": 0.001 if v < 1 else 0.01,
          "release": 0.001 if v < 1 else 0.01, "sustain": 0.5, "note": 1, "detune": 0.01}
    if name in ("cutoff", "lfo_rate"):
        return p.replace(**{name: v * 1.03 if v * 1.03 <= 20000 else v / 1.03})
    moved = v + up[name]
    return p.replace(**{name: moved if moved <= {"sustain": 0.0, "detune": 1.0, "note": 127}.get(name, 10.0)
                        else v - up[name]})


def _db(x: float) -> float:
    return 20 * math.log10(x) if x > 0 else -math.inf


def _row(label: str, pairs: list[tuple[np.ndarray, np.ndarray]]) -> None:
    wave, sk, same = [], [], 0
    for a, b in pairs:
        if np.array_equal(a, b):
            same += 1
            continue
        wave.append(_db(np.linalg.norm(b - a) / np.linalg.norm(a)))
        sk.append(distance_db(b, sketch(a)))
    if not wave:
        print(f"{label:22s} {len(pairs):4d} {same:5d}")
        return
    w, s = np.array(wave), np.array(sk)
    print(f"{label:22s} {len(pairs):4d} {same:5d}   {w.min():7.1f} {np.percentile(w, 5):7.1f} {np.median(w):7.1f}"
          f" {w.max():7.1f}   {s.min():7.1f} {np.percentile(s, 5):7.1f} {np.median(s):7.1f} {s.max():7.1f}"
          f"   {int((s < TOLERANCE_DB).sum()):6d}")


def main() -> None:
    if sys.argv[1:] == ["--dump"]:  # the child: this process's renders, as .npy on stdout
        np.save(sys.stdout.buffer, _clips(synth.Renderer(), [settings.parse(t) for t in TEXTS]))
        return
    patches = [settings.parse(t) for t in TEXTS]
    base = _clips(synth.Renderer(), patches)
    env = {**os.environ, "SOXR_USE_SIMD": "0"}
    out = subprocess.run([sys.executable, __file__, "--dump"], env=env, capture_output=True, check=True).stdout
    scalar = np.load(__import__("io").BytesIO(out))
    print(f"tolerance {TOLERANCE_DB:.0f} dB; levels in dB re the clip\n"
          f"{'':22s} {'n':>4s} {'same':>5s}   {'wave:min':>7s} {'p5':>7s} {'median':>7s} {'max':>7s}   "
          f"{'sketch:min':>7s} {'p5':>7s} {'median':>7s} {'max':>7s}   {'passed':>6s}")
    _row("noise: soxr scalar", list(zip(base, scalar)))
    _row("level +0.1 dB", [(a, a * 10 ** (0.1 / 20)) for a in base])
    renderer = synth.Renderer()
    for name in ("attack", "decay", "sustain", "release", "cutoff", "note", "detune", "lfo_rate"):
        moved = [(i, q) for i, p in enumerate(patches) if (q := _step(p, name)) is not None]
        clips = _clips(renderer, [q for _, q in moved])
        _row(f"step: {name}", [(base[i], c) for (i, _), c in zip(moved, clips)])


if __name__ == "__main__":
    main()
