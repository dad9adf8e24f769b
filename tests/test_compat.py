"""Version-1 files keep their meaning: every version-1 patch parses, writes, tokenizes and
renders exactly as it did before version 2 (hashes recorded by the version-1 code).

The fixture is made by `python tests/test_compat.py --write` and must only be rewritten
when a change of version-1 meaning is intended (and said in docs/FORMAT.md)."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest

FIXTURE = Path(__file__).parent / "fixtures" / "v1_renders.json"
SEED, COUNT = 2026, 300
SEED_EXAMPLES = (  # the original project's four examples (docs/FORMAT.md)
    "Waveform: Sine\nVoices: 1\nOscillator Detune: None\nFilter Type: Highpass\nFilter Cutoff: 3000Hz\n"
    "ADSR Envelope: Attack: 400ms, Decay: 900ms, Sustain: -12 dB, Release: 600ms\nLFO Modulation: None\n",
    "Waveform: Saw\nVoices: 3\nOscillator Detune: 0.10\nFilter Type: N/A\nFilter Cutoff: N/A\n"
    "ADSR Envelope: Attack: 300ms, Decay: 1.00s, Sustain: -12 dB, Release: 500ms\nLFO Modulation: None\n",
    "Waveform: Square\nVoices: 1\nOscillator Detune: None\nFilter Type: N/A\nFilter Cutoff: N/A\n"
    "ADSR Envelope: Attack: 150ms, Decay: 1.50s, Sustain: -3 dB, Release: 200ms\nLFO Modulation: None\n",
    "Waveform: Square\nVoices: 1\nOscillator Detune: None\nFilter Type: Bandpass\nFilter Cutoff: 368Hz\n"
    "ADSR Envelope: Attack: 244ms, Decay: 583ms, Sustain: -0.6 dB, Release: 894ms\nLFO Modulation: None\n",
)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def v1_texts() -> list[str]:
    """The seed's examples and COUNT version-1 patches written by the version-1 writer
    (stored in the fixture, so the texts themselves are version 1's)."""
    from whispersynth import settings
    from whispersynth.sampler import sample_patch

    rng = np.random.default_rng(SEED)
    return list(SEED_EXAMPLES) + [settings.format(sample_patch(rng, version=1)) for _ in range(COUNT)]


def record(text: str, renderer) -> dict:
    """What a version-1 text means now: its canonical text, version-1 tokens, render and .fxp."""
    from whispersynth import serum, settings, synth
    from whispersynth.tokens import Vocab

    p = settings.parse(text)
    audio = synth.finish(renderer.render_vital(p), sample_rate=16000, stereo=False, normalize=False)
    return {"text": text, "format": settings.format(p), "tokens": Vocab.version(1).encode(p),
            "render": _sha(np.ascontiguousarray(audio, "<f4").tobytes()),
            "fxp": _sha(serum.to_fxp(p))}


@pytest.fixture(scope="module")
def reference() -> list[dict]:
    return json.loads(FIXTURE.read_text())


def test_version_1_sampler_draws_as_before(reference):
    assert v1_texts() == [r["text"] for r in reference]


def test_v1_files_mean_what_they_meant(reference):
    from whispersynth import synth

    renderer = synth.Renderer()
    for want in reference:
        got = record(want["text"], renderer)
        assert got == want, want["text"]


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    from whispersynth import synth

    r = synth.Renderer()
    FIXTURE.write_text(json.dumps([record(t, r) for t in v1_texts()], indent=0) + "\n")
