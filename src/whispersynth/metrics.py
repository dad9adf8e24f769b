"""How close a prediction is: per-field accuracy and errors in the units a producer thinks in."""

from __future__ import annotations

import math

import numpy as np

from .audio import CLIP_SECONDS
from .spec import FIELDS, Field, Patch

FLOOR_DB = -60.0  # sustain levels below this are compared as -60 dB (-inf included)


def _pct(p: float, t: float) -> float:
    return 100.0 * abs(p - t) / max(t, 0.001)


def _st(p: float, t: float) -> float:
    return abs(12.0 * math.log2(max(p, 1e-3) / max(t, 1e-3)))


ERRORS = {
    "semitones": _st,
    "percent": _pct,
    "db": lambda p, t: abs(max(p, FLOOR_DB) - max(t, FLOOR_DB)),
    "absolute": lambda p, t: float(abs(p - t)),
}


def field_error(f: Field, pred, true) -> float:
    """One field's error, by its kind (spec.Field.error): 1/0 correctness for categories; for
    numbers semitones (cutoff), percent (times, LFO rate), dB (sustain) or the plain difference
    (note, detune, LFO depth). NaN where the field does not apply to both patches."""
    p, t = getattr(pred, f.name), getattr(true, f.name)
    if f.error == "exact":
        return float(p == t)
    if p is None or t is None or (f.given and getattr(pred, f.given) != getattr(true, f.given)):
        return math.nan
    return ERRORS[f.error](p, t)


def field_errors(pred, true) -> dict[str, float]:
    """Every field's error (see field_error), in the table's order."""
    return {f.name: field_error(f, pred, true) for f in true.FIELDS}


# Where a 16 kHz, 3 s clip shows a field (docs/FORMAT.md "What a clip can and cannot show").
AUDIBLE_CUTOFF_HZ = 6000  # a filter cutoff above this moves nothing a 16 kHz clip keeps
MIN_BEAT_HZ = 0.5  # unison beating slower than this shows less than two beats in 3 s
MIN_LFO_DEPTH = {"Pitch": 0.1, "Filter Cutoff": 1.0, "Volume": 1.0}
MIN_LEVEL_DB = -40.0  # a second oscillator or noise this far below the first is masked by it
MIN_SWEEP_ST = 1.0  # a filter or pitch envelope must move at least this much
MIN_PITCH_DECAY = 0.005  # a pitch envelope shorter than this is a click, not a glide
MIN_FM = 0.05  # FM below this (beta < 0.11) adds sidebands more than 25 dB down
MIN_MIX = 10  # an effect mixed in below this percentage is mostly masked by the dry sound
MIN_DRIVE_DB = 0.0  # below it Hard Clip and the folds leave a voice untouched, Soft Clip nearly
MIN_DEPTH = 5  # chorus depth (%) under which the taps barely move


def audible(p: Patch, clip_seconds: float = CLIP_SECONDS) -> dict[str, bool]:
    """Per field, whether this patch's value of it can be heard in its standard render."""
    filt = p.filter_type is not None and p.cutoff <= AUDIBLE_CUTOFF_HZ
    f0 = 440.0 * 2 ** ((p.note - 69) / 12)
    beats = p.detune is not None and f0 * (2 ** (p.detune / 12) - 1) >= MIN_BEAT_HZ
    sounding = min(clip_seconds, p.length + p.release)
    lfo = (p.lfo_target is not None and p.lfo_rate * sounding >= 1.0
           and p.lfo_depth >= MIN_LFO_DEPTH[p.lfo_target])
    return {**_audible_v1(p, filt, beats, lfo, clip_seconds), **_audible_v2(p, filt, clip_seconds),
            **_audible_v3(p, sounding)}


def _audible_v1(p: Patch, filt: bool, beats: bool, lfo: bool, clip_seconds: float) -> dict[str, bool]:
    return {
        "waveform": True, "note": True, "attack": p.attack < p.length,
        "decay": p.attack + p.decay < p.length + 0.5 and p.sustain < -1.0, "sustain": p.attack < p.length,
        "release": p.length + p.release <= clip_seconds and p.sustain > -60.0, "length": p.length < clip_seconds,
        "voices": p.voices == 1 or beats, "detune": beats,
        "filter_type": p.filter_type is None or filt, "cutoff": filt,
        "lfo_target": p.lfo_target is None or lfo, "lfo_rate": lfo, "lfo_depth": lfo,
    }


def _audible_v2(p: Patch, filt: bool, clip_seconds: float) -> dict[str, bool]:
    """Version 2's lines: heard where the filter is (resonance, filter envelope), where the
    second oscillator or the noise is loud enough, where an envelope moves far and long enough.
    The off values of on/off lines are always scored: "off" is as much a setting as "on"."""
    fenv = filt and p.fenv_amount is not None and abs(p.fenv_amount) >= MIN_SWEEP_ST
    osc2 = p.osc2_wave is not None and p.osc2_level >= MIN_LEVEL_DB
    penv = (p.penv_amount is not None and abs(p.penv_amount) >= MIN_SWEEP_ST
            and p.penv_decay >= MIN_PITCH_DECAY)
    return {
        "resonance": filt, "fenv_amount": fenv or p.fenv_amount is None, "fenv_attack": fenv and p.fenv_attack < p.length,
        "fenv_decay": fenv and p.fenv_sustain < -1.0, "fenv_sustain": fenv, "fenv_release": fenv and p.length < clip_seconds and p.release >= 0.05,
        "osc2_wave": osc2 or p.osc2_wave is None, "osc2_semitones": osc2, "osc2_level": osc2,
        "noise": True, "penv_amount": penv or p.penv_amount is None, "penv_decay": penv,
    }


def _audible_v3(p: Patch, sounding: float) -> dict[str, bool]:
    """Version 3's lines: heard when mixed in enough, driven hard enough, moving enough, with an
    echo or a chorus cycle inside the clip (docs/FORMAT.md)."""
    fm = p.fm_amount is not None and p.fm_amount >= MIN_FM
    dist = p.dist_type is not None and p.dist_mix >= MIN_MIX and p.dist_drive >= MIN_DRIVE_DB
    chorus = p.chorus_rate is not None and p.chorus_mix >= MIN_MIX and p.chorus_depth >= MIN_DEPTH
    delay = p.delay_time is not None and p.delay_mix >= MIN_MIX and p.delay_time < CLIP_SECONDS
    reverb = p.reverb_decay is not None and p.reverb_mix >= MIN_MIX
    return {
        "fm_amount": fm or p.fm_amount is None,
        "dist_type": dist or p.dist_type is None, "dist_drive": dist, "dist_mix": dist,
        "chorus_rate": (chorus and p.chorus_rate * sounding >= 1.0) or p.chorus_rate is None,
        "chorus_depth": chorus, "chorus_mix": chorus,
        "delay_time": delay or p.delay_time is None, "delay_feedback": delay and 2 * p.delay_time < CLIP_SECONDS,
        "delay_mix": delay,
        "reverb_decay": reverb or p.reverb_decay is None, "reverb_size": reverb, "reverb_damping": reverb,
        "reverb_mix": reverb,
    }


def audible_only(errors: dict[str, float], true: Patch) -> dict[str, float]:
    """The errors of the fields the true patch lets a listener hear; NaN for the others."""
    heard = audible(true)
    return {k: (v if heard.get(k, True) else math.nan) for k, v in errors.items()}


def summarize(rows: list[dict[str, float]], fields: tuple[Field, ...] = FIELDS) -> dict[str, float]:
    """Accuracy (mean) of the exact-or-not fields, median error of the others, and for notes the
    exact and within-a-semitone rates."""
    out: dict[str, float] = {}
    if not rows:
        return out
    for f in fields:
        values = np.array([r[f.name] for r in rows if f.name in r], dtype=float)
        values = values[~np.isnan(values)]
        if values.size == 0:
            continue
        if f.error == "exact":
            out[f"{f.name}_acc"] = float(values.mean())
        else:
            out[f"{f.name}_median_err"] = float(np.median(values))
    for f in fields:
        if f.kind == "note":
            notes = np.array([r[f.name] for r in rows])
            out[f"{f.name}_exact"] = float(np.mean(notes == 0))
            out[f"{f.name}_within_1st"] = float(np.mean(notes <= 1))
    return out


# ---------------------------------------------------------------- audio distances

MSS_FFTS = (64, 128, 256, 512, 1024, 2048)
EPS = 1e-5


def _tensor(x) -> "torch.Tensor":
    import torch

    t = torch.as_tensor(np.asarray(x, dtype=np.float32))
    return t[None] if t.ndim == 1 else t


def _mag(x, n_fft: int):
    import torch

    return torch.stft(x, n_fft, n_fft // 4, window=torch.hann_window(n_fft), return_complex=True).abs()


# The log term's floor: 80 dB below a full-scale sine's peak bin (n_fft / 4 with a Hann window),
# so the noise of a 16-bit file (about -100 dB) and the dither below it do not count as sound.
LOG_FLOOR = 10 ** (-80 / 20) / 4


def _mss_terms(x_mags: list, y) -> "torch.Tensor":
    total = 0.0
    for n, sx in zip(MSS_FFTS, x_mags):
        sy = _mag(y, n)
        floor = LOG_FLOOR * n
        log_diff = (sx.clamp_min(floor).log() - sy.clamp_min(floor).log()).abs()
        total = total + (sx - sy).abs().mean(dim=(1, 2)) + log_diff.mean(dim=(1, 2))
    return total / len(MSS_FFTS)


def mss(a, b) -> np.ndarray:
    """Multi-resolution STFT distance (FFT 64..2048, hop 1/4): mean |linear magnitude| difference
    plus mean |log magnitude| difference (floored at -80 dB), averaged over resolutions; one
    value per clip pair."""
    x = _tensor(a)
    return _mss_terms([_mag(x, n) for n in MSS_FFTS], _tensor(b)).numpy()


class MssTo:
    """MSS from one fixed target to any clip, the target's spectrograms computed once (a search
    scores hundreds of candidates against the same input)."""

    def __init__(self, target) -> None:
        x = _tensor(target)
        self.mags = [_mag(x, n) for n in MSS_FFTS]

    def __call__(self, b) -> float:
        return float(_mss_terms(self.mags, _tensor(b))[0])


def spectral_convergence(a, b) -> np.ndarray:
    """||S_a - S_b|| / ||S_a|| of the magnitude spectrogram, averaged over the MSS resolutions."""
    x, y = _tensor(a), _tensor(b)
    total = 0.0
    for n in MSS_FFTS:
        sx, sy = _mag(x, n), _mag(y, n)
        total = total + (sx - sy).norm(dim=(1, 2)) / sx.norm(dim=(1, 2)).clamp_min(EPS)
    return (total / len(MSS_FFTS)).numpy()


def _logmel(x):
    from .features import front_end

    return front_end(1)(x)


def logmel_l1(a, b) -> np.ndarray:
    """Mean absolute difference of Whisper log-mel spectrograms (the model's own input)."""
    return (_logmel(_tensor(a)) - _logmel(_tensor(b))).abs().mean(dim=(1, 2)).numpy()


def mfcc_l1(a, b, n_mfcc: int = 20) -> np.ndarray:
    """Mean absolute difference of the first `n_mfcc` MFCCs (DCT-II of the log-mel frames)."""
    from scipy.fft import dct

    ma = dct(_logmel(_tensor(a)).numpy(), type=2, axis=1, norm="ortho")[:, :n_mfcc]
    mb = dct(_logmel(_tensor(b)).numpy(), type=2, axis=1, norm="ortho")[:, :n_mfcc]
    return np.abs(ma - mb).mean(axis=(1, 2))


def rms_cosine(a, b, frame: int = 1024, hop: int = 256) -> np.ndarray:
    """Cosine similarity of the RMS envelopes (1 = same loudness contour; higher is better)."""
    def env(x):
        frames = _tensor(x).unfold(-1, frame, hop)
        return frames.pow(2).mean(-1).sqrt()

    ea, eb = env(a), env(b)
    return ((ea * eb).sum(-1) / (ea.norm(dim=-1) * eb.norm(dim=-1)).clamp_min(EPS)).numpy()


AUDIO_METRICS = {"mss": mss, "logmel_l1": logmel_l1, "spectral_convergence": spectral_convergence,
                 "mfcc_l1": mfcc_l1, "rms_cosine": rms_cosine}


def audio_distances(a, b) -> dict[str, np.ndarray]:
    """Every audio figure between two batches of standard renders (MSS is the primary one)."""
    return {name: fn(a, b) for name, fn in AUDIO_METRICS.items()}
