"""How close a prediction is: per-field accuracy and errors in the units a producer thinks in."""

from __future__ import annotations

import math

import numpy as np

from .spec import Patch

CATEGORICAL = ("waveform", "voices", "filter_type", "lfo_target")
TIMES = ("attack", "decay", "release", "length")
FLOOR_DB = -60.0  # sustain levels below this are compared as -60 dB (-inf included)


def _pct(p: float, t: float) -> float:
    return 100.0 * abs(p - t) / max(t, 0.001)


def _st(p: float, t: float) -> float:
    return abs(12.0 * math.log2(max(p, 1e-3) / max(t, 1e-3)))


def field_errors(pred: Patch, true: Patch) -> dict[str, float]:
    """Per field: 1/0 correctness for categories; for numbers the error in semitones (cutoff,
    note), percent (times, LFO rate), dB (sustain), or absolute (detune, LFO depth). NaN where
    the field does not apply to both patches."""
    out: dict[str, float] = {f: float(getattr(pred, f) == getattr(true, f)) for f in CATEGORICAL}
    out["note"] = float(abs(pred.note - true.note))
    for f in TIMES:
        out[f] = _pct(getattr(pred, f), getattr(true, f))
    out["sustain"] = abs(max(pred.sustain, FLOOR_DB) - max(true.sustain, FLOOR_DB))
    both = pred.filter_type is not None and true.filter_type is not None
    out["cutoff"] = _st(pred.cutoff, true.cutoff) if both else math.nan
    out["detune"] = abs(pred.detune - true.detune) if pred.detune is not None and true.detune is not None else math.nan
    same_lfo = pred.lfo_target is not None and pred.lfo_target == true.lfo_target
    out["lfo_rate"] = _pct(pred.lfo_rate, true.lfo_rate) if same_lfo else math.nan
    out["lfo_depth"] = abs(pred.lfo_depth - true.lfo_depth) if same_lfo else math.nan
    return out


UNITS = {"note": "st", "cutoff": "st", "sustain": "dB", "detune": "st", "lfo_depth": "st|dB",
         **{f: "%" for f in (*TIMES, "lfo_rate")}}


def summarize(rows: list[dict[str, float]]) -> dict[str, float]:
    """Accuracy (mean) of categorical fields, median error of numeric ones, note exact rate."""
    out: dict[str, float] = {}
    if not rows:
        return out
    for key in rows[0]:
        values = np.array([r[key] for r in rows], dtype=float)
        values = values[~np.isnan(values)]
        if values.size == 0:
            continue
        if key in CATEGORICAL:
            out[f"{key}_acc"] = float(values.mean())
        else:
            out[f"{key}_median_err"] = float(np.median(values))
    notes = np.array([r["note"] for r in rows])
    out["note_exact"] = float(np.mean(notes == 0))
    out["note_within_1st"] = float(np.mean(notes <= 1))
    return out
