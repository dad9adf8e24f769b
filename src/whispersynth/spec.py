"""The parameter specification: every field of the settings format, and the `Patch` value.

This table is the single source of truth (docs/FORMAT.md): the text parser and writer (each
field's line and part), the data sampler, the token vocabulary, the metrics (each field's
kind of error), the search (which fields it moves) and the loss (each field's weight) are
all derived from it, and so is `Patch` itself. A new field is one row of `FIELDS`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Literal

from .errors import SettingsError

Kind = Literal["choice", "int", "hz", "time", "db", "fixed", "rate", "depth", "note", "st", "pct"]
# How a prediction's error is measured: right or wrong, semitones between two frequencies,
# percent of the true value, dB (levels floored at metrics.FLOOR_DB), or the plain difference.
ErrorKind = Literal["exact", "semitones", "percent", "db", "absolute"]


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED = _Required()  # the default of a field with none: its line must be given

NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
LFO_DEPTH_RANGE = {"Filter Cutoff": (0.0, 48.0), "Pitch": (0.0, 24.0), "Volume": (0.0, 60.0)}
LFO_DEPTH_UNIT = {"Filter Cutoff": "st", "Pitch": "st", "Volume": "dB"}
LFO_DEPTH_SAMPLE = {"Filter Cutoff": (1.0, 36.0), "Pitch": (0.1, 12.0), "Volume": (1.0, 24.0)}


@dataclass(frozen=True)
class Field:
    """One value of the format: where it is written, its range and grid, and how sampling,
    tokens, metrics, search and loss see it."""

    name: str
    kind: Kind
    line: str  # the settings line it is written on
    part: str | None = None  # its label within the line ("Attack"), None for the line's first value
    lo: float = 0.0
    hi: float = 0.0
    choices: tuple[str, ...] = ()
    null: str | None = None  # text of the "absent" value (None / N/A), if the field may be absent
    curve: Literal["linear", "log"] = "linear"
    sample: tuple[float, float] = (0.0, 0.0)  # musical range for the data sampler
    special: tuple[object, float] | None = None  # (value, probability) the sampler draws apart
    unit: str = ""
    bins: tuple[float, float, float] = ()  # token bins: first, last, step (a ratio on a log curve)
    error: ErrorKind = "absolute"
    given: str | None = None  # errors compare only where both patches agree on this choice field
    searched: bool = False  # whether the search (refine) moves it; categorical choices stay fixed
    weight: float = 1.0  # its token's weight in the field-aware loss: what changes the sound most weighs most
    default: object = REQUIRED  # the value when its (optional) line is absent
    version: int = 1  # the format version that added it; a version-2 line is written only when on
    follows: str | None = None  # it is absent (None) exactly when this (earlier) field is
    requires: str | None = None  # without this field (None) it must be off (`off_value`)


LOG_STEP = 1.03  # neighbouring token bins of log-curve fields are 3 % apart


def _t(name: str, line: str, part: str | None, sample: tuple[float, float], lo: float = 0.0, hi: float = 10.0,
       **kw) -> Field:
    """A time on a log curve, token bins 3 % apart from `lo` (1 ms when 0 ms may be written) to `hi`."""
    return Field(name, "time", line, part, lo, hi, curve="log", sample=sample, unit="s",
                 bins=(lo or 0.001, hi, LOG_STEP), error="percent", searched=True, **kw)


ADSR, LFO = "ADSR Envelope", "LFO Modulation"
FENV, OSC2, PENV = "Filter Envelope", "Oscillator 2", "Pitch Envelope"
FM, DIST, CHORUS, DELAY, REVERB = "FM", "Distortion", "Chorus", "Delay", "Reverb"


def V2(line: str, first: str | None = None, version: int = 2) -> dict:  # noqa: N802 - reads as a column group
    """The columns of a version-2 (or later) line's later parts: off with the line's first part."""
    return {"null": "Off", "default": None, "version": version,
            "follows": first or {FENV: "fenv_amount", PENV: "penv_amount"}[line]}


def V3(line: str, first: str) -> dict:  # noqa: N802
    return V2(line, first, version=3)


def _pct(name: str, line: str, part: str, sample: tuple[float, float], hi: float = 100.0, **kw) -> Field:
    """A percentage on a 1 % grid (token bins 2 % apart)."""
    return Field(name, "pct", line, part, 0.0, hi, sample=sample, unit="%", bins=(0.0, hi, 2.0), searched=True, **kw)
# Sampling ranges keep values mostly where a 3 s, 16 kHz clip can show them (docs/FORMAT.md).
FIELDS: tuple[Field, ...] = (
    Field("waveform", "choice", "Waveform", choices=("Sine", "Triangle", "Saw", "Square"), error="exact",
          weight=2.0),
    Field("voices", "int", "Voices", lo=1, hi=16, sample=(2, 16), special=(1, 0.4), bins=(1, 16, 1),
          error="exact", weight=1.5),
    Field("detune", "fixed", "Oscillator Detune", lo=0.0, hi=1.0, null="None", sample=(0.03, 1.0), unit="st",
          bins=(0.0, 1.0, 0.01), searched=True),
    Field("filter_type", "choice", "Filter Type", choices=("Lowpass", "Highpass", "Bandpass"), null="N/A",
          special=(None, 0.25), error="exact", weight=2.0),
    Field("cutoff", "hz", "Filter Cutoff", lo=20, hi=20000, null="N/A", curve="log", sample=(40, 7000),
          unit="Hz", bins=(20, 20000, LOG_STEP), error="semitones", searched=True, weight=2.0, follows="filter_type"),
    _t("attack", ADSR, "Attack", (0.001, 1.5), special=(0.0, 0.1)),
    _t("decay", ADSR, "Decay", (0.01, 3.0)),
    Field("sustain", "db", ADSR, "Sustain", lo=-120.0, hi=0.0, sample=(-40.0, 0.0), special=(-math.inf, 0.05),
          unit="dB", bins=(-120.0, 0.0, 0.5), error="db", searched=True),
    _t("release", ADSR, "Release", (0.005, 1.5)),
    Field("lfo_target", "choice", LFO, choices=tuple(LFO_DEPTH_RANGE), null="None", special=(None, 0.4),
          error="exact"),
    Field("lfo_rate", "rate", LFO, "Rate", lo=0.01, hi=100.0, null="None", curve="log", sample=(0.5, 12.0),
          unit="Hz", bins=(0.01, 100.0, LOG_STEP), error="percent", given="lfo_target", searched=True,
          follows="lfo_target"),
    # lfo_depth's range and unit depend on the target: LFO_DEPTH_RANGE, _UNIT, _SAMPLE
    Field("lfo_depth", "depth", LFO, "Depth", lo=0.0, hi=60.0, null="None", curve="log", unit="st|dB",
          bins=(0.1, 60.0, LOG_STEP), given="lfo_target", searched=True, follows="lfo_target"),
    Field("note", "note", "Note", lo=0, hi=127, sample=(36, 84), bins=(0, 127, 1), weight=2.0,
          default=60),
    _t("length", "Note", "Length", (0.3, 2.5), default=2.0),
    # Version 2 (docs/FORMAT.md): optional lines after the Note line, absent = off. They come
    # last so a version-1 patch's tokens are a prefix of its version-2 tokens.
    Field("resonance", "fixed", "Filter Resonance", lo=0.0, hi=1.0, sample=(0.05, 1.0), special=(0.0, 0.5),
          bins=(0.0, 1.0, 0.02), searched=True, default=0.0, version=2, requires="filter_type"),
    Field("fenv_amount", "st", FENV, "Amount", lo=-72.0, hi=72.0, null="Off", sample=(-36.0, 60.0),
          special=(None, 0.5), unit="st", bins=(-72.0, 72.0, 1.0), searched=True, default=None, version=2,
          requires="filter_type"),
    _t("fenv_attack", FENV, "Attack", (0.001, 1.0), special=(0.0, 0.3), **V2(FENV)),
    _t("fenv_decay", FENV, "Decay", (0.01, 2.0), **V2(FENV)),
    Field("fenv_sustain", "db", FENV, "Sustain", lo=-120.0, hi=0.0, sample=(-40.0, 0.0),
          special=(-math.inf, 0.3), unit="dB", bins=(-120.0, 0.0, 0.5), error="db", searched=True, **V2(FENV)),
    _t("fenv_release", FENV, "Release", (0.005, 1.5), **V2(FENV)),
    Field("osc2_wave", "choice", OSC2, choices=("Sine", "Triangle", "Saw", "Square"), null="Off",
          special=(None, 0.55), error="exact", weight=1.5, default=None, version=2),
    Field("osc2_semitones", "int", OSC2, "Semitones", lo=-48, hi=48, sample=(-24, 24),
          special=(-12, 0.25), unit="st", bins=(-48, 48, 1), **V2(OSC2, "osc2_wave")),
    Field("osc2_level", "db", OSC2, "Level", lo=-60.0, hi=6.0, sample=(-30.0, 0.0), unit="dB",
          bins=(-60.0, 6.0, 0.5), error="db", searched=True, **V2(OSC2, "osc2_wave")),
    Field("noise", "db", "Noise", lo=-60.0, hi=0.0, sample=(-40.0, 0.0), special=(-math.inf, 0.6), unit="dB",
          bins=(-60.0, 0.0, 0.5), error="db", searched=True, default=-math.inf, version=2),
    Field("penv_amount", "st", PENV, "Amount", lo=-48.0, hi=48.0, null="Off", sample=(-24.0, 48.0),
          special=(None, 0.65), unit="st", bins=(-48.0, 48.0, 0.5), searched=True, default=None, version=2),
    _t("penv_decay", PENV, "Decay", (0.005, 0.5), **V2(PENV, "penv_amount")),
    # Version 3 (docs/FORMAT.md): FM, then the effects in the chain's order. Each line is on in
    # about as many clips as real presets use it (docs/FORMAT.md, "Version 3 in the data sampler").
    Field("fm_amount", "fixed", FM, "Amount", lo=0.0, hi=1.0, null="Off", sample=(0.05, 0.5), special=(None, 0.75),
          bins=(0.0, 1.0, 0.01), searched=True, default=None, version=3, requires="osc2_wave"),
    Field("dist_type", "choice", DIST, choices=("Soft Clip", "Hard Clip", "Linear Fold", "Sine Fold"), null="Off",
          special=(None, 0.6), error="exact", default=None, version=3),
    Field("dist_drive", "db", DIST, "Drive", lo=-30.0, hi=30.0, sample=(0.0, 24.0), unit="dB", bins=(-30.0, 30.0, 1.0),
          searched=True, **V3(DIST, "dist_type")),
    _pct("dist_mix", DIST, "Mix", (20.0, 100.0), **V3(DIST, "dist_type")),
    Field("chorus_rate", "rate", CHORUS, "Rate", lo=0.02, hi=8.0, null="Off", curve="log", sample=(0.1, 4.0),
          special=(None, 0.75), unit="Hz", bins=(0.02, 8.0, LOG_STEP), error="percent", searched=True, default=None,
          version=3),
    _pct("chorus_depth", CHORUS, "Depth", (10.0, 100.0), **V3(CHORUS, "chorus_rate")),
    _pct("chorus_mix", CHORUS, "Mix", (10.0, 60.0), **V3(CHORUS, "chorus_rate")),
    _t("delay_time", DELAY, "Time", (0.05, 0.8), lo=0.002, hi=4.0, null="Off", special=(None, 0.6), default=None,
       version=3),
    _pct("delay_feedback", DELAY, "Feedback", (0.0, 70.0), hi=95.0, **V3(DELAY, "delay_time")),
    _pct("delay_mix", DELAY, "Mix", (10.0, 50.0), **V3(DELAY, "delay_time")),
    _t("reverb_decay", REVERB, "Decay", (0.3, 8.0), lo=0.1, hi=20.0, null="Off", special=(None, 0.5), default=None,
       version=3),
    _pct("reverb_size", REVERB, "Size", (10.0, 90.0), **V3(REVERB, "reverb_decay")),
    _pct("reverb_damping", REVERB, "Damping", (0.0, 100.0), **V3(REVERB, "reverb_decay")),
    _pct("reverb_mix", REVERB, "Mix", (10.0, 50.0), **V3(REVERB, "reverb_decay")),
)
FIELD = {f.name: f for f in FIELDS}
VERSION = max(f.version for f in FIELDS)  # the format version this package writes


def table(version: int = VERSION) -> tuple[Field, ...]:
    """The fields of a format version (version 1's are a prefix of version 2's)."""
    if not 1 <= version <= VERSION:
        raise SettingsError(f"format version {version} does not exist; expected 1..{VERSION}")
    return tuple(f for f in FIELDS if f.version <= version)


def off_value(field: Field):
    """A field's value when it is off: its default if it has one (0 resonance, -inf dB noise), else None."""
    return None if field.default is REQUIRED else field.default


def is_off(patch, line_fields: tuple[Field, ...]) -> bool:
    """Whether every field of a line is at its off value (the writer leaves such version-2 lines out)."""
    return all(getattr(patch, f.name) == off_value(f) for f in line_fields)


def snap_time(seconds: float) -> float:
    """Snap to the format's time grid: 1 ms below one second, 10 ms from one second up."""
    ms = round(seconds, 3)
    return ms if ms < 1.0 else round(seconds, 2)


def snap(field: Field, value):
    """Snap one value to its field's grid (docs/FORMAT.md: the written precision is the grid)."""
    if value is None or field.kind == "choice":
        return value
    if field.kind in ("int", "hz", "note", "pct"):
        return int(round(value))
    if field.kind == "time":
        return snap_time(float(value))
    if field.kind == "db":
        return float(value) if math.isinf(value) else round(float(value), 1) + 0.0
    decimals = {"fixed": 2, "rate": 2, "depth": 1, "st": 1}[field.kind]
    return round(float(value), decimals) + 0.0  # + 0.0 turns -0.0 into 0.0


class PatchBase:
    """What every patch type has: snapping and validation on creation, `replace`, `values`.
    `FIELDS` is the table the type was made from (see `patch_type`)."""

    FIELDS: tuple[Field, ...] = ()

    def __post_init__(self) -> None:
        for f in self.FIELDS:
            object.__setattr__(self, f.name, snap(f, getattr(self, f.name)))
        validate(self)

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)

    def values(self) -> dict:
        return {f.name: getattr(self, f.name) for f in self.FIELDS}


def patch_type(fields: tuple[Field, ...], name: str = "Patch", doc: str = "") -> type:
    """A frozen dataclass with one attribute per field of the table, in its order."""
    columns = [(f.name, object) if f.default is REQUIRED else (f.name, object, dataclasses.field(default=f.default))
               for f in fields]
    cls = dataclasses.make_dataclass(name, columns, bases=(PatchBase,), frozen=True,
                                     namespace={"FIELDS": fields, "__doc__": doc or PatchBase.__doc__})
    cls.__module__ = __name__  # so patches pickle into render processes
    return cls


Patch = patch_type(FIELDS, doc="One complete set of synth settings, always on the format's grid and always valid.")


def check_range(field: Field, value, lo: float | None = None, hi: float | None = None) -> None:
    """Raise SettingsError if a (non-None) value is outside the field's accepted range."""
    lo = field.lo if lo is None else lo
    hi = field.hi if hi is None else hi
    if field.kind == "choice":
        if value not in field.choices:
            raise SettingsError(f"{field.name}: expected one of {', '.join(field.choices)}, got {value!r}")
        return
    if field.kind == "db" and value == -math.inf and takes_minus_inf(field):
        return
    if not lo <= value <= hi:  # also catches NaN
        raise SettingsError(f"{field.name}: {value} is out of range {lo:g}..{hi:g}")


def takes_minus_inf(field: Field) -> bool:
    """Whether a level may be -inf dB: sustains and noise (off) may; oscillator 2's level may not
    (the line is on or absent)."""
    return field.kind == "db" and -math.inf in ((field.special or (None,))[0], field.default)


def validate(p) -> None:
    """Check every range and the rules that tie fields together (docs/FORMAT.md)."""
    for f in p.FIELDS:
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
    for f in p.FIELDS:
        value = getattr(p, f.name)
        if f.follows and (value is None) != (getattr(p, f.follows) is None):
            raise SettingsError(f"{f.line}: give every part ({', '.join(g.part or g.name for g in p.FIELDS if g.line == f.line)}) "
                                f"or leave the line out")
        if f.requires and getattr(p, f.requires) is None and value != off_value(f):
            raise SettingsError(f"{f.line}: given without {FIELD[f.requires].line} (it is N/A); leave the line out")


def null_rule(field: Field, values: dict) -> bool | None:
    """Whether a field must be off (True: None, or `off_value`), must be present (False) or may
    be either (None), given the fields before it: the rules that tie fields together, for
    samplers and decoders."""
    if field.name == "detune":
        return values["voices"] == 1
    if field.requires and values[field.requires] is None:
        return True  # it must be off: None, or its default (resonance 0) where it has no None
    if field.follows:
        return values[field.follows] is None
    return None if field.null is not None else False


def optional(field: Field) -> bool:
    """Whether the field can be off: absent (None, N/A, Off) or, for noise, at -inf dB."""
    return field.null is not None or off_value(field) == -math.inf


def middle(field: Field):
    """A field's value in the middle of its sampling range (the value a line turned on starts from)."""
    if field.kind == "choice":
        return field.choices[0]
    lo, hi = field.sample
    return snap(field, math.sqrt(lo * hi) if field.curve == "log" else (lo + hi) / 2)


def complete(values: dict, fill: dict | None = None):
    """The patch these values make after a change, every other field following the format's rules:
    a field that must be off is turned off (one voice drops the detune, no filter drops the cutoff,
    its envelope and an LFO on it), one that must be present takes its value from `fill`, else
    `middle`; an LFO depth is kept within its target's range. None when no valid patch results."""
    values, fill = dict(values), fill or {}
    if values["lfo_target"] == "Filter Cutoff" and values["filter_type"] is None:
        values.update(lfo_target=None, lfo_rate=None, lfo_depth=None)
    for g in FIELDS:
        rule = null_rule(g, values)
        if rule is True:
            values[g.name] = off_value(g)
        elif rule is False and values[g.name] is None:
            values[g.name] = fill.get(g.name, middle(g))
    if values["lfo_target"] is not None and values["lfo_depth"] is not None:
        lo, hi = LFO_DEPTH_RANGE[values["lfo_target"]]
        values["lfo_depth"] = min(max(values["lfo_depth"], lo), hi)
    try:
        return Patch(**values)
    except SettingsError:
        return None


def allowed_choices(field: Field, values: dict) -> tuple[str, ...]:
    """The choices of a categorical field allowed after the fields before it."""
    if field.name == "lfo_target" and values.get("filter_type") is None:
        return tuple(c for c in field.choices if c != "Filter Cutoff")
    return field.choices


def note_name(midi: int) -> str:
    return f"{NOTE_NAMES[midi % 12]}{midi // 12 - 1}"


def midi_to_hz(midi: float) -> float:
    return 440.0 * 2.0 ** ((midi - 69) / 12)
