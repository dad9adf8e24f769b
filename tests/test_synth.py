"""The standard render measured against docs/FORMAT.md: each field's meaning, heard in the audio."""

import functools
import hashlib
import json
import math
import subprocess
import sys

import numpy as np
import pytest
import vita
from scipy.interpolate import PchipInterpolator
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


def spectrum(x: np.ndarray, pad: int = 4, rate: int = SR) -> tuple[np.ndarray, np.ndarray]:
    mags = np.abs(np.fft.rfft(x * np.hanning(len(x)), pad * len(x)))
    return np.fft.rfftfreq(pad * len(x), 1 / rate), mags


def peak(freqs, mags, f0: float, tol: float = 0.01) -> float:
    return mags[(freqs > f0 * (1 - tol)) & (freqs < f0 * (1 + tol))].max()


def harmonics(x: np.ndarray, f0: float, n: int, rate: int = SR) -> np.ndarray:
    freqs, mags = spectrum(x, rate=rate)
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


# --- version 2: raw renders at Vital's rate ----------------------------------------------
# A patch cannot switch oscillator 1 off: these renders set its level control to 0 where the
# new sources are measured alone, on a Renderer of their own that sets it back every render.

VR = synth.VITAL_RATE


@functools.cache
def vital_renderer() -> tuple[synth.Renderer, float]:
    """The Renderer, made on first use (not at import), and oscillator 1's level control."""
    return synth.Renderer(), json.loads(synth._base_preset())["settings"]["osc_1_level"]


def vital(p: Patch, seconds: float = 1.0, osc_1: bool = True) -> np.ndarray:
    """Left channel at 44.1 kHz (float64), note-on at 0; oscillator 1 silent unless osc_1."""
    r, level = vital_renderer()
    values = {**synth.controls(p), "osc_1_level": level if osc_1 else 0.0}
    return synth._play(r._synth, r._knobs, values, p.note, p.length, seconds)[0].astype(float)


def to_sr(x: np.ndarray) -> np.ndarray:
    return synth.finish(x[None], sample_rate=SR, stereo=False, normalize=False).astype(float)


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x))))


def pitch_track(x: np.ndarray, f0: float) -> np.ndarray:
    """Instantaneous pitch (st from f0) at each sample, averaged over 64 samples."""
    inst = np.diff(np.unwrap(np.angle(hilbert(x)))) * VR / (2 * np.pi)
    return np.convolve(12 * np.log2(np.maximum(inst, 1.0) / f0), np.ones(64) / 64, mode="same")


def decay_curve(x):
    """How far Vital's decay (power -2) has gone at x = t / D: 0 -> 1, halfway at x = 0.283."""
    return (1 - np.exp(-2 * np.clip(x, 0, 1))) / (1 - np.exp(-2))


# Vital's noise sample is a fixed 1 s loop (44100 samples): the FFT of exactly one loop of
# filtered noise against unfiltered noise is the filter's transfer function at each whole Hz.
# The loop must not touch a render's last ~150 samples, which vita fades out.

@functools.cache
def noise_power(**changes) -> np.ndarray:
    x = vital(patch(noise=0.0, length=2.5, **changes), 2.1, osc_1=False)  # held past the render
    return np.abs(np.fft.rfft(x[VR: 2 * VR])) ** 2


@functools.cache
def noise_gain(smooth: int = 2, **changes) -> np.ndarray:
    """Gain (dB) at each whole Hz, filtered against dry power summed over 2 * smooth + 1 bins
    (a bin alone is exact to ~-58 dB, so bins where the sample is weak scatter a little)."""
    k = np.ones(2 * smooth + 1)
    return 10 * np.log10(np.convolve(noise_power(**changes), k, "same") / np.convolve(noise_power(), k, "same"))


def resonance_db(r: float) -> float:
    return -3.23 + 17.77 * r  # the gain at the cutoff, linear in dB


def resonant_peak(g: np.ndarray, cutoff: int) -> tuple[int, float, float]:
    """Frequency (Hz) and level of the maximum between cutoff/2 and 2 cutoff, and its Q
    (the peak frequency over its -3 dB width)."""
    band = np.arange(cutoff // 2, 2 * cutoff)
    f = int(band[np.argmax(g[band])])
    lo, hi = f, f
    while g[lo - 1] >= g[f] - 3:
        lo -= 1
    while g[hi + 1] >= g[f] - 3:
        hi += 1
    return f, float(g[f]), f / (hi - lo)


@pytest.mark.parametrize("cutoff", [500, 2000])
@pytest.mark.parametrize("resonance", [0.0, 0.5, 1.0])
def test_resonance_sets_the_gain_at_the_cutoff(cutoff, resonance):
    g = noise_gain(filter_type="Lowpass", cutoff=cutoff, resonance=resonance)
    assert g[cutoff] == pytest.approx(resonance_db(resonance), abs=0.15)  # measured within 0.07 dB


@pytest.mark.parametrize("resonance,passband,peak", [(0.0, -0.23, None), (0.5, -1.88, 0.956), (1.0, -9.51, 1.0)])
def test_resonance_lowers_the_lowpass_passband(resonance, passband, peak):
    # Vital puts the peak where the law says and lowers the passband (here at cutoff/16) under it.
    cutoff = 1000
    g = noise_gain(filter_type="Lowpass", cutoff=cutoff, resonance=resonance)
    assert np.mean(g[50:70]) == pytest.approx(passband, abs=0.2)
    if peak is not None:
        assert resonant_peak(g, cutoff)[0] / cutoff == pytest.approx(peak, abs=0.01)


@pytest.mark.parametrize("filter_type", ["Lowpass", "Bandpass", "Highpass"])
def test_full_resonance_peaks_at_the_cutoff(filter_type):
    cutoff = 1000
    g = noise_gain(filter_type=filter_type, cutoff=cutoff, resonance=1.0)
    f, level, q = resonant_peak(g, cutoff)
    assert f == pytest.approx(cutoff, rel=0.005)
    assert level == pytest.approx(resonance_db(1.0), abs=0.15)
    assert g[cutoff] == pytest.approx(resonance_db(1.0), abs=0.15)
    assert 15 < q < 18  # -3 dB edges at 0.97x / 1.03x, the same for all three types
    far = {"Lowpass": np.mean(g[50:70]), "Highpass": np.mean(g[7000:9000]),
           "Bandpass": np.mean(g[[250, 4000]])}[filter_type]
    assert far == pytest.approx({"Lowpass": -9.51, "Highpass": -9.41, "Bandpass": -21.05}[filter_type], abs=0.2)


# --- version 2: filter envelope ----------------------------------------------------------

LEVELS = (-2.0, -3.23, -6.0, -9.0, -12.0)  # where a lowpass's gain curve is read


def falls_through(g: np.ndarray, level: float) -> float:
    """Frequency (Hz, log-interpolated) where a lowpass gain curve first falls through level."""
    i = np.flatnonzero((g[20:-1] >= level) & (g[21:] < level))[0] + 20
    t = (level - g[i]) / (g[i + 1] - g[i])
    return float(i * ((i + 1) / i) ** t)


def shift_st(g: np.ndarray, ref: np.ndarray) -> float:
    """How far (st) lowpass curve g sits above ref, averaged over LEVELS."""
    return float(np.mean([12 * np.log2(falls_through(g, v) / falls_through(ref, v)) for v in LEVELS]))


@pytest.mark.parametrize("amount", [12.0, -12.0])
@pytest.mark.parametrize("sustain", [0.0, -6.02])
def test_filter_envelope_moves_the_cutoff_by_amount_times_sustain(amount, sustain):
    ref = noise_gain(10, filter_type="Lowpass", cutoff=1000)
    g = noise_gain(10, filter_type="Lowpass", cutoff=1000, fenv_amount=amount, fenv_attack=0.0,
                   fenv_decay=0.05, fenv_sustain=sustain, fenv_release=0.1)  # the loop is 1..2 s: sustained
    level = 10 ** (round(sustain, 1) / 20)  # the format's 0.1 dB grid: -6.0 dB, 0.501
    assert shift_st(g, ref) == pytest.approx(amount * level, abs=0.1)


def cutoff_track(cutoff: int, **changes) -> np.ndarray:
    """A lowpass's cutoff offset (st) at each sample, read from a sine through it: the sine's
    gain (filtered against unfiltered) looked up on the gains of static lowpasses 0..26 st
    above the cutoff (2 st apart, a monotone cubic between them)."""
    p = patch(filter_type="Lowpass", cutoff=cutoff, **changes)
    dry = p.replace(**{f.name: f.default for f in FIELDS if f.version == 2}, filter_type=None, cutoff=None)
    steady = rms(vital(dry)[4410:])
    grid = [int(round(cutoff * 2 ** (k / 12))) for k in range(0, 27, 2)]
    gains = [db(rms(vital(dry.replace(filter_type="Lowpass", cutoff=c))[4410:]) / steady) for c in grid]
    table = PchipInterpolator(gains, 12 * np.log2(np.array(grid) / cutoff))  # gains rise with it
    return table(envelope_db(vital(p)) - envelope_db(vital(dry)))


def test_filter_envelope_trajectory():
    """Attack linear, decay and release along Vital's curve (decay_curve), in semitones."""
    amount, attack, decay, sustain, release, length = 24.0, 0.1, 0.3, -6.0, 0.3, 0.6
    st = cutoff_track(250, note=96, length=length, release=1.0, fenv_amount=amount, fenv_attack=attack,
                      fenv_decay=decay, fenv_sustain=sustain, fenv_release=release)  # C7 through 250..1000 Hz
    t = np.arange(len(st)) / VR
    s = 10 ** (sustain / 20)
    e = np.select([t < attack, t < attack + decay, t < length],
                  [t / attack, 1 - (1 - s) * decay_curve((t - attack) / decay), s],
                  s * (1 - decay_curve((t - length) / release)))
    inside = (t > 0.01) & (t < 0.95)  # the sine's envelope settles (its 5 ms attack) first
    assert np.abs(st - amount * e)[inside].max() < 0.15  # measured 0.09
    assert np.sqrt(np.mean((st - amount * e)[inside] ** 2)) < 0.05  # measured 0.025
    falling = st[int(attack * VR): int((attack + decay) * VR): 441]  # every 10 ms
    assert np.all(np.diff(falling) < 0)
    assert st[int((attack + decay + 0.05) * VR)] == pytest.approx(amount * s, abs=0.05)
    halfway = np.argmax(st[int(attack * VR):] < amount * (1 + s) / 2) / VR / decay
    assert halfway == pytest.approx(0.283, abs=0.01)
    assert abs(st[int((length + release + 0.02) * VR)]) < 0.05


# --- version 2: oscillator 2 -------------------------------------------------------------

def osc2(wave: str = "Sine", semitones: int = 0, level: float = 0.0, **changes) -> Patch:
    return patch(**{"length": 1.5, **changes}, osc2_wave=wave, osc2_semitones=semitones, osc2_level=level)


@pytest.mark.parametrize("semitones", [-12, 7])
def test_oscillator_2_pitch(semitones):
    x = vital(osc2(semitones=semitones, note=69), osc_1=False)[4410:]
    assert 12 * math.log2(period_rate(x, VR) / 440) == pytest.approx(semitones, abs=0.01)


@pytest.mark.parametrize("level", [0.0, -12.0, 6.0])
def test_oscillator_2_level_against_one_voice_of_oscillator_1(level):
    one = vital(patch(waveform="Saw", note=57, length=1.5))[4410:]
    two = vital(osc2("Saw", level=level, note=57), osc_1=False)[4410:]
    assert db(rms(two) / rms(one)) == pytest.approx(level, abs=0.1)


@pytest.mark.parametrize("wave", ["Triangle", "Saw", "Square"])
def test_oscillator_2_waveform_is_oscillator_1s(wave):
    one = vital(patch(waveform=wave, note=45, length=1.5))[4410:]
    two = vital(osc2(wave, note=45), osc_1=False)[4410:]
    h1, h2 = harmonics(one, 110.0, 9, VR), harmonics(two, 110.0, 9, VR)
    strong = h1 > 1e-3 * h1[0]
    assert np.abs(db(h2 / h1)[strong]).max() < 0.15
    assert np.abs(two - one).max() < 1e-4  # the same wavetable, sample for sample


def test_pitch_lfo_moves_oscillator_2():
    depth = 2.0
    x = vital(osc2(semitones=12, note=69, lfo_target="Pitch", lfo_rate=3.0, lfo_depth=depth), osc_1=False)
    st = pitch_track(x, 880.0)[2000:-2000]
    assert (st.max() - st.min()) / 2 == pytest.approx(depth, abs=0.02)


# --- version 2: noise --------------------------------------------------------------------

@pytest.mark.parametrize("level", [0.0, -20.0])
def test_noise_level_against_one_voice_of_a_sine(level):
    sine = vital(patch(note=69, length=1.5))
    noise = vital(patch(note=69, length=1.5, noise=level), osc_1=False)
    assert db(rms(noise[4410:]) / rms(sine[4410:])) == pytest.approx(level, abs=0.2)  # at Vital's rate
    # The standard render (16 kHz) keeps what is below 8 kHz: the noise 4.4-4.6 dB less, the sine all.
    assert db(rms(to_sr(noise)[1600:]) / rms(to_sr(sine)[1600:])) == pytest.approx(level - 4.5, abs=0.2)


def band_levels(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    freqs, power = np.fft.rfftfreq(len(x), 1 / SR), np.abs(np.fft.rfft(x)) ** 2
    return np.array([10 * np.log10(power[(freqs >= lo) & (freqs < hi)].mean()) for lo, hi in zip(edges, edges[1:])])


def test_noise_is_white_and_not_key_tracked():
    x = to_sr(vital(patch(noise=0.0, length=1.5), osc_1=False))[1600:]  # the 1 s loop is all there is
    octaves = band_levels(x, 100 * 2.0 ** np.arange(7))  # 100 Hz .. 6.4 kHz
    assert np.abs(octaves - octaves.mean()).max() < 1.5  # the loop's own scatter: up to 1.0 dB
    thirds = band_levels(x, 800 * 2 ** (np.arange(10) / 3))  # 800 Hz .. 6.4 kHz
    assert np.abs(thirds - octaves.mean()).max() < 1.0  # up to 0.8 dB
    low, high = (vital(patch(note=n, length=1.5, noise=0.0), osc_1=False) for n in (36, 96))
    assert np.abs(low - high).max() < 1e-6


# --- version 2: pitch envelope -----------------------------------------------------------

@pytest.mark.parametrize("amount,decay,osc", [(12.0, 0.4, 1), (-12.0, 0.4, 1), (24.0, 2.0, 1), (12.0, 0.4, 2)])
def test_pitch_envelope_starts_off_by_amount_and_returns_along_the_decay_curve(amount, decay, osc):
    p = patch(note=81, length=1.5, attack=0.001, penv_amount=amount, penv_decay=decay)
    if osc == 2:  # oscillator 2 alone, 12 st up: the envelope moves it the same
        p = p.replace(osc2_wave="Sine", osc2_semitones=12, osc2_level=0.0)
    st = pitch_track(vital(p, osc_1=osc == 1), midi_to_hz(81 + 12 * (osc == 2)))
    t = (np.arange(len(st)) + 0.5) / VR
    model = amount * (1 - decay_curve(t / decay))
    early = (t > 0.01) & (t < 0.04)
    assert np.mean(st[early] / (1 - decay_curve(t[early] / decay))) == pytest.approx(amount, abs=0.1)
    moving = (t > 0.005) & (t < min(decay, 0.95))
    assert np.abs(st - model)[moving].max() < 0.1
    if decay < 0.9:
        assert np.abs(st[(t > decay + 0.005) & (t < 0.95)]).max() < 0.02
        assert st[int(decay / 4 * VR)] / amount == pytest.approx(0.545, abs=0.005)
        assert st[int(decay / 2 * VR)] / amount == pytest.approx(0.269, abs=0.005)


# --- version 2: off lines ----------------------------------------------------------------

def test_version_2_lines_at_zero_render_as_version_1():
    v1 = patch(waveform="Saw", filter_type="Lowpass", cutoff=2000, note=57, length=1.0, sustain=-6.0, decay=0.3)
    zero = v1.replace(resonance=0.0, fenv_amount=0.0, fenv_attack=0.1, fenv_decay=0.2, fenv_sustain=-6.0,
                      fenv_release=0.3, penv_amount=0.0, penv_decay=0.2)
    assert "Filter Envelope: Amount: 0 st" in settings.format(zero)
    assert "Pitch Envelope: Amount: 0 st" in settings.format(zero)
    assert np.array_equal(synth.render(zero), synth.render(v1))


@pytest.mark.parametrize("line", [dict(noise=-60.0), dict(osc2_wave="Sine", osc2_semitones=7, osc2_level=-60.0)])
def test_quietest_noise_and_oscillator_2_add_60_db_down(line):
    p = patch(note=69, length=1.5)
    quiet = vital(p.replace(**line))
    assert db(rms(quiet - vital(p)) / rms(vital(p))) == pytest.approx(-60.0, abs=0.2)


def test_a_filter_envelope_attack_does_not_start_where_an_earlier_note_left_it():
    base = ("Waveform: Saw\nVoices: 1\nOscillator Detune: None\nFilter Type: Lowpass\nFilter Cutoff: 200Hz\n"
            "ADSR Envelope: Attack: 5ms, Decay: 300ms, Sustain: -6 dB, Release: 200ms\nLFO Modulation: None\n")
    p = settings.parse(base + "Filter Envelope: Amount: +48 st, Attack: 300ms, Decay: 300ms, Sustain: -12 dB, Release: 300ms\n")
    lingering = settings.parse(base + "Filter Envelope: Amount: +20 st, Attack: 0ms, Decay: 1.00s, Sustain: 0 dB, "
                                      "Release: 2.00s\n")
    fresh = synth.Renderer().render_vital(p, 1.0)
    r = synth.Renderer()
    for _ in range(synth.VOICES + 1):  # every voice of the rotation last played the lingering patch
        r.render_vital(lingering, 1.0)
    assert np.array_equal(r.render_vital(p, 1.0), fresh)


def test_the_noise_is_the_same_in_every_process_whatever_it_made_first():
    code = ("import sys, vita\nfrom whispersynth import synth\n[vita.Synth() for _ in range(int(sys.argv[1]))]\n"
            "sys.stdout.write(synth.preset_json(synth.Patch('Sine', 1, None, None, None, 0, 0, 0, 0, None, None, None,"
            " noise=-6.0)))")
    presets = [subprocess.run([sys.executable, "-c", code, str(n)], capture_output=True, text=True, check=True).stdout
               for n in (0, 2)]
    assert json.loads(presets[0])["settings"]["sample"] == json.loads(presets[1])["settings"]["sample"] == synth.noise_sample()
