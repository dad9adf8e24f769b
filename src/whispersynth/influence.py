"""Which settings matter for this sound: each one moved a step up and down on its token grid
(another choice, for a categorical one; off, for an optional line that is on), re-rendered, and
ranked by how far that moves the standard render (MSS, the unit `evaluate --by-ear` uses).

A step is one token bin: 3 % of a time, rate or cutoff, 0.5 dB of a level, a semitone, 0.01 of
detune, resonance or FM, 2 % of a percentage, 1 dB of drive. Words (`WORDS`): under 0.02 MSS,
the by-ear threshold (a 1 ms attack change is below it, a 0.5 dB sustain change above), a move is
inaudible in this clip.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from . import metrics, synth
from .errors import AudioError
from .spec import FIELDS, LFO_DEPTH_RANGE, Field, Patch, complete, off_value, optional, snap

WORDS = ((0.02, "inaudible in this clip"), (0.05, "slight"), (0.15, "clear"), (math.inf, "large"))


@dataclass(frozen=True)
class Influence:
    """One setting's largest audible effect among its moves."""

    field: str
    label: str  # as the format writes it: "Filter Cutoff", "ADSR Envelope: Attack"
    move: str  # the move that changed the sound most: "up", "down", "Square", "off"
    mss: float

    @property
    def word(self) -> str:
        return next(w for limit, w in WORDS if self.mss < limit)


def label(f: Field) -> str:
    return f"{f.line}: {f.part}" if f.part else f.line


def _steps(f: Field, value) -> list[tuple[str, object]]:
    """The values one token bin up and down (log curves: a ratio), at least one step of the
    format's grid away (3 % of 5 ms is under its 1 ms grid: the step is then 1 ms)."""
    first, _, step = f.bins
    if value is None or (isinstance(value, float) and math.isinf(value)):
        return []
    out = []
    for name, sign in (("up", 1), ("down", -1)):
        for k in range(1, 40):
            if f.curve == "log":
                v = first if value == 0 and sign > 0 else value * step ** (sign * k)
            else:
                v = value + sign * k * step
            if snap(f, v) != value:
                out.append((name, v))
                break
    return out


def moves(p: Patch) -> list[tuple[Field, str, Patch]]:
    """Every move of every setting that gives another valid patch."""
    values, out = p.values(), []
    for f in FIELDS:
        value = values[f.name]
        if f.kind == "choice":
            tries = [(c, c) for c in f.choices if value is not None and c != value]
        else:
            hi = LFO_DEPTH_RANGE[p.lfo_target][1] if f.name == "lfo_depth" and p.lfo_target else f.hi
            tries = [(m, v) for m, v in _steps(f, value) if f.lo <= v <= hi]
        if value is not None and value != off_value(f) and optional(f) and not f.follows:
            tries.append(("off", off_value(f)))  # an optional line, or the filter, the LFO: turned off
        for name, v in tries:
            moved = complete({**values, f.name: v})
            if name == "off" and moved is not None and getattr(moved, f.name) != off_value(f):
                continue  # the rules keep it on (a detune with several voices): no such move
            if moved is not None and moved != p:
                out.append((f, name, moved))
    return out


def rank(p: Patch, render=synth.render) -> list[Influence]:
    """The patch's settings by their largest audible effect, largest first; turning a line off
    is an entry of its own, under the line's name. `render` makes the standard render (the app
    passes its editor's own renderer)."""
    scorer = metrics.MssTo(render(p))
    best: dict[str, Influence] = {}
    for f, name, moved in moves(p):
        try:
            mss = scorer(render(moved))
        except AudioError:  # a move that renders silent is as large as it gets
            mss = math.inf
        key, text = (f"{f.line} on/off", f"{f.line} on/off") if name == "off" else (f.name, label(f))
        if key not in best or mss > best[key].mss:
            best[key] = Influence(f.name, text, name, mss)
    return sorted(best.values(), key=lambda i: -i.mss)


def report(ranked: list[Influence]) -> str:
    """The ranking as short lines of plain words."""
    return "\n".join(f"{i.label}: {i.word} ({i.move}: {i.mss:.3f} MSS)" for i in ranked) + "\n"
