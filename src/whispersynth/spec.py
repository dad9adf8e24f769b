"""The parameter specification: every field of the settings format, and the `Patch` value.

This table is the single source of truth (FORMAT.md): the text parser and writer, the data
sampler, the token vocabulary and the Vital mapping are all derived from it.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Literal

from .errors import SettingsError

Kind = Literal["choice", "int", "hz", "time", "db", "fixed", "rate", "depth", "note"]

NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
LFO_DEPTH_RANGE = {"Filter Cutoff": (0.0, 48.0), "Pitch": (0.0, 24.0), "Volume": (0.0, 60.0)}
LFO_DEPTH_UNIT = {"Filter Cutoff": "st", "Pitch": "st", "Volume": "dB"}
LFO_DEPTH_SAMPLE = {"Filter Cutoff": (1.0, 36.0), "Pitch": (0.1, 12.0), "Volume": (1.0, 24.0)}


@dataclass(frozen=True)
class Field:
    """One value of the format: its range, grid, and how data sampling and tokens see it."""

    name: str
    kind: Kind
    lo: float = 0.0
    hi: float = 0.0
    choices: tuple[str, ...] = ()
    null: str | None = None  # text of the "absent" value (None / N/A), if the field may be absent
    curve: Literal["linear", "log"] = "linear"
    sample: tuple[float, float] = (0.0, 0.0)  # musical range for the data sampler
    special: tuple[object, float] | None = None  # (value, probability) the sampler draws apart
    unit: str = ""
    bins: tuple[float, float, float] = ()  # token bins: first, last, step (a ratio on a log curve)


LOG_STEP = 1.03  # neighbouring token bins of log-curve fields are 3 % apart


def _t(name: str, sample: tuple[float, float], special: tuple[object, float] | None = None) -> Field:
    return Field(name, "time", 0.0, 10.0, curve="log", sample=sample, special=special, unit="s",
                 bins=(0.001, 10.0, LOG_STEP))


# Sampling ranges keep values mostly where a 3 s, 16 kHz clip can show them (FORMAT.md).
FIELDS: tuple[Field, ...] = (
    Field("waveform", "choice", choices=("Sine", "Triangle", "Saw", "Square")),
    Field("voices", "int", 1, 16, sample=(2, 16), special=(1, 0.4), bins=(1, 16, 1)),
    Field("detune", "fixed", 0.0, 1.0, null="None", sample=(0.03, 1.0), bins=(0.0, 1.0, 0.01)),
    Field("filter_type", "choice", choices=("Lowpass", "Highpass", "Bandpass"), null="N/A", special=(None, 0.25)),
    Field("cutoff", "hz", 20, 20000, null="N/A", curve="log", sample=(40, 7000), unit="Hz",
          bins=(20, 20000, LOG_STEP)),
    _t("attack", (0.001, 1.5), special=(0.0, 0.1)),
    _t("decay", (0.01, 3.0)),
    Field("sustain", "db", -120.0, 0.0, sample=(-40.0, 0.0), special=(-math.inf, 0.05), unit="dB",
          bins=(-120.0, 0.0, 0.5)),
    _t("release", (0.005, 1.5)),
    Field("lfo_target", "choice", choices=tuple(LFO_DEPTH_RANGE), null="None", special=(None, 0.4)),
    Field("lfo_rate", "rate", 0.01, 100.0, null="None", curve="log", sample=(0.5, 12.0), unit="Hz",
          bins=(0.01, 100.0, LOG_STEP)),
    # lfo_depth's range and unit depend on the target: LFO_DEPTH_RANGE, _UNIT, _SAMPLE
    Field("lfo_depth", "depth", 0.0, 60.0, null="None", curve="log", bins=(0.1, 60.0, LOG_STEP)),
    Field("note", "note", 0, 127, sample=(36, 84), bins=(0, 127, 1)),
    _t("length", (0.3, 2.5)),
)
FIELD = {f.name: f for f in FIELDS}


def snap_time(seconds: float) -> float:
    """Snap to the format's time grid: 1 ms below one second, 10 ms from one second up."""
    ms = round(seconds, 3)
    return ms if ms < 1.0 else round(seconds, 2)


def snap(field: Field, value):
    """Snap one value to its field's grid (FORMAT.md: the written precision is the grid)."""
    if value is None or field.kind == "choice":
        return value
    if field.kind in ("int", "hz", "note"):
        return int(round(value))
    if field.kind == "time":
        return snap_time(float(value))
    if field.kind == "db":
        return float(value) if math.isinf(value) else round(float(value), 1) + 0.0
    decimals = {"fixed": 2, "rate": 2, "depth": 1}[field.kind]
    return round(float(value), decimals) + 0.0  # + 0.0 turns -0.0 into 0.0


@dataclass(frozen=True)
class Patch:
    """One complete set of synth settings, always on the format's grid and always valid."""

    waveform: str
    voices: int
    detune: float | None
    filter_type: str | None
    cutoff: int | None
    attack: float
    decay: float
    sustain: float
    release: float
    lfo_target: str | None
    lfo_rate: float | None
    lfo_depth: float | None
    note: int = 60
    length: float = 2.0

    def __post_init__(self) -> None:
        for f in FIELDS:
            object.__setattr__(self, f.name, snap(f, getattr(self, f.name)))
        validate(self)

    def replace(self, **changes) -> Patch:
        return dataclasses.replace(self, **changes)

    def values(self) -> dict:
        return {f.name: getattr(self, f.name) for f in FIELDS}


def check_range(field: Field, value, lo: float | None = None, hi: float | None = None) -> None:
    """Raise SettingsError if a (non-None) value is outside the field's accepted range."""
    lo = field.lo if lo is None else lo
    hi = field.hi if hi is None else hi
    if field.kind == "choice":
        if value not in field.choices:
            raise SettingsError(f"{field.name}: expected one of {', '.join(field.choices)}, got {value!r}")
        return
    if field.kind == "db" and value == -math.inf:
        return
    if not lo <= value <= hi:  # also catches NaN
        raise SettingsError(f"{field.name}: {value} is out of range {lo:g}..{hi:g}")


def validate(p: Patch) -> None:
    """Check every range and the rules that tie fields together (FORMAT.md)."""
    for f in FIELDS:
        value = getattr(p, f.name)
        if value is None:
            if f.null is None:
                raise SettingsError(f"{f.name}: a value is required")
            continue
        if f.name == "lfo_depth" and p.lfo_target in LFO_DEPTH_RANGE:
            check_range(f, value, *LFO_DEPTH_RANGE[p.lfo_target])
        else:
            check_range(f, value)
    if p.voices == 1 and p.detune is not None:
        raise SettingsError(f"Oscillator Detune: {p.detune:.2f} given with one voice; expected None")
    if p.voices > 1 and p.detune is None:
        raise SettingsError(f"Oscillator Detune: None with {p.voices} voices; expected a number 0.00..1.00")
    if p.filter_type is None and p.cutoff is not None:
        raise SettingsError(f"Filter Cutoff: {p.cutoff}Hz given without a filter; expected N/A (Filter Type is N/A)")
    if p.filter_type is not None and p.cutoff is None:
        raise SettingsError(f"Filter Cutoff: N/A with a {p.filter_type} filter; expected a frequency like 368Hz")
    lfo = (p.lfo_target, p.lfo_rate, p.lfo_depth)
    if (lfo[0] is None) != (lfo[1] is None) or (lfo[0] is None) != (lfo[2] is None):
        raise SettingsError("LFO Modulation: give a target, a rate and a depth, or None")
    if p.lfo_target == "Filter Cutoff" and p.filter_type is None:
        raise SettingsError("LFO Modulation: an LFO on Filter Cutoff needs a filter (Filter Type is N/A)")


def null_rule(name: str, values: dict) -> bool | None:
    """Whether a field must be absent (True), must be present (False) or may be either (None),
    given the fields before it: the rules that tie fields together, for samplers and decoders."""
    if name == "detune":
        return values["voices"] == 1
    if name == "cutoff":
        return values["filter_type"] is None
    if name in ("lfo_rate", "lfo_depth"):
        return values["lfo_target"] is None
    return None if FIELD[name].null is not None else False


def allowed_choices(name: str, values: dict) -> tuple[str, ...]:
    """The choices of a categorical field allowed after the fields before it."""
    choices = FIELD[name].choices
    if name == "lfo_target" and values.get("filter_type") is None:
        return tuple(c for c in choices if c != "Filter Cutoff")
    return choices


def note_name(midi: int) -> str:
    return f"{NOTE_NAMES[midi % 12]}{midi // 12 - 1}"


def midi_to_hz(midi: float) -> float:
    return 440.0 * 2.0 ** ((midi - 69) / 12)
