import numpy as np
import torch

from whispersynth import augment, features, synth
from whispersynth.audio import PEAK, SAMPLE_RATE
from whispersynth.settings import parse

NOTE = """Waveform: Saw
Voices: 1
Oscillator Detune: None
Filter Type: N/A
Filter Cutoff: N/A
ADSR Envelope: Attack: 5ms, Decay: 300ms, Sustain: -12 dB, Release: 100ms
LFO Modulation: None
Note: A3, Length: 500ms
"""


def clip(text: str = NOTE) -> torch.Tensor:
    return torch.from_numpy(synth.render(parse(text)))


def only(name: str, seed: int = 0, x: torch.Tensor | None = None) -> torch.Tensor:
    return augment.one(clip() if x is None else x, torch.Generator().manual_seed(seed), {name: 1.0})


def spectrum(x: torch.Tensor) -> torch.Tensor:
    return torch.fft.rfft(x).abs()


def band(x: torch.Tensor, lo: float, hi: float) -> float:
    f = torch.fft.rfftfreq(x.numel(), 1 / SAMPLE_RATE)
    return float(spectrum(x)[(f >= lo) & (f < hi)].pow(2).sum())


def tail_energy(x: torch.Tensor) -> float:
    return float(x[int(1.0 * SAMPLE_RATE):].pow(2).sum())  # the note is gone (release) after ~0.6 s


def test_each_process_does_what_it_says_and_the_clip_keeps_the_standard_peak():
    x = clip()
    assert tail_energy(x) < 1e-6
    for name in ("room", "plate"):
        assert tail_energy(only(name)) > 1e-3, name  # a reverb tail after the note's release
    ratios = [band(only("tilt", s), 2000, 8000) / band(only("tilt", s), 100, 500) for s in range(6)]
    plain = band(x, 2000, 8000) / band(x, 100, 500)
    assert min(ratios) < 0.7 * plain and max(ratios) > 1.4 * plain  # tilted both ways
    assert tail_energy(only("noise")) > 0  # a floor where there was silence
    assert band(only("codec"), 7600, 8000) < 1e-3 * band(x, 7600, 8000)  # band-limited
    sine = clip(NOTE.replace("Saw", "Sine"))
    sat = only("saturate", x=sine)
    assert band(sat, 400, 8000) > 100 * band(sine, 400, 8000)  # harmonics of a 220 Hz sine
    delayed = only("shift")
    onset = lambda y: int(torch.nonzero(y.abs() > 1e-4)[0])  # noqa: E731
    assert 0 < onset(delayed) - onset(x) <= augment.MAX_SHIFT
    for name in augment.CHANCES:
        y = only(name)
        assert y.shape == x.shape and torch.isfinite(y).all()
        assert abs(float(y.abs().max()) - PEAK) < 1e-4, name


def test_the_stereo_sum_is_a_comb_filter():
    x, y = clip(), only("stereo", 3)
    ratio = spectrum(y)[1:] / spectrum(x)[1:].clamp_min(1e-3)
    loud = spectrum(x)[1:] > 0.01 * spectrum(x).max()
    assert float(ratio[loud].min()) < 0.5 * float(ratio[loud].max())  # notches and peaks


def test_draws_follow_their_chances_are_seeded_and_leave_the_label_alone():
    x = clip().repeat(3, 1)
    a = augment.batch(x, torch.Generator().manual_seed(5))
    b = augment.batch(x, torch.Generator().manual_seed(5))
    assert torch.equal(a, b)
    assert not torch.equal(a[0], a[1]) or not torch.equal(a[1], a[2])  # each clip its own draw
    untouched = augment.one(clip(), torch.Generator().manual_seed(1), {name: 0.0 for name in augment.CHANCES})
    assert torch.allclose(untouched, clip(), atol=1e-6)
    # what the network hears changes: the augmented clip's features move off the dry one's
    front = features.front_end(2, "envelope")
    dry, wet = front(clip()[None]), front(only("room")[None])
    assert float((dry - wet).abs().mean()) > 0.01
