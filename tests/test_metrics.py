import math

import numpy as np
import pytest
from hypothesis import given, settings as hsettings
from hypothesis import strategies as st

from whispersynth import metrics, settings, synth
from whispersynth.spec import FIELD, Patch

T = np.arange(48000) / 16000


def tone(freq: float, gain: float = 0.5, seed: int = 0) -> np.ndarray:
    noise = np.random.default_rng(seed).normal(0, 1e-3, T.size)
    return (gain * np.sin(2 * np.pi * freq * T) + noise).astype(np.float32)


@hsettings(max_examples=10, deadline=None, derandomize=True)
@given(st.floats(60, 4000), st.integers(0, 10))
def test_every_distance_is_zero_for_identical_audio(freq, seed):
    x = tone(freq, seed=seed)
    got = metrics.audio_distances(x, x)
    for name in ("mss", "logmel_l1", "spectral_convergence", "mfcc_l1"):
        assert got[name][0] == pytest.approx(0.0, abs=1e-6), name
    assert got["rms_cosine"][0] == pytest.approx(1.0, abs=1e-6)


@hsettings(max_examples=6, deadline=None, derandomize=True)
@given(st.floats(100, 1500))
def test_stft_distances_grow_with_a_detuning(freq):
    """A controlled difference: the same tone detuned by 0.25, 1 and 4 semitones. (Mel bands
    are wider than that, so log-mel and MFCC distances are not monotone in it: see below.)"""
    ref = tone(freq)
    others = np.stack([tone(freq * 2 ** (s / 12), seed=1) for s in (0.25, 1, 4)])
    for name in ("mss", "spectral_convergence"):
        d = metrics.AUDIO_METRICS[name](np.repeat(ref[None], 3, 0), others)
        assert np.all(np.diff(d) > 0), (name, d)


@hsettings(max_examples=6, deadline=None, derandomize=True)
@given(st.floats(60, 4000))
def test_every_distance_grows_with_added_noise(freq):
    """A controlled difference every metric sees: the tone plus noise at -50, -30 and -10 dB."""
    ref = tone(freq)
    rng = np.random.default_rng(1)
    noisy = np.stack([ref + rng.normal(0, 10 ** (db / 20), ref.size).astype(np.float32) for db in (-50, -30, -10)])
    for name, fn in metrics.AUDIO_METRICS.items():
        d = fn(np.repeat(ref[None], 3, 0), noisy)
        assert np.all(np.diff(d) < 0 if name == "rms_cosine" else np.diff(d) > 0), (name, d)


def test_distances_grow_with_a_gain_change_of_the_envelope():
    ref = tone(440)
    fades = np.stack([ref * np.linspace(1, 1 - k, T.size, dtype=np.float32) for k in (0.1, 0.4, 0.8)])
    mss = metrics.mss(np.repeat(ref[None], 3, 0), fades)
    cos = metrics.rms_cosine(np.repeat(ref[None], 3, 0), fades)
    assert np.all(np.diff(mss) > 0) and np.all(np.diff(cos) < 0)


def test_field_errors_in_producer_units():
    true = settings.parse(settings.format(Patch("Saw", 4, 0.2, "Lowpass", 1000, 0.01, 0.3, -6.0, 0.2,
                                                "Pitch", 5.0, 0.5, 60, 1.0)))
    pred = true.replace(waveform="Square", cutoff=2000, attack=0.02, sustain=-12.0, note=62, lfo_rate=4.0)
    e = metrics.field_errors(pred, true)
    assert e["waveform"] == 0.0 and e["voices"] == 1.0 and e["filter_type"] == 1.0
    assert e["cutoff"] == pytest.approx(12.0)  # an octave
    assert e["attack"] == pytest.approx(100.0)  # twice as long: 100 %
    assert e["sustain"] == pytest.approx(6.0) and e["note"] == 2.0
    assert e["lfo_rate"] == pytest.approx(20.0)
    no_filter = pred.replace(filter_type=None, cutoff=None)
    assert math.isnan(metrics.field_errors(no_filter, true)["cutoff"])


def test_audible_subset_follows_format_md():
    base = Patch("Saw", 4, 0.2, "Lowpass", 1000, 0.01, 0.3, -6.0, 0.2, "Pitch", 5.0, 0.5, 60, 1.0)
    assert all(heard for name, heard in metrics.audible(base).items() if FIELD[name].version == 1)
    assert not metrics.audible(base.replace(cutoff=7500))["cutoff"]  # nothing left to hear above 8 kHz
    assert not metrics.audible(base.replace(detune=0.01))["detune"]  # beats slower than one per 2 s
    assert not metrics.audible(base.replace(lfo_rate=0.1))["lfo_rate"]  # under one cycle in the clip
    assert not metrics.audible(base.replace(length=2.9, release=1.0))["release"]  # cut by the clip's end
    masked = metrics.audible_only(metrics.field_errors(base, base.replace(cutoff=7500)), base.replace(cutoff=7500))
    assert math.isnan(masked["cutoff"]) and masked["waveform"] == 1.0


def test_a_match_of_the_true_patch_scores_zero_and_a_wrong_waveform_does_not():
    p = Patch("Saw", 1, None, "Lowpass", 1500, 0.005, 0.4, -10.0, 0.3, None, None, None, 57, 1.2)
    x = synth.render(p)
    assert metrics.mss(x, synth.render(p))[0] == 0.0
    assert metrics.mss(x, synth.render(p.replace(waveform="Square")))[0] > 0.1


def test_audible_subset_of_version_2_lines():
    base = Patch("Saw", 4, 0.2, "Lowpass", 1000, 0.01, 0.3, -6.0, 0.2, "Pitch", 5.0, 0.5, 60, 1.0,
                 resonance=0.5, fenv_amount=24.0, fenv_attack=0.0, fenv_decay=0.3, fenv_sustain=-12.0, fenv_release=0.2,
                 osc2_wave="Square", osc2_semitones=-12, osc2_level=-6.0, noise=-20.0, penv_amount=12.0, penv_decay=0.05)
    assert all(heard for name, heard in metrics.audible(base).items() if FIELD[name].version <= 2)
    assert not metrics.audible(base.replace(cutoff=7500))["resonance"]  # a resonant peak above the clip's band
    assert not metrics.audible(base.replace(fenv_amount=0.5))["fenv_decay"]  # a sweep of half a semitone
    quiet = metrics.audible(base.replace(osc2_level=-50.0))
    assert not quiet["osc2_semitones"] and not quiet["osc2_wave"]  # masked by oscillator 1
    click = metrics.audible(base.replace(penv_decay=0.002))
    assert not click["penv_decay"] and not click["penv_amount"]
    off = base.replace(osc2_wave=None, osc2_semitones=None, osc2_level=None, penv_amount=None, penv_decay=None)
    heard = metrics.audible(off)
    assert heard["osc2_wave"] and heard["penv_amount"]  # "off" is scored: a second oscillator added is heard
    errors = metrics.field_errors(base, off)
    assert errors["osc2_wave"] == 0.0 and math.isnan(errors["osc2_level"]) and errors["noise"] == 0.0


def test_audible_subset_of_version_3_lines():
    base = Patch("Saw", 1, None, "Lowpass", 2000, 0.01, 0.3, -6.0, 0.2, None, None, None, 60, 1.0,
                 osc2_wave="Sine", osc2_semitones=12, osc2_level=-60.0, fm_amount=0.3,
                 dist_type="Soft Clip", dist_drive=12.0, dist_mix=80, chorus_rate=1.0, chorus_depth=40, chorus_mix=40,
                 delay_time=0.3, delay_feedback=40, delay_mix=25, reverb_decay=2.0, reverb_size=50,
                 reverb_damping=30, reverb_mix=30)
    assert all(heard for name, heard in metrics.audible(base).items() if FIELD[name].version == 3)
    assert not metrics.audible(base.replace(fm_amount=0.02))["fm_amount"]  # sidebands far down
    assert not metrics.audible(base.replace(dist_drive=-12.0))["dist_type"]  # not driven into the shaper
    assert not metrics.audible(base.replace(reverb_mix=5))["reverb_decay"]  # masked by the dry sound
    slow = metrics.audible(base.replace(chorus_rate=0.1))
    assert not slow["chorus_rate"] and slow["chorus_depth"]  # under one cycle in the clip, though it moves
    long = metrics.audible(base.replace(delay_time=2.0))
    assert long["delay_time"] and not long["delay_feedback"]  # one echo fits: no second to show the feedback
    off = metrics.audible(base.replace(reverb_decay=None, reverb_size=None, reverb_damping=None, reverb_mix=None))
    assert off["reverb_decay"] and not off["reverb_size"]  # "off" is scored; an absent size is not
