"""Learn by ear: every line of the format as a control, moved within its rules and heard at once.

`CONTROLS` is derived from the parameter table: a dropdown for each choice, a slider on the
format's grid for each number, an on/off switch for each optional line. `edit` applies one
control's new value and returns the valid patch it makes (the format's rules followed, as
`spec.complete` states them: one voice drops the detune, no filter drops the cutoff, its
envelope, resonance and an LFO on it, no oscillator 2 drops FM); `view` says what every control
shows for a patch: its value, whether it can be moved now, its choices and range. `Audition`
renders a patch in its own synth, pictures it beside a reference and measures the distance (MSS).
The app (app.py) lays these out; nothing here needs Gradio.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from . import audio, influence, match, metrics, synth
from .errors import SettingsError
from .spec import (FIELD, FIELDS, LFO_DEPTH_RANGE, Field, Patch, allowed_choices, complete, middle, off_value,
                   optional, snap)

# The format's grid per kind (docs/FORMAT.md): what a slider steps by. Times are written to 1 ms
# (10 ms from one second up: `snap` rounds those); percentages, Hz, semitones of osc 2 to 1.
GRID = {"int": 1, "hz": 1, "note": 1, "pct": 1, "time": 0.001, "db": 0.1, "fixed": 0.01, "rate": 0.01,
        "depth": 0.1, "st": 0.1}
SWITCH = " on"  # a line's switch is keyed by the line's name and this


@dataclass(frozen=True)
class Control:
    """One control of the editor: a field's dropdown or slider, or a line's on/off switch."""

    key: str  # the field's name, or "<line> on"
    label: str
    kind: Literal["dropdown", "slider", "switch"]
    line: str
    choices: tuple[str, ...] = ()
    lo: float = 0.0
    hi: float = 0.0
    step: float = 1.0


def switched(f: Field) -> bool:
    """Whether a field heads an optional line that has an on/off switch: a line absent when off
    (None, or -inf dB for noise). The detune has none: it is there exactly when Voices > 1."""
    first = next(g for g in FIELDS if g.line == f.line)
    return f is first and not f.follows and f.name != "detune" and optional(f)


def _controls() -> tuple[Control, ...]:
    out = []
    for f in FIELDS:
        if switched(f):
            out.append(Control(f.line + SWITCH, f.line, "switch", f.line))
        name = influence.label(f)
        if f.kind == "choice":
            out.append(Control(f.name, name, "dropdown", f.line, choices=f.choices))
        else:
            unit = "dB" if f.name == "lfo_depth" else f.unit  # the LFO's unit follows its target
            label = f"{name} ({'st or dB' if f.name == 'lfo_depth' else unit})" if unit else name
            if f.kind == "note":
                label = f"{name} (MIDI note; 60 = C4)"
            out.append(Control(f.name, label, "slider", f.line, lo=f.lo, hi=f.hi, step=GRID[f.kind]))
    return tuple(out)


CONTROLS = _controls()
CONTROL = {c.key: c for c in CONTROLS}


def head(line: str) -> Field:
    return next(f for f in FIELDS if f.line == line)


def remember(memory: dict, p: Patch) -> dict:
    """The values to bring back when a line is turned on again (or a second voice added): the
    last ones it had, kept per session."""
    return {**memory, **{k: v for k, v in p.values().items() if v is not None and v != off_value(FIELD[k])}}


def edit(p: Patch, key: str, value, memory: dict | None = None) -> Patch:
    """The valid patch after one control is moved to `value`: a switch (True/False), a choice or a
    number (snapped to the format's grid, kept in its range). Fields the move brings in take their
    remembered values (`remember`), else the middle of their range; fields it rules out go off."""
    memory = memory or {}
    values = p.values()
    if key not in CONTROL:
        raise SettingsError(f"no such control: {key!r}")
    c = CONTROL[key]
    if c.kind == "switch":
        f = head(c.line)
        if not value:
            values[f.name] = off_value(f)
        elif values[f.name] in (None, off_value(f)):
            if f.requires and values[f.requires] is None:
                raise SettingsError(f"{c.line}: needs {FIELD[f.requires].line} first")
            if f.kind == "choice":
                allowed = allowed_choices(f, values)
                values[f.name] = memory[f.name] if memory.get(f.name) in allowed else allowed[0]
            else:
                values[f.name] = memory.get(f.name, middle(f))
    else:
        f = FIELD[key]
        if f.kind == "choice":
            if value not in f.choices:
                raise SettingsError(f"{c.label}: expected one of {', '.join(f.choices)}, got {value!r}")
        else:
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise SettingsError(f"{c.label}: expected a number, got {value!r}") from None
            if not math.isfinite(value):
                raise SettingsError(f"{c.label}: expected a finite number, got {value!r}")
            lo, hi = f.lo, f.hi
            if f.name == "lfo_depth" and values["lfo_target"]:
                lo, hi = LFO_DEPTH_RANGE[values["lfo_target"]]
            value = snap(f, min(max(value, lo), hi))
        if not enabled(p, c):
            return p  # a value of a line that is off (the detune with one voice): it cannot move now
        values[f.name] = value
    moved = complete(values, memory)
    if moved is None:
        raise SettingsError(f"{c.label}: this change makes no valid patch")
    return moved


def enabled(p: Patch, c: Control) -> bool:
    """Whether a control can be moved now (a line's values while it is on; a switch whose line's
    requirement is met: FM needs oscillator 2, the filter envelope a filter)."""
    f = head(c.line) if c.kind == "switch" else FIELD[c.key]
    if f.requires and getattr(p, f.requires) is None:
        return False
    if c.kind == "switch":
        return True
    value = getattr(p, f.name)
    return value is not None and not (switched(f) and value == off_value(f))


def view(p: Patch, memory: dict | None = None) -> dict[str, dict]:
    """What each control shows for this patch: value, enabled, and choices (dropdowns) or the
    range (sliders); a control of a line that is off shows the value it would come back with."""
    memory, out = memory or {}, {}
    values = p.values()
    for c in CONTROLS:
        if c.kind == "switch":
            f = head(c.line)
            out[c.key] = {"value": values[f.name] not in (None, off_value(f)), "enabled": enabled(p, c)}
            continue
        f = FIELD[c.key]
        value = values[f.name]
        if value is None or (isinstance(value, float) and math.isinf(value)):
            value = memory.get(f.name, middle(f))
        if c.kind == "dropdown":
            choices = allowed_choices(f, values)
            out[c.key] = {"value": value if value in choices else choices[0], "enabled": enabled(p, c),
                          "choices": choices}
            continue
        lo, hi = c.lo, c.hi
        if f.name == "lfo_depth" and p.lfo_target:
            lo, hi = LFO_DEPTH_RANGE[p.lfo_target]
        out[c.key] = {"value": min(max(value, lo), hi), "enabled": enabled(p, c), "lo": lo, "hi": hi}
    return out


@dataclass(frozen=True)
class Heard:
    """One audition: the standard render (16 kHz mono, for the distance and the picture), the
    listening render (44.1 kHz stereo, as Vital plays it), the distance to the reference."""

    standard: np.ndarray
    listening: np.ndarray
    distance: float


class Audition:
    """Renders patches for the editor in a synth of its own (the app's matches render in theirs),
    one at a time."""

    def __init__(self) -> None:
        self._renderer: synth.Renderer | None = None
        self._lock = threading.Lock()

    def _raw(self, p: Patch) -> np.ndarray:
        with self._lock:
            if self._renderer is None:
                self._renderer = synth.Renderer()
            return self._renderer.render_vital(p)

    def render(self, p: Patch) -> np.ndarray:
        """The standard render (synth.render's), from this audition's synth."""
        return synth.finish(self._raw(p), sample_rate=audio.SAMPLE_RATE, stereo=False, normalize=True)

    def hear(self, p: Patch, reference: np.ndarray | None) -> Heard:
        """Render once; AudioError if the patch is silent in the clip. No reference: distance 0."""
        raw = self._raw(p)
        standard = synth.finish(raw, sample_rate=audio.SAMPLE_RATE, stereo=False, normalize=True)
        listening = synth.finish(raw, sample_rate=synth.VITAL_RATE, stereo=True, normalize=True)
        distance = 0.0 if reference is None else float(metrics.mss(reference, standard)[0])
        return Heard(standard, listening, distance)


def _colours(db: np.ndarray) -> np.ndarray:
    from matplotlib import colormaps

    scaled = np.clip((db - match.PLOT_FLOOR_DB) / -match.PLOT_FLOOR_DB, 0.0, 1.0)
    return (colormaps["magma"](scaled[::-1])[..., :3] * 255).astype(np.uint8)  # low frequencies at the bottom


def picture(reference: np.ndarray, edited: np.ndarray | None) -> np.ndarray:
    """The reference's spectrogram and the edit's side by side, as an RGB image (no axes: fast
    enough to redraw on every move); a silent edit is drawn black."""
    left = _colours(match.spectrogram_db(reference)[0])
    right = _colours(match.spectrogram_db(edited)[0]) if edited is not None else np.zeros_like(left)
    gap = np.full((left.shape[0], 6, 3), 255, np.uint8)
    return np.concatenate([left, gap, right], axis=1)


def write_edit(out: Path, p: Patch, heard: Heard | None, stem: str = "edit") -> dict[str, Path]:
    """The edited patch's files in `out`: its settings and presets (as `match` writes them) and,
    unless it is silent, its listening render."""
    names = match.output_names(out, stem, 0)
    files = {"downloads": match.write_presets(names, p, fxp=True)}
    if heard is not None:
        audio.write_wav(names["preview"], heard.listening, synth.VITAL_RATE)
        files["audio"] = names["preview"]
    return files


def describe(distance: float | None, to: str, start: float | None = None) -> str:
    """The distance line shown under the picture, in the words of the influence ranking's scale;
    `start`: the distance the patch started from (a match's, to the same sound)."""
    if distance is None:
        return "This patch is silent in the 3 s clip (nothing to hear or compare)."
    words = next(w for (limit, _), w in zip(influence.WORDS, DISTANCE_WORDS) if distance < limit)
    line = f"Audio distance to {to}: **{distance:.3f}** MSS ({words})"
    if start is not None:
        line += f"; {'closer than' if distance < start else 'not closer than'} where you started ({start:.3f})"
    return line


# influence.WORDS' thresholds (under 0.02 MSS a change is inaudible in the clip), said of two sounds
DISTANCE_WORDS = ("sounds the same", "slightly different", "clearly different", "very different")
