"""Random valid patches drawn from the parameter specification, for training data."""

from __future__ import annotations

import functools
import math

import numpy as np

from .audio import CLIP_SECONDS
from .spec import LFO_DEPTH_SAMPLE, VERSION, Field, Patch, allowed_choices, null_rule, off_value, snap, table

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


def sample_range(field: Field, values: dict) -> tuple[float, float]:
    """The musical range a field is drawn from, given the values drawn before it."""
    if field.name == "lfo_depth":
        return LFO_DEPTH_SAMPLE[values["lfo_target"]]
    lo, hi = field.sample
    if field.name == "release":  # a release longer than the tail after note-off is cut
        hi = min(hi, max(MIN_TAIL, CLIP_SECONDS - values["length"]))
    return lo, hi


def _modulator(field: Field, values: dict) -> bool:
    """Whether this is oscillator 2's level in a patch where it frequency-modulates oscillator 1."""
    return field.name == "osc2_level" and values.get("fm_amount") is not None


def _draw(field: Field, rng: np.random.Generator, values: dict):
    rule = null_rule(field, values)
    if rule is True:
        return off_value(field)
    if _modulator(field, values) and rng.random() < SILENT_MODULATOR:
        return field.lo
    if field.special is not None and rng.random() < field.special[1]:
        if field.special[0] is not None or rule is None:
            return field.special[0]
    if field.kind == "choice":
        choices = allowed_choices(field, values)
        return choices[int(rng.integers(len(choices)))]
    lo, hi = sample_range(field, values)
    if field.kind in ("int", "note"):
        return int(rng.integers(int(lo), int(hi) + 1))
    if field.curve == "log":
        return snap(field, math.exp(rng.uniform(math.log(lo), math.log(hi))))
    return snap(field, rng.uniform(lo, hi))


def sample_patch(rng: np.random.Generator, patch_type: type = Patch, version: int = VERSION):
    """Draw one random valid patch (every field value reachable, see spec.FIELDS) of a format
    version: the fields a later version added stay off (version 1 draws exactly as before)."""
    values: dict = {}
    fields = patch_type.FIELDS if patch_type is not Patch else table(version)
    for field in sample_order(fields):
        values[field.name] = _draw(field, rng, values)
    return patch_type(**values)


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
