"""Patch -> Vital preset -> audio: the standard render of docs/FORMAT.md, with the vita engine.

Measured choices and residuals (vita 0.1.0; tests/test_synth.py re-measures them):

- Vital runs at 44.1 kHz and the mix is resampled to 16 kHz (soxr, HQ).
  Rendering at 16 kHz directly is only ~1.7x faster and moves filters near 8 kHz (a
  6 kHz lowpass is up to +3 dB off at 7.8 kHz, a 2 kHz highpass 0.2 dB off below it).
- Waveform: a four-keyframe wavetable of band-limited Sine/Triangle/Saw/Square (harmonics
  exact to < 0.1 dB; Sine's others below -100 dB).
- Unison: equal voice levels (blend 0.7375 even / 1.1835 odd, within 0.1 dB), detune_power 0
  spaces voices evenly; outermost voices at +-D semitones within 0.002 st.
- Filter: digital 12 dB/oct, resonance 0.2373 (Butterworth). Measured at 300/1000/3000 Hz:
  lowpass -3 dB point at 0.998-0.999x the cutoff (passband -0.23 dB), highpass 0.986-0.990x
  (relative to its passband peak: ~+1 dB hump at 2-4x the cutoff, ~1.4 dB lower further
  up), bandpass centre 0.998-1.001x with -3 dB edges at 0.52x/1.93x (Q 0.707), peak -3.2 dB.
- Envelope: times = raw^4 and sustain = 40 log10(raw) dB (default curve powers 0/-2/-2);
  attack peak at A (within 1 ms), sustain within 0.1 dB; the release ends at R, so -60 dB
  comes 8-9 % before R.
- LFO: smooth 3-point shape (an exact cosine) with phase 0.25, so it starts mid-way and
  rises first: sin(2 pi f t). Pitch: osc_1_transpose, bipolar amount d/48 (+-d st, exact).
  Cutoff: bipolar amount d/64 (+-d st, clamped by Vital to MIDI 8..136). Volume: a
  power-curved route to voice_amplitude gives a sine in dB by construction (measured swing
  exact to 0.03 dB, shape within 0.6 % of the depth RMS, e.g. 0.12 dB at 20 dB). The
  global `volume` knob is not used: it is linear in sqrt(raw) (0.8 dB off at 60 dB depth)
  and, being global, follows the last voice's stale LFO value (not order-independent).
- Filter Resonance r (version 2; filter measured by noise, the transfer function of one 1 s
  loop): the gain at the cutoff is -3.23 + 17.77 r dB within 0.07 dB (lowpass, 500/2000 Hz,
  r = 0/0.5/1), and the same for bandpass and highpass. Vital lowers the passband as r rises:
  lowpass at cutoff/16 -0.23/-1.88/-9.51 dB at r = 0/0.5/1 (highpass at 8x -9.41, bandpass at
  0.25x/4x -21.05 at r = 1), so at r = 1 the peak stands 24 dB over the passband, at 1.000-1.002x
  the cutoff, -3 dB width 0.97-1.03x (Q 16 for all three types, not the 5.3 of +14.54 dB over a
  0 dB passband). The lowpass peak is at 0.956x for r = 0.5.
- Filter Envelope: cutoff + A e(t) st, 128 st per unit amount, sustain level linear in
  10^(S/20): A = +-12 st at sustain 0 / -6 dB within 0.05 st (static lowpass, -2..-12 dB points).
  Attack linear (240 st/s for 24 st in 0.1 s); decay and release follow Vital's power -2 curve,
  done = (1 - e^(-2x)) / (1 - e^-2) at x = t/D, halfway in semitones at 0.283 D; the release
  ends at R. Over a whole note (24 st, 0.1/0.3 s/-6 dB/0.3 s) the cutoff is this within 0.025 st
  RMS, 0.09 st at most (the release 0.04 st late on average).
- Oscillator 2: pitch note + n within 1e-5 st, level L dB against one voice of oscillator 1
  within 0.001 dB (L = 0/-12/+6), the same waveform (within 1e-5 of full scale); a pitch LFO
  moves it by the same depth (2.000 st of 2).
- Noise: at 44.1 kHz its RMS is L dB against one voice of a sine within +0.01..+0.04 dB, the
  same at every note (not key-tracked). The standard 16 kHz render keeps only what is below
  8 kHz: 4.4-4.6 dB less than L. Octave bands 100 Hz..6.4 kHz within +-1.0 dB, third octaves
  above 800 Hz +-0.8 dB (the 1 s loop's own scatter). The sample is the package's own seeded
  uniform noise (`noise_sample`): vita draws its default "White Noise" anew for every Synth, so
  which one a preset got depended on how many Synths the process had made (the training set of
  the first version-2 model was rendered with one of those, the same distribution and level).
- Pitch Envelope: both oscillators start P st off (96 st per unit: within 0.005 st, fitted to
  the curve) and return along the decay curve: P x 0.545 left at D/4, 0.269 at D/2, the note
  (within 0.003 st) from D on. The start is steep (2.3 P/D), so 20-40 ms into a 2 s decay the
  pitch is already 3.4 % of P short of it.
- Version 2 lines at zero (amounts 0 st, resonance 0) render byte-identically to version 1;
  Noise and Oscillator 2 at -60 dB add a signal 60.0 dB down.
- Version 3 (FM, Distortion, Chorus, Delay, Reverb): `vital_fx.py` has their controls and
  measured laws; with every version-3 line off a patch sets the same controls as before.
- Order independence: see _play. A fresh Renderer (or process) renders a patch bit-identically
  every time. After other patches, some renders differ from a fresh Renderer's by a residue
  of control smoothing: with the 0.3 s throw-away, at most 2.5e-7 (-132 dB) over 60 random
  patches (0.5 s: 4e-9; 0.2 s: 2e-3, too much). The throw-away runs longer with the
  distortion or the chorus on (vital_fx.settle_seconds); the reverb keeps a -93 dB trace of
  earlier renders. The data generator renders each Parquet part in a fresh Renderer, so
  datasets are byte-identical whatever the worker layout, on one machine: another CPU renders
  differently in the last bits (docs/FORMAT.md, "Renders across machines").
"""

from __future__ import annotations

import base64
import functools
import json
import math

import numpy as np
import soxr
import vita

from .audio import CLIP_SECONDS, PEAK_DB, SAMPLE_RATE, SILENT_DB
from .errors import AudioError
from . import vital_fx
from .spec import FIELD, FIELDS, Patch

VITAL_RATE = 44100
WAVEFORMS = FIELD["waveform"].choices  # the wavetable's frames, in this order
FILTER_BLEND = {"Lowpass": 0.0, "Bandpass": 1.0, "Highpass": 2.0}
DETUNE_RANGE = 2.0  # osc_1_detune_range (semitones); spread = range * raw^2 / 100
SETTLE_TAIL = 512 / 44100  # its release (set to zero) finishes within this tail
# Fixed LFO routes, one per target: (destination, bipolar, semitones per unit amount).
ROUTES = {
    "Filter Cutoff": ("filter_1_cutoff", True, 64.0),
    "Pitch": ("osc_1_transpose", True, 48.0),
    "Volume": ("voice_amplitude", False, None),  # per voice: a global "volume" route is not
    # order-independent (it follows the last voice's stale LFO value)
}
# Version 2's routes, after the LFO's (modulation slots 4..7): (source, destination, bipolar).
# Envelope 2 moves the cutoff by 128 st per unit amount (Vital's cutoff range, MIDI 8..136) and
# envelope 3 both oscillators' pitch by 96 st per unit (measured: tests/test_synth.py).
V2_ROUTES = (
    ("lfo_1", "osc_2_transpose", True),  # a pitch LFO moves oscillator 2 with oscillator 1
    ("env_2", "filter_1_cutoff", False),
    ("env_3", "osc_1_transpose", False),
    ("env_3", "osc_2_transpose", False),
)
FENV_ST, PENV_ST = 128.0, 96.0
ALL_ROUTES = tuple(("lfo_1", d, b) for d, b, _ in ROUTES.values()) + V2_ROUTES
# (source, destination) -> the amount control of its fixed route (slots numbered from 1 in ALL_ROUTES)
SLOT = {(s, d): f"modulation_{i}_amount" for i, (s, d, _) in enumerate(ALL_ROUTES, 1)}

# Filter Resonance r: gain at the cutoff from -3.23 dB (r = 0: version 1's filter_1_resonance
# 0.2373) to +14.54 dB (r = 1, the control's top), linear in dB. Vital's digital 12 dB filter,
# measured at 300/1000/3000 Hz (the same to 0.01 dB): raw control -> gain at the cutoff (dB).
RESONANCE_RAW = tuple(0.2373 + (1.0 - 0.2373) * k / 8 for k in range(9))
RESONANCE_DB = (-3.23, -0.02, 3.42, 6.51, 9.04, 11.02, 12.53, 13.68, 14.54)
# The noise: a seeded 1 s loop of uniform white noise, int16 in +-NOISE_PEAK, as Vital's own
# "White Noise" (its init preset's sample is also uniform, RMS 17024, but vita draws a new one
# for every Synth, so which one a preset gets would depend on the process's history). At the
# same level control it is 4.39 dB below a sine; Noise L dB is its RMS against one voice of a
# sine on oscillator 1 at 44.1 kHz (measured; a 16 kHz clip keeps its half below 8 kHz: 4.4 dB less).
NOISE_DB, NOISE_PEAK, NOISE_SEED = 4.39, 29486, 2026
# Vital's init patch (vita 0.1.0's defaults read through the format's laws): one saw voice, no
# filter, attack 0.15^4 s, decay 1 s, sustain 0 dB, release 0.5476^4 = 90 ms; held as the clips are.
VITAL_INIT = Patch("Saw", 1, None, None, None, 0.0, 1.0, 0.0, 0.09, None, None, None)
OSC_LEVEL = 0.7071  # Vital's oscillator level control; the gain is its square (measured)


def wavetable_frames(size: int = 2048) -> list[np.ndarray]:
    """Band-limited single cycles from their Fourier series, in WAVEFORMS order."""
    n = np.arange(1, size // 2)
    odd = n % 2 == 1
    amps = (
        (n == 1) * 1.0,
        np.where(odd, 8 / np.pi**2 * (-1.0) ** ((n - 1) // 2) / n**2, 0.0),
        2 / (np.pi * n) * (-1.0) ** (n + 1),
        np.where(odd, 4 / (np.pi * n), 0.0),
    )
    frames = []
    for a in amps:
        spectrum = np.zeros(size // 2 + 1, complex)
        spectrum[1 : size // 2] = -0.5j * size * a
        frames.append(np.fft.irfft(spectrum, size))
    return frames


def _lfo(p: Patch) -> dict:
    osc_2 = SLOT["lfo_1", "osc_2_transpose"]
    out = {"voice_amplitude": 1.0, osc_2: 0.0}
    for i in range(1, len(ROUTES) + 1):
        out.update({f"modulation_{i}_amount": 0.0, f"modulation_{i}_power": 0.0})
    if p.lfo_target is None:
        return out
    i = list(ROUTES).index(p.lfo_target) + 1
    per_unit = ROUTES[p.lfo_target][2]
    if per_unit is not None:
        out[f"modulation_{i}_amount"] = p.lfo_depth / per_unit
        if p.lfo_target == "Pitch":
            out[osc_2] = p.lfo_depth / per_unit
        return out
    # The gain is voice_amplitude squared, and a route with power q bends the LFO's x (0..1)
    # to (e^(-q x) - 1) / (e^(-q) - 1): with q = -k the amplitude is floor * e^(k x), a sine
    # in dB from -depth (x = 0) to 0 dB (x = 1), exactly.
    k = p.lfo_depth * math.log(10.0) / 40.0
    floor = math.exp(-k)
    out.update({"voice_amplitude": floor, f"modulation_{i}_amount": 1.0 - floor})
    out[f"modulation_{i}_power"] = -k + 0.0  # + 0.0: no -0.0 in the preset
    return out


def _raw_seconds(seconds: float) -> float:
    return seconds ** 0.25  # Vital's envelope stages: seconds = raw^4


def _level(db: float) -> float:
    return OSC_LEVEL * 10.0 ** (db / 40.0)  # an oscillator's (or the sample's) gain is its level squared


def _time(field: str):
    return lambda p: {f"env_1_{field}": _raw_seconds(getattr(p, field))}


def _nothing(p: Patch) -> dict:
    return {}  # played, not a control: note and length are arguments of the render


def resonance_raw(r: float) -> float:
    """Filter Resonance r -> Vital's filter_1_resonance: the control giving r's gain at the cutoff."""
    target = RESONANCE_DB[0] + r * (RESONANCE_DB[-1] - RESONANCE_DB[0])
    return float(np.interp(target, RESONANCE_DB, RESONANCE_RAW))


def _resonance(p: Patch) -> dict:
    return {"filter_1_resonance": resonance_raw(p.resonance)}


def _filter_envelope(p: Patch) -> dict:
    on = p.fenv_amount is not None
    return {
        SLOT["env_2", "filter_1_cutoff"]: p.fenv_amount / FENV_ST if on else 0.0,
        "env_2_attack": _raw_seconds(p.fenv_attack if on else 0.0),
        "env_2_decay": _raw_seconds(p.fenv_decay if on else 0.0),
        "env_2_sustain": 10.0 ** (p.fenv_sustain / 20.0) if on else 0.0,  # the cutoff offset is linear in it
        "env_2_release": _raw_seconds(p.fenv_release if on else 0.0),
    }


def _oscillator_2(p: Patch) -> dict:
    on = p.osc2_wave is not None
    return {
        "osc_2_on": float(on),
        "osc_2_wave_frame": float(WAVEFORMS.index(p.osc2_wave)) if on else 0.0,
        "osc_2_transpose": float(p.osc2_semitones) if on else 0.0,
        "osc_2_level": _level(p.osc2_level) if on else OSC_LEVEL,
    }


def _noise(p: Patch) -> dict:
    on = not math.isinf(p.noise)
    return {"sample_on": float(on), "sample_level": _level(p.noise + NOISE_DB) if on else OSC_LEVEL}


def _pitch_envelope(p: Patch) -> dict:
    amount = (p.penv_amount or 0.0) / PENV_ST
    return {SLOT["env_3", "osc_1_transpose"]: amount, SLOT["env_3", "osc_2_transpose"]: amount,
            "env_3_decay": _raw_seconds(p.penv_decay or 0.0)}


# Field name -> function(patch) -> {Vital control: raw value}. Fields whose controls depend
# on several fields share one function.
MAPPING = {
    "waveform": lambda p: {"osc_1_wave_frame": float(WAVEFORMS.index(p.waveform))},
    "voices": lambda p: {
        "osc_1_unison_voices": float(p.voices),
        "osc_1_unison_blend": 0.7375 if p.voices % 2 == 0 else 1.1835,
    },
    "detune": lambda p: {"osc_1_unison_detune": 10.0 * math.sqrt((p.detune or 0.0) / DETUNE_RANGE)},
    "filter_type": lambda p: {
        "filter_1_on": float(p.filter_type is not None),
        "filter_1_blend": FILTER_BLEND.get(p.filter_type, 0.0),
    },
    "cutoff": lambda p: {"filter_1_cutoff": 69.0 + 12.0 * math.log2((p.cutoff or 440) / 440.0)},
    "attack": _time("attack"),
    "decay": _time("decay"),
    "sustain": lambda p: {"env_1_sustain": 10.0 ** (p.sustain / 40.0)},
    "release": _time("release"),
    "lfo_target": _lfo,
    "lfo_rate": lambda p: {"lfo_1_frequency": math.log2(p.lfo_rate or 1.0)},
    "lfo_depth": _lfo,
    "note": _nothing,
    "length": _nothing,
    "resonance": _resonance,
    **dict.fromkeys(("fenv_amount", "fenv_attack", "fenv_decay", "fenv_sustain", "fenv_release"), _filter_envelope),
    **dict.fromkeys(("osc2_wave", "osc2_semitones", "osc2_level"), _oscillator_2),
    "noise": _noise,
    "penv_amount": _pitch_envelope,
    "penv_decay": _pitch_envelope,
    **vital_fx.MAPPING,
}


def controls(p: Patch) -> dict:
    """Every Vital control a patch sets, as raw values (the same set for every patch)."""
    out = {}
    for field in FIELDS:
        out.update(MAPPING[field.name](p))
    return out


VOICES = 33  # vita 0.1.0's voice rotation, measured; must stay odd (see _play)
RELEASES = ("env_1_release", "env_2_release", "env_3_release")  # zero for the throw-away note
_CONTROL_NAMES = tuple(controls(Patch("Sine", 1, None, None, None, 0, 0, 0, 0, None, None, None)))
# Version 2's fixed settings: a second oscillator like the first, noise into the filter, envelope
# 3 a pure decay. Off, each is silent or adds zero, so version-1 patches render as before.
V2_SETTINGS = {
    "osc_2_random_phase": 0.0, "osc_2_stereo_spread": 0.0, "osc_2_unison_voices": 1.0,
    "osc_2_destination": 0.0,  # filter 1, as oscillator 1
    "sample_destination": 0.0, "sample_keytrack": 0.0, "sample_loop": 1.0, "sample_random_phase": 0.0,
    "env_2_attack_power": 0.0, "env_2_decay_power": -2.0, "env_2_release_power": -2.0,
    "env_3_attack": 0.0, "env_3_sustain": 0.0, "env_3_release": 0.0, "env_3_decay_power": -2.0,
}
BASE_SETTINGS = {
    "osc_1_random_phase": 0.0,  # with stereo_spread 0: renders are deterministic
    "osc_1_stereo_spread": 0.0,
    "osc_1_detune_power": 0.0,  # unison voices evenly spaced
    "osc_1_detune_range": DETUNE_RANGE,
    "osc_1_destination": 0.0,  # filter 1
    "filter_1_model": 3.0,  # digital
    "filter_1_style": 0.0,  # 12 dB/oct
    "filter_1_resonance": 0.2373,  # Butterworth damping, measured
    "lfo_1_sync": 0.0,  # seconds (Hz), not tempo
    "lfo_1_sync_type": 0.0,  # trigger: restart at note-on
    "lfo_1_phase": 0.25,  # the cosine shape shifted to sin(2 pi f t)
    "lfo_1_smooth_mode": 0.0,
    "env_1_attack_power": 0.0,
    "env_1_decay_power": -2.0,
    "env_1_release_power": -2.0,
}


@functools.cache
def noise_sample() -> dict:
    """The preset's sample block: the format's white noise, the same in every process."""
    x = np.random.default_rng(NOISE_SEED).integers(-NOISE_PEAK, NOISE_PEAK + 1, VITAL_RATE).astype("<i2")
    return {"name": "White Noise", "length": VITAL_RATE, "sample_rate": VITAL_RATE,
            "samples": base64.b64encode(x.tobytes()).decode()}


@functools.cache
def _base_preset() -> str:
    """The fixed part of every preset (JSON text): wavetable, LFO shape, routes, settings."""
    preset = json.loads(vita.Synth().to_json())
    settings = preset["settings"]
    settings["sample"] = noise_sample()
    settings.update(BASE_SETTINGS)
    settings.update(V2_SETTINGS)
    settings.update(vital_fx.SETTINGS)
    for table in settings["wavetables"][:2]:  # oscillators 1 and 2
        table["groups"][0]["components"][0]["keyframes"] = [
            {"position": i, "wave_data": base64.b64encode(f.astype("<f4").tobytes()).decode()}
            for i, f in enumerate(wavetable_frames())
        ]
        table["name"] = "Sine Triangle Saw Square"
    settings["lfos"][0] = {
        "name": "Sine", "num_points": 3, "points": [0.0, 1.0, 0.5, 0.0, 1.0, 1.0],
        "powers": [0.0, 0.0, 0.0], "smooth": True,
    }
    valid = set(vita.get_modulation_destinations())
    for i, (source, destination, bipolar) in enumerate(ALL_ROUTES):
        if destination not in valid:  # an unknown name crashes the render (segfault)
            raise RuntimeError(f"vita has no modulation destination {destination!r}")
        settings["modulations"][i] = {"source": source, "destination": destination}
        settings[f"modulation_{i + 1}_bipolar"] = float(bipolar)
    preset["synth_version"] = "1.5.5"  # the app may refuse to_json's "99999.9.9"
    preset["preset_name"] = "whispersynth"
    return json.dumps(preset)


def to_vital(p: Patch) -> dict:
    """A complete Vital preset for a patch (load_json accepts it; renders like render())."""
    preset = json.loads(_base_preset())
    preset["settings"].update(controls(p))
    return preset


def preset_json(p: Patch) -> str:
    return json.dumps(to_vital(p))


def _load(synth, preset_text: str) -> None:
    synth.render(60, 1.0, 0.1, 0.1)  # a fresh Synth clicks unless it renders before loading
    if not synth.load_json(preset_text):
        raise RuntimeError("vita refused the preset")


def _play(synth, knobs: dict, values: dict, note: int, length: float, seconds: float) -> np.ndarray:
    """Set a patch's controls, settle, render the note: (2, N) at VITAL_RATE.

    Each render starts with Vital's allSoundsOff, which frees voices without running their
    envelopes down, and a reused voice starts its attack from the level it was left at.
    Voices are reused in a fixed rotation of VOICES (odd), so with two renders per patch the
    real note lands on a voice last used by a throw-away, which ends (near) zero: released
    with zero time well before its render ends (every envelope: a filter envelope left mid-way
    would start the next attack from there, measured up to twice the clip's peak off). Its length also lets smoothed controls
    converge (see the module notes). The order-independence test guards all this.
    """
    for name, value in values.items():
        knobs[name].set(float(value))
    for release in RELEASES:  # every envelope, or a reused voice's envelope 2 starts mid-way
        knobs[release].set(0.0)
    settle = vital_fx.settle_seconds(values)  # longer for the distortion and the chorus
    synth.render(note, 1.0, settle - SETTLE_TAIL, settle)
    for release in RELEASES:  # envelope 3's is always zero (V2_SETTINGS)
        knobs[release].set(float(values.get(release, 0.0)))
    return synth.render(note, 1.0, length, seconds)


class Renderer:
    """One vita.Synth that renders patches order-independently; not thread-safe: a thread
    that renders beside others makes its own."""

    def __init__(self) -> None:
        self._synth = vita.Synth()
        _load(self._synth, _base_preset())
        self._knobs = self._synth.get_controls()  # 772 controls: fetch once, not per render

    def render_vital(self, p: Patch, seconds: float = CLIP_SECONDS) -> np.ndarray:
        """Stereo float32 (2, N) at VITAL_RATE, note-on at 0."""
        return _play(self._synth, self._knobs, controls(p), p.note, p.length, seconds)


def render_preset(preset: dict, note: int, length: float, seconds: float = CLIP_SECONDS):
    """Render a whole preset (to_vital's dict) in a fresh Synth: (2, N) at VITAL_RATE."""
    synth = vita.Synth()
    _load(synth, json.dumps(preset))
    values = {name: preset["settings"][name] for name in _CONTROL_NAMES}
    return _play(synth, synth.get_controls(), values, note, length, seconds)


def finish(audio: np.ndarray, *, sample_rate: int, stereo: bool, normalize: bool) -> np.ndarray:
    """Vital's stereo at 44.1 kHz -> the requested channels, rate and peak level (float32)."""
    x = audio if stereo else audio.mean(axis=0)
    if sample_rate != VITAL_RATE:  # soxr: 4x faster than resample_poly here, same passband
        x = soxr.resample(np.ascontiguousarray(x.T), VITAL_RATE, sample_rate, quality="HQ").T
    x = np.asarray(x, dtype=np.float32)
    if not normalize:
        return x
    peak = float(np.abs(x).max()) if x.size else 0.0
    if peak < 10 ** (SILENT_DB / 20):
        level = 20 * math.log10(max(peak, 1e-12))
        raise AudioError(f"the render is silent (peak {level:.0f} dBFS, below {SILENT_DB:.0f})")
    return (x * np.float32(10 ** (PEAK_DB / 20) / peak)).astype(np.float32)


@functools.cache
def _default_renderer() -> Renderer:
    return Renderer()  # one per process, made on first use and shared by its threads


def render(
    p: Patch, *, sample_rate: int = SAMPLE_RATE, seconds: float = CLIP_SECONDS,
    stereo: bool = False, normalize: bool = True,
) -> np.ndarray:
    """The standard render (docs/FORMAT.md): mono, 16 kHz, 3 s, peak -1 dBFS; AudioError if silent.
    Uses this process's one Renderer: call it from one thread at a time."""
    audio = _default_renderer().render_vital(p, seconds)
    return finish(audio, sample_rate=sample_rate, stereo=stereo, normalize=normalize)
