"""The standard render measured against docs/FORMAT.md: each field's meaning, heard in the audio."""

import hashlib
import json
import math
import subprocess
import sys

import numpy as np
import pytest
import vita
from scipy.signal import hilbert

from whispersynth import settings, synth
from whispersynth.errors import AudioError
from whispersynth.spec import FIELDS, Patch, midi_to_hz

SR = synth.SAMPLE_RATE


def patch(**changes) -> Patch:
    base = dict(waveform="Sine", voices=1, detune=None, filter_type=None, cutoff=None,
                attack=0.005, decay=0.1, sustain=0.0, release=0.05,
                lfo_target=None, lfo_rate=None, lfo_depth=None, note=60, length=2.0)
    return Patch(**{**base, **changes})


def raw(p: Patch) -> np.ndarray:
    return synth.render(p, normalize=False)


def spectrum(x: np.ndarray, pad: int = 4) -> tuple[np.ndarray, np.ndarray]:
    mags = np.abs(np.fft.rfft(x * np.hanning(len(x)), pad * len(x)))
    return np.fft.rfftfreq(pad * len(x), 1 / SR), mags


def peak(freqs, mags, f0: float, tol: float = 0.01) -> float:
    return mags[(freqs > f0 * (1 - tol)) & (freqs < f0 * (1 + tol))].max()


def harmonics(x: np.ndarray, f0: float, n: int) -> np.ndarray:
    freqs, mags = spectrum(x)
    return np.array([peak(freqs, mags, f0 * k) for k in range(1, n + 1)])


def db(x):
    return 20 * np.log10(np.maximum(x, 1e-12))


def envelope_db(x: np.ndarray) -> np.ndarray:
    return db(np.abs(hilbert(x)))


def rising_crossings(track: np.ndarray, rate: float) -> np.ndarray:
    """Times where a periodic track crosses its mean going up (linear interpolation)."""
    y = track - (track.max() + track.min()) / 2
    i = np.flatnonzero((y[:-1] < 0) & (y[1:] >= 0))
    return (i + y[i] / (y[i] - y[i + 1])) / rate


def period_rate(track: np.ndarray, rate: float) -> float:
    t = rising_crossings(track, rate)
    return (len(t) - 1) / (t[-1] - t[0])


def test_mapping_covers_every_field():
    assert set(synth.MAPPING) == {f.name for f in FIELDS}
    names = set(vita.Synth().get_controls())
    p = patch(voices=3, detune=0.5, filter_type="Lowpass", cutoff=500,
              lfo_target="Volume", lfo_rate=2.0, lfo_depth=6.0)
    assert set(synth.controls(p)) <= names
    valid = set(vita.get_modulation_destinations())
    assert all(dest in valid for dest, _, _ in synth.ROUTES.values())


# --- determinism -------------------------------------------------------------------------

B = patch(waveform="Saw", voices=4, detune=0.3, filter_type="Lowpass", cutoff=800,
          lfo_target="Volume", lfo_rate=5.0, lfo_depth=12.0, sustain=-6.0, note=57)
OTHERS = (
    patch(waveform="Square", release=10.0, length=2.9, sustain=0.0, note=57),
    patch(waveform="Triangle", voices=16, detune=1.0, filter_type="Highpass", cutoff=3000,
          lfo_target="Filter Cutoff", lfo_rate=40.0, lfo_depth=48.0, release=10.0, length=10.0),
    patch(lfo_target="Pitch", lfo_rate=0.3, lfo_depth=24.0, attack=3.0, note=100),
)


def test_render_is_order_independent():
    first = synth.render(B)
    for other in OTHERS * 18:  # more renders than Vital has voices (33): voices are reused
        synth.render(other)
    assert np.array_equal(synth.render(B), first)
    assert np.array_equal(synth.Renderer().render_vital(B), synth.Renderer().render_vital(B))


def test_render_is_identical_in_a_fresh_process():
    code = ("import hashlib, sys\nfrom whispersynth import settings, synth\n"
            f"audio = synth.render(settings.parse({settings.format(B)!r}))\n"
            "sys.stdout.write(hashlib.sha256(audio.tobytes()).hexdigest())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == hashlib.sha256(synth.render(B).tobytes()).hexdigest()


def test_render_shapes_peak_and_silence():
    x = synth.render(B)
    assert x.shape == (48000,) and x.dtype == np.float32
    assert abs(np.abs(x).max() - 10 ** (-1 / 20)) < 1e-6
    wide = synth.render(B, sample_rate=44100, stereo=True, normalize=False)
    assert wide.shape == (2, 132300)
    with pytest.raises(AudioError):
        synth.render(patch(filter_type="Highpass", cutoff=20000))  # ~ -80 dBFS at C4


# --- oscillator --------------------------------------------------------------------------

@pytest.mark.parametrize("waveform", ["Sine", "Triangle", "Saw", "Square"])
def test_waveform_harmonics(waveform):
    f0 = midi_to_hz(36)
    h = harmonics(raw(patch(waveform=waveform, note=36))[8000:32000], f0, 9)
    rel = db(h / h[0])
    n = np.arange(1, 10)
    odd, even = n % 2 == 1, n % 2 == 0
    if waveform == "Sine":
        assert rel[1:].max() < -60
        return
    expected = {"Triangle": 1 / n**2, "Saw": 1 / n, "Square": 1 / n}[waveform]
    check = odd if waveform in ("Triangle", "Square") else n > 0
    assert np.abs(rel[check] - db(expected[check])).max() < 1.0
    if waveform != "Saw":
        assert rel[even].max() < -40


@pytest.mark.parametrize("voices,detune", [(4, 1.0), (5, 0.3), (16, 0.8)])
def test_unison_spread_and_equal_levels(voices, detune):
    note = 81
    x = raw(patch(voices=voices, detune=detune, note=note, length=3.0))[4000:]
    freqs, mags = spectrum(x, pad=8)
    f0 = midi_to_hz(note)
    window = (freqs > f0 * 2 ** (-1.5 * detune / 12)) & (freqs < f0 * 2 ** (1.5 * detune / 12))
    local_max = (mags[1:-1] > mags[:-2]) & (mags[1:-1] > mags[2:]) & window[1:-1]
    strong = local_max & (mags[1:-1] > 0.3 * mags[window].max())
    partials = freqs[1:-1][strong]
    assert len(partials) == voices
    semitones = 12 * np.log2(partials / f0)
    assert semitones[0] == pytest.approx(-detune, abs=0.02)
    assert semitones[-1] == pytest.approx(detune, abs=0.02)
    assert np.ptp(db(mags[1:-1][strong])) < 1.0  # equal levels


# --- filter ------------------------------------------------------------------------------

SOURCE = dict(waveform="Saw", note=24, length=3.0)  # harmonics every 32.7 Hz up to 8 kHz


def gains(filter_type: str, cutoff: int) -> tuple[np.ndarray, np.ndarray]:
    f0 = midi_to_hz(24)
    n = int(7800 // f0)
    dry = harmonics(raw(patch(**SOURCE))[8000:40000], f0, n)
    wet = harmonics(raw(patch(**SOURCE, filter_type=filter_type, cutoff=cutoff))[8000:40000], f0, n)
    return f0 * np.arange(1, n + 1), db(wet / dry)


def crossing(freqs, g, level, rising: bool) -> float:
    """Frequency where the gain curve crosses `level`, interpolated in log frequency."""
    above = g >= level
    i = np.flatnonzero(above[1:] != above[:-1])
    i = i[(g[i + 1] > g[i]) == rising][0]
    t = (level - g[i]) / (g[i + 1] - g[i])
    return float(np.exp(np.log(freqs[i]) + t * np.log(freqs[i + 1] / freqs[i])))


@pytest.mark.parametrize("cutoff", [300, 1000, 3000])
def test_lowpass_and_highpass_minus_3db_at_cutoff(cutoff):
    freqs, g = gains("Lowpass", cutoff)
    assert crossing(freqs, g, g[0] - 3, rising=False) == pytest.approx(cutoff, rel=0.05)
    # Highpass: relative to its passband maximum (Vital's passband has a ~1 dB hump).
    freqs, g = gains("Highpass", cutoff)
    assert crossing(freqs, g, g.max() - 3, rising=True) == pytest.approx(cutoff, rel=0.05)


@pytest.mark.parametrize("cutoff", [300, 1000, 3000])
def test_bandpass_centre_at_cutoff(cutoff):
    freqs, g = gains("Bandpass", cutoff)
    lo = crossing(freqs, g, g.max() - 3, rising=True)
    hi = crossing(freqs, g, g.max() - 3, rising=False)
    assert math.sqrt(lo * hi) == pytest.approx(cutoff, rel=0.05)  # symmetric in log f
    assert hi / lo == pytest.approx(1.932 / 0.518, rel=0.15)  # Q = 0.707


# --- envelope ----------------------------------------------------------------------------

@pytest.mark.parametrize("attack", [0.05, 0.3, 1.2])
def test_attack_reaches_peak_at_attack_time(attack):
    e = envelope_db(raw(patch(note=69, attack=attack, decay=1.0, sustain=-12.0)))
    assert np.argmax(e[: int(SR * 2)]) / SR == pytest.approx(attack, rel=0.15)


@pytest.mark.parametrize("release", [0.1, 0.4, 1.5])
def test_release_reaches_silence_at_release_time(release):
    length = 0.5
    e = envelope_db(raw(patch(note=69, release=release, length=length)))
    held = np.median(e[int(0.2 * SR): int(length * SR)])
    after = e[int(length * SR):] - held
    t60 = np.argmax(after < -60) / SR  # Vital ends at exactly R; -60 dB comes 4-9 % earlier
    assert t60 == pytest.approx(release, rel=0.15)


@pytest.mark.parametrize("sustain", [0.0, -6.0, -20.0, -40.0])
def test_sustain_level_relative_to_peak(sustain):
    e = envelope_db(raw(patch(note=69, attack=0.01, decay=0.2, sustain=sustain)))
    level = np.median(e[int(1.0 * SR): int(1.8 * SR)]) - e[: int(0.1 * SR)].max()
    assert level == pytest.approx(sustain, abs=1.0)


# --- LFO ---------------------------------------------------------------------------------

@pytest.mark.parametrize("rate,depth", [(3.0, 2.0), (7.5, 0.5)])
def test_pitch_lfo_rate_depth_and_phase(rate, depth):
    x = raw(patch(note=69, length=3.0, lfo_target="Pitch", lfo_rate=rate, lfo_depth=depth))
    inst = np.diff(np.unwrap(np.angle(hilbert(x)))) * SR / (2 * np.pi)
    st = 12 * np.log2(np.maximum(inst, 1.0) / 440.0)
    st = np.convolve(st, np.ones(32) / 32, mode="same")[800:-800]  # drop edge effects
    assert period_rate(st, SR) == pytest.approx(rate, rel=0.05)
    assert (st.max() - st.min()) / 2 == pytest.approx(depth, rel=0.1)
    assert rising_crossings(st, SR)[0] + 800 / SR == pytest.approx(1 / rate, abs=0.1 / rate)


def test_volume_lfo_rate_depth_and_phase():
    rate, depth = 2.0, 20.0
    e = envelope_db(raw(patch(note=69, length=3.0, lfo_target="Volume", lfo_rate=rate,
                              lfo_depth=depth)))[800:-800]
    assert period_rate(e, SR) == pytest.approx(rate, rel=0.05)
    assert e.max() - e.min() == pytest.approx(depth, abs=1.0)
    t = (np.arange(len(e)) + 800) / SR  # gain in dB = -d (1 - sin(2 pi f t)) / 2
    model = e.max() - depth * (1 - np.sin(2 * np.pi * rate * t)) / 2
    assert np.sqrt(np.mean((e - model) ** 2)) < 0.5


def test_cutoff_lfo_rate_and_depth():
    rate, depth = 2.5, 12.0
    x = raw(patch(**SOURCE, filter_type="Lowpass", cutoff=800, lfo_target="Filter Cutoff",
                  lfo_rate=rate, lfo_depth=depth))
    hop = 80  # spectral centroid every 5 ms
    frames = np.lib.stride_tricks.sliding_window_view(x, 1024)[::hop] * np.hanning(1024)
    mags = np.abs(np.fft.rfft(frames, axis=1))
    centroid = mags @ np.fft.rfftfreq(1024, 1 / SR) / mags.sum(axis=1)
    track = 12 * np.log2(centroid[20:])
    assert period_rate(track, SR / hop) == pytest.approx(rate, rel=0.05)
    assert 0.5 * depth < (track.max() - track.min()) / 2 < 1.2 * depth


# --- preset ------------------------------------------------------------------------------

def test_preset_is_complete_loads_and_renders_the_same():
    p = patch(waveform="Square", voices=3, detune=0.2, filter_type="Bandpass", cutoff=600,
              attack=0.2, decay=0.5, sustain=-9.0, release=0.7,
              lfo_target="Volume", lfo_rate=4.0, lfo_depth=30.0, note=50, length=1.5)
    preset = synth.to_vital(p)
    assert set(preset) == set(json.loads(vita.Synth().to_json()))
    assert preset["synth_version"] == "1.5.5"
    assert {"wavetables", "lfos", "modulations", "sample"} <= set(preset["settings"])
    assert json.loads(synth.preset_json(p)) == preset
    assert vita.Synth().load_json(synth.preset_json(p))
    audio = synth.render_preset(preset, p.note, p.length)
    again = synth.finish(audio, sample_rate=SR, stereo=False, normalize=True)
    assert np.array_equal(again, synth.render(p))
