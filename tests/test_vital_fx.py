"""Format version 3 measured in Vital's renders (src/whispersynth/vital_fx.py, docs/FORMAT.md):
FM sidebands and their Bessel levels, distortion against its waveshaper, chorus modulation,
delay echoes, reverb decay and mix, the effects' order; version-1/2 patches unchanged."""

import math

import numpy as np
import pytest
from scipy.signal import butter, hilbert, sosfilt
from scipy.special import jv

from whispersynth import settings, synth, vital_fx
from whispersynth.spec import Patch, midi_to_hz

VR = synth.VITAL_RATE
MASTER = 0.5  # the init preset's volume (-6.02 dB): a full sine at the distortion comes out at half
AT_DISTORTION = 0.60128  # a one-voice sine's peak where the distortion takes it (measured)


def patch(**changes) -> Patch:
    base = dict(waveform="Sine", voices=1, detune=None, filter_type=None, cutoff=None,
                attack=0.0, decay=0.1, sustain=0.0, release=0.05,
                lfo_target=None, lfo_rate=None, lfo_depth=None, note=57, length=2.9)
    return Patch(**{**base, **changes})


def stereo(p: Patch, seconds: float = 3.0) -> np.ndarray:
    return synth.Renderer().render_vital(p, seconds).astype(np.float64)  # a fresh one: no history


def mono(p: Patch, seconds: float = 3.0) -> np.ndarray:
    return stereo(p, seconds).mean(axis=0)


def amplitudes(x: np.ndarray, freqs) -> np.ndarray:
    """Amplitudes of the partials at `freqs` in a steady stretch (Hann window, 8x padding)."""
    n = len(x)
    mags = np.abs(np.fft.rfft(x * np.hanning(n), 8 * n)) * 4 / n
    grid = np.fft.rfftfreq(8 * n, 1 / VR)
    return np.array([mags[np.abs(grid - f) < 3.0].max() for f in freqs])


def steady(x: np.ndarray) -> np.ndarray:
    return x[int(0.5 * VR): int(2.5 * VR)]


# --- FM ---------------------------------------------------------------------------------------

FM_BASE = dict(osc2_wave="Sine", osc2_semitones=19, osc2_level=-60.0)


@pytest.mark.parametrize("amount", [0.15, 0.3])
def test_fm_sidebands_sit_at_bessel_levels(amount):
    fc, fm = midi_to_hz(57), midi_to_hz(57 + 19)
    x = steady(mono(patch(**FM_BASE, fm_amount=amount)))
    beta = vital_fx.FM_INDEX * amount ** 2
    ks = range(-3, 4)
    got = amplitudes(x, [abs(fc + k * fm) for k in ks])
    want = np.abs([jv(k, beta) for k in ks])
    scale = got.max() / want.max()
    assert np.allclose(got / scale, want, atol=0.01)
    assert amplitudes(x, [fc + fm / 2])[0] < 1e-3 * got.max()  # nothing between the sidebands


def test_fm_amount_0_is_no_fm_and_fm_needs_oscillator_2():
    plain = patch(**FM_BASE)
    assert np.array_equal(mono(plain.replace(fm_amount=0.0)), mono(plain))
    with pytest.raises(Exception, match="Oscillator 2"):
        patch(fm_amount=0.3)


def test_fm_depth_does_not_depend_on_oscillator_2s_level():
    fc, fm = midi_to_hz(57), midi_to_hz(57 + 19)
    freqs = [fm - fc, fc, fc + fm]  # fc - fm folds to 439 Hz; oscillator 2 itself is at 659 Hz
    quiet = amplitudes(steady(mono(patch(**FM_BASE, fm_amount=0.2))), freqs)
    loud = amplitudes(steady(mono(patch(**{**FM_BASE, "osc2_level": 0.0}, fm_amount=0.2))), freqs)
    assert np.allclose(quiet / quiet[1], loud / loud[1], atol=0.01)


# --- Distortion ---------------------------------------------------------------------------------

SHAPES = {"Soft Clip": np.tanh, "Hard Clip": lambda u: np.clip(u, -1, 1),
          "Sine Fold": lambda u: np.sin(np.pi / 2 * u),
          "Linear Fold": lambda u: 2 / np.pi * np.arcsin(np.sin(np.pi / 2 * u))}


@pytest.mark.parametrize(("kind", "drive"), [("Soft Clip", 3.0), ("Soft Clip", 12.0), ("Hard Clip", 12.0),
                                              ("Hard Clip", 18.0), ("Sine Fold", 6.0), ("Linear Fold", 9.0)])
def test_distortion_is_its_waveshaper_after_a_drive_in_db(kind, drive):
    f0 = midi_to_hz(57)
    got = amplitudes(steady(mono(patch(dist_type=kind, dist_drive=drive, dist_mix=100))), [f0, 3 * f0, 5 * f0])
    t = np.arange(4096) / 4096
    model = MASTER * SHAPES[kind](10 ** (drive / 20) * AT_DISTORTION * np.sin(2 * np.pi * t))
    want = np.abs(np.fft.rfft(model))[[1, 3, 5]] * 2 / 4096
    assert 20 * np.log10(got[0] / want[0]) == pytest.approx(0.0, abs=0.2)  # no level compensation
    assert 20 * np.log10((got[1] / got[0]) / (want[1] / want[0])) == pytest.approx(0.0, abs=0.3)


def test_distortion_mix_is_a_linear_crossfade():
    p = patch(dist_type="Soft Clip", dist_drive=18.0, dist_mix=100)
    dry, wet, half = (mono(p.replace(dist_mix=m)) for m in (0, 100, 40))
    assert np.abs(half - (0.6 * dry + 0.4 * wet)).max() < 1e-4 * np.abs(wet).max()


# --- Chorus -------------------------------------------------------------------------------------

def _chorus_envelope(rate: float, depth: int) -> np.ndarray:
    """The left channel's amplitude over a sine at 55 Hz, relative to the sine without chorus."""
    p = patch(note=33, chorus_rate=rate, chorus_depth=depth, chorus_mix=100)
    dry = np.abs(hilbert(stereo(p.replace(chorus_mix=0))[0]))[int(1.0 * VR): int(2.5 * VR)].mean()
    return np.abs(hilbert(stereo(p)[0]))[int(0.4 * VR): int(2.9 * VR)] / dry


def test_chorus_taps_swing_by_depth():
    """Left = half the sum of two taps whose delays differ by 2^-9 - 2^-7 s + d x 30 ms x s(t):
    over a cycle its amplitude spans |cos(pi f0 delta)| over that range (slow LFO: h = 0.996)."""
    env = _chorus_envelope(0.5, 5)[int(0.1 * VR): -int(0.1 * VR)]  # away from the Hilbert edges
    f0, d = midi_to_hz(33), 0.05 * 0.030 * 0.996
    delta = 2.0 ** -9 - 2.0 ** -7 + np.linspace(-d, d, 1001)
    want = np.abs(np.cos(np.pi * f0 * delta))
    assert env.min() == pytest.approx(want.min(), abs=0.03)
    assert env.max() == pytest.approx(want.max(), abs=0.03)


def test_chorus_modulates_at_its_rate():
    env = _chorus_envelope(2.0, 5)
    y = env - env.mean()
    lags = np.arange(int(0.3 * VR), int(0.7 * VR))
    corr = [np.dot(y[:-lag], y[lag:]) for lag in lags[::20]]
    period = lags[::20][int(np.argmax(corr))] / VR
    assert period == pytest.approx(0.5, rel=0.02)


# --- Delay --------------------------------------------------------------------------------------

def _click(**fx) -> np.ndarray:
    return mono(patch(waveform="Saw", decay=0.005, sustain=-math.inf, release=0.0, length=0.01, **fx))


@pytest.mark.parametrize(("time", "feedback"), [(0.25, 50), (0.4, 70)])
def test_delay_echoes_at_its_time_each_feedback_times_the_last(time, feedback):
    x = _click(delay_time=time, delay_feedback=feedback, delay_mix=50)
    dry = _click()
    n = int(0.05 * VR)
    echoes = [x[int(k * time * VR) - 100: int(k * time * VR) + n] for k in (1, 2, 3)]
    lag = [int(np.argmax(np.correlate(e, dry[:n], "valid"))) - 100 for e in echoes]
    assert all(abs(lag_k / VR) < 0.0002 for lag_k in lag)  # every repeat at k x Time, within 0.2 ms
    peaks = [np.abs(e).max() for e in echoes]
    assert peaks[1] / peaks[0] == pytest.approx(feedback / 100, rel=0.02)
    assert peaks[2] / peaks[1] == pytest.approx(feedback / 100, rel=0.02)


def test_delay_mix_is_equal_power():
    x, dry = _click(delay_time=0.3, delay_feedback=0, delay_mix=25), _click()
    n = int(0.05 * VR)
    direct, echo = np.abs(x[:n]).max(), np.abs(x[int(0.3 * VR): int(0.3 * VR) + n]).max()
    assert direct / np.abs(dry[:n]).max() == pytest.approx(math.cos(math.pi / 8), abs=0.003)
    assert echo / np.abs(dry[:n]).max() == pytest.approx(math.sin(math.pi / 8), abs=0.003)


# --- Reverb -------------------------------------------------------------------------------------

def _burst(**fx) -> np.ndarray:
    p = patch(decay=0.02, sustain=-math.inf, release=0.0, length=0.03, noise=0.0, **fx)
    return mono(p)


def rt60(x: np.ndarray, start: float = 0.1) -> float:
    """T20 from Schroeder's backward integration, -5 to -25 dB, extrapolated to 60 dB."""
    e = x[int(start * VR):] ** 2
    edc = 10 * np.log10(np.cumsum(e[::-1])[::-1] / e.sum())
    t = np.arange(len(e)) / VR
    sel = (edc <= -5) & (edc >= -25)
    slope = np.polyfit(t[sel], edc[sel], 1)[0]
    return -60.0 / slope


@pytest.mark.parametrize(("decay", "size"), [(1.5, 50), (3.0, 40), (2.0, 80)])
def test_reverb_tail_decays_in_its_decay_time(decay, size):
    """Within 6 % from 1.5 s (shorter decays run long: docs/FORMAT.md)."""
    x = _burst(reverb_decay=decay, reverb_size=size, reverb_damping=0, reverb_mix=100)
    assert rt60(x) == pytest.approx(decay, rel=0.06)


def test_reverb_damping_shortens_the_top_of_the_tail():
    def band_rt60(damping: int, lo: float, hi: float) -> float:
        x = _burst(reverb_decay=1.5, reverb_size=60, reverb_damping=damping, reverb_mix=100)
        return rt60(sosfilt(butter(4, [lo, hi], btype="band", fs=VR, output="sos"), x))

    assert band_rt60(0, 3000, 6000) / band_rt60(0, 300, 600) == pytest.approx(1.0, abs=0.15)
    assert band_rt60(100, 3000, 6000) / band_rt60(100, 300, 600) < 0.6


def test_reverb_mix_is_equal_power():
    p = patch(noise=-6.0, reverb_decay=1.0, reverb_size=50, reverb_damping=20, reverb_mix=100)
    dry, wet, mixed = mono(p.replace(reverb_mix=0)), mono(p.replace(reverb_mix=100)), mono(p.replace(reverb_mix=30))
    want = math.cos(math.pi * 0.15) * dry + math.sin(math.pi * 0.15) * wet
    assert np.linalg.norm(mixed - want) / np.linalg.norm(mixed) < 0.01


# --- the chain, and what stays as it was --------------------------------------------------------

def test_the_distortion_comes_before_the_delay():
    """Each echo is the last one times Feedback, however hard the note is clipped: the delay
    repeats the distorted note (a clipper after it would squash the echoes together)."""
    x = _click(dist_type="Hard Clip", dist_drive=24.0, dist_mix=100, delay_time=0.3, delay_feedback=50,
               delay_mix=50)
    n = int(0.05 * VR)
    rms = [np.sqrt(np.mean(x[int(k * 0.3 * VR): int(k * 0.3 * VR) + n] ** 2)) for k in (1, 2, 3)]
    assert rms[1] / rms[0] == pytest.approx(0.5, rel=0.02) and rms[2] / rms[1] == pytest.approx(0.5, rel=0.02)


def test_version_3_lines_off_set_the_base_presets_values():
    p = patch()
    assert {k: synth.controls(p)[k] for k in vital_fx.OFF} == vital_fx.OFF
    preset = synth.to_vital(p)["settings"]
    for name, value in {**vital_fx.OFF, **vital_fx.SETTINGS}.items():
        assert preset[name] == pytest.approx(value), name


def test_an_effects_patch_renders_the_same_after_any_other():
    """Order independence with the longer throw-away note (distortion, chorus); the chorus and the
    reverb keep a trace of what the Synth rendered before, 85-95 dB down (docs/FORMAT.md)."""
    text = ("Waveform: Saw\nVoices: 3\nOscillator Detune: 0.20\nFilter Type: Lowpass\nFilter Cutoff: 2000Hz\n"
            "ADSR Envelope: Attack: 5ms, Decay: 300ms, Sustain: -6 dB, Release: 300ms\nLFO Modulation: None\n"
            "Distortion: Soft Clip, Drive: 12 dB, Mix: 80%\nChorus: Rate: 1.2Hz, Depth: 40%, Mix: 40%\n"
            "Delay: Time: 300ms, Feedback: 40%, Mix: 25%\nReverb: Decay: 2.00s, Size: 50%, Damping: 30%, Mix: 30%\n")
    p = settings.parse(text)
    fresh = synth.Renderer().render_vital(p)
    r = synth.Renderer()
    for other in (p.replace(dist_drive=-30.0, chorus_depth=100, delay_time=1.5, reverb_decay=8.0), patch(note=90)):
        r.render_vital(other)
    again = r.render_vital(p)
    assert 20 * np.log10(np.abs(again - fresh).max() / np.abs(fresh).max()) < -80


def test_the_vital_preset_carries_the_effects_and_renders_the_same():
    p = patch(note=45, osc2_wave="Square", osc2_semitones=7, osc2_level=-12.0, fm_amount=0.2, dist_type="Sine Fold",
              dist_drive=6.0, dist_mix=60, chorus_rate=0.5, chorus_depth=30, chorus_mix=30, delay_time=0.25,
              delay_feedback=30, delay_mix=20, reverb_decay=1.5, reverb_size=40, reverb_damping=50, reverb_mix=25)
    preset = synth.to_vital(p)
    settings_ = preset["settings"]
    assert settings_["effect_chain_order"] == vital_fx.CHAIN_ORDER and settings_["reverb_on"] == 1.0
    assert settings_["osc_1_distortion_type"] == vital_fx.FM_TYPE and settings_["delay_sync"] == 0.0
    loaded = synth.render_preset(preset, p.note, p.length)
    direct = synth.Renderer().render_vital(p)
    assert np.abs(loaded - direct).max() < 1e-4 * np.abs(direct).max()  # -80 dB (here: bit for bit)
