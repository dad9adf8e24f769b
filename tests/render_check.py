"""A render check that holds on every CPU: a small sketch of the audio, compared with a tolerance.

Renders are not bit-identical across machines: vita (Vital) uses the `rcpps` instruction,
whose approximation differs between CPU vendors, and soxr picks its SIMD path at run time.
So a stored render is not a hash of its float32 samples but a *sketch*: its projection on
`DIMS` fixed random directions (a Johnson-Lindenstrauss sketch, seeded, float64). The
sketch of a difference is the difference of the sketches, and its length is the length of
the waveform difference within a few tens of percent, so

    distance_db(a, b) = 20 log10(|sketch(a) - sketch(b)| / |sketch(b)|)

is the level of the waveform difference relative to the signal, read off 16 numbers a clip.

The tolerance `TOLERANCE_DB` sits between what was measured (tests/test_compat.py checks
both sides; tools/render_tolerance.py measures them and docs/FORMAT.md lists the figures):
float noise between instruction-set paths is at most -124.8 dB, and the smallest render
change one step of attack, sustain, cutoff, detune or LFO rate makes over 304 version-1
patches is -62.1 dB; a 0.1 dB change of level is -38.7 dB.
"""

from __future__ import annotations

import functools
import math

import numpy as np

DIMS = 16
SEED = 21  # the directions: standard normal, scaled so a sketch is as long as its waveform
TOLERANCE_DB = -90.0


@functools.cache
def _directions(n: int) -> np.ndarray:
    return np.random.default_rng(SEED).standard_normal((DIMS, n)) / math.sqrt(DIMS)


def sketch(audio: np.ndarray) -> list[float]:
    """The fixture's record of a mono clip: DIMS numbers (8 significant digits, -160 dB)."""
    x = np.asarray(audio, np.float64).ravel()
    return [float(f"{v:.8g}") for v in _directions(x.size) @ x]


def distance_db(audio: np.ndarray, recorded: list[float]) -> float:
    """The level of `audio` minus the recorded clip, relative to the recorded clip (dB)."""
    got, want = np.asarray(sketch(audio)), np.asarray(recorded)
    diff = float(np.linalg.norm(got - want))
    return -math.inf if diff == 0.0 else 20.0 * math.log10(diff / float(np.linalg.norm(want)))


def same_render(audio: np.ndarray, recorded: list[float]) -> bool:
    """Whether `audio` is the recorded render up to float noise (TOLERANCE_DB)."""
    return distance_db(audio, recorded) < TOLERANCE_DB
