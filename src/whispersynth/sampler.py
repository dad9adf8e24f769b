"""Random valid patches drawn from the parameter specification, for training data."""

from __future__ import annotations

import functools
import math

import numpy as np

from . import archetypes
from .archetypes import Archetype, Draw
from .audio import CLIP_SECONDS
from .spec import (LFO_DEPTH_RANGE, LFO_DEPTH_SAMPLE, VERSION, Field, Patch, allowed_choices, null_rule, off_value,
                   snap, table)

MIN_TAIL = 0.05  # shortest release range kept when the note fills the clip
# With FM on, oscillator 2 is at its quietest level (-60 dB: a modulator not heard) this often:
# in the Serum presets read for docs/SERUM.md, 18 of the 35 whose osc A is FM'd from osc B.
SILENT_MODULATOR = 0.5


@functools.cache
def sample_order(fields: tuple[Field, ...]) -> tuple[Field, ...]:
    """Note and length come first: the release range depends on the tail the clip leaves
    after note-off. FM comes right after oscillator 2's wave: its level depends on it."""
    order = sorted(fields, key=lambda f: f.name not in ("note", "length"))
    names = [f.name for f in order]
    if "fm_amount" in names:
        fm = order.pop(names.index("fm_amount"))
        order.insert([f.name for f in order].index("osc2_wave") + 1, fm)
    return tuple(order)


def sample_range(field: Field, values: dict, draw: Draw | None = None) -> tuple[float, float]:
    """The musical range a field is drawn from, given the values drawn before it (and an
    archetype's range for it, kept within what the field may hold)."""
    given = draw.range if draw is not None else None
    if isinstance(given, dict):
        given = given.get(values[field.given])
    if field.name == "lfo_depth":
        lo, hi = LFO_DEPTH_SAMPLE[values["lfo_target"]]
        bounds = LFO_DEPTH_RANGE[values["lfo_target"]]
    else:
        (lo, hi), bounds = field.sample, (field.lo, field.hi)
    if given is not None:
        lo, hi = archetypes.absolute(draw, values) if draw.relative else given
        lo, hi = max(lo, bounds[0]), min(hi, bounds[1])
    if field.name == "release":  # a release longer than the tail after note-off is cut
        hi = min(hi, max(MIN_TAIL, CLIP_SECONDS - values["length"]))
    return min(lo, hi), hi


def _modulator(field: Field, values: dict) -> bool:
    """Whether this is oscillator 2's level in a patch where it frequency-modulates oscillator 1."""
    return field.name == "osc2_level" and values.get("fm_amount") is not None


def _draw(field: Field, rng: np.random.Generator, values: dict, draw: Draw | None = None):
    rule = null_rule(field, values)
    if rule is True:
        return off_value(field)
    if _modulator(field, values) and rng.random() < SILENT_MODULATOR:
        return field.lo
    special = field.special
    if special is not None and draw is not None and draw.special is not None:
        special = (special[0], draw.special)
    if special is not None and rng.random() < special[1]:
        if special[0] is not None or rule is None:
            return special[0]
    if draw is not None and draw.point is not None and rng.random() < draw.point[1]:
        return snap(field, draw.point[0])
    if draw is not None and draw.choices is not None:
        value = archetypes.chosen(draw, rng, allowed_choices(field, values) if field.kind == "choice" else None)
        if value is not None:
            return snap(field, value)
    if field.kind == "choice":
        choices = allowed_choices(field, values)
        return choices[int(rng.integers(len(choices)))]
    lo, hi = sample_range(field, values, draw)
    if field.kind in ("int", "note"):
        return int(rng.integers(int(lo), int(hi) + 1))
    if field.curve == "log":
        return snap(field, math.exp(rng.uniform(math.log(lo), math.log(hi))))
    return snap(field, rng.uniform(lo, hi))


def sample_patch(rng: np.random.Generator, patch_type: type = Patch, version: int = VERSION,
                 archetype: Archetype | None = None):
    """Draw one random valid patch (every field value reachable, see spec.FIELDS) of a format
    version: the fields a later version added stay off (version 1 draws exactly as before).
    An archetype draws some fields its own way (`archetypes.Draw`); the rules stay the table's."""
    values: dict = {}
    fields = patch_type.FIELDS if patch_type is not Patch else table(version)
    draws = archetype.draws if archetype is not None else {}
    for field in sample_order(fields):
        values[field.name] = _draw(field, rng, values, draws.get(field.name))
    return patch_type(**values)


def producer_patch(rng: np.random.Generator, version: int = VERSION) -> Patch:
    """A patch shaped like a designed preset: an archetype picked by its share, then drawn."""
    return sample_patch(rng, version=version, archetype=archetypes.pick(rng))


SAMPLERS = {"uniform": sample_patch, "producer": producer_patch}  # a dataset's `sampler`


def in_support(patch) -> bool:
    """Whether the sampler can draw this patch (up to the grid)."""
    values = patch.values()
    for field in sample_order(patch.FIELDS):
        value = values[field.name]
        if value is None or field.kind == "choice" or (field.special and value == field.special[0]):
            continue
        if _modulator(field, values) and value == field.lo:
            continue
        lo, hi = sample_range(field, values)
        if not snap(field, lo) <= value <= snap(field, hi):
            return False
    return True


def clip_rng(seed: int, index: int) -> np.random.Generator:
    """The random state of clip `index` of the dataset `seed`, whatever the worker layout."""
    return np.random.default_rng(np.random.SeedSequence([seed, index]))
