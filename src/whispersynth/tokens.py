"""Settings tokens: one token per field value bin, generated from the parameter specification.

A patch is one token per field in the spec's order, then <eos>: 41 tokens (15 for a
version-1 vocabulary, 27 for version 2's: each version's fields are a prefix of the next's, so are its tokens). Categorical
values and the special values (None, N/A, 0 ms, -inf dB) have a token each; numeric fields
are binned on their curve (`Field.bins`). `allowed()` says which tokens may come next, which
is all a constrained decoder needs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .errors import SettingsError
from .spec import (FIELD, LFO_DEPTH_RANGE, Field, Patch, allowed_choices, null_rule, off_value, snap, table,
                   takes_minus_inf)

PAD, BOS, EOS = 0, 1, 2
CONTROL = ("<pad>", "<bos>", "<eos>")


def bin_centres(f: Field) -> list:
    """The numeric token values of a field, on its curve and on the format's grid."""
    first, last, step = f.bins
    if f.curve == "log":
        count = math.ceil(math.log(last / first) / math.log(step) - 1e-9) + 1
        raw = np.geomspace(first, last, count)  # both ends exact, neighbours <= `step` apart
    else:
        raw = first + step * np.arange(round((last - first) / step) + 1)
    centres = {snap(f, float(v)) for v in raw}
    if f.name == "lfo_depth":  # each target's maximum depth is reachable exactly
        centres |= {hi for _, hi in LFO_DEPTH_RANGE.values()}
    return sorted(centres)


def _specials(f: Field) -> list:
    out = [None] if f.null is not None else []
    if f.curve == "log" and f.lo == 0.0:
        out.append(0.0 if f.kind != "hz" else 0)
    if takes_minus_inf(f):
        out.append(-math.inf)
    return out


@dataclass
class FieldTokens:
    """The token ids of one field: specials (exact values) and ordered numeric bins."""

    field: Field
    ids: np.ndarray  # every token id of the field, specials first
    values: list  # the value of each of those tokens
    n_special: int
    centres: np.ndarray = field(default_factory=lambda: np.zeros(0))  # curve positions of numeric bins

    def curve(self, value: float) -> float:
        return math.log(max(value, 1e-12)) if self.field.curve == "log" else float(value)

    def encode(self, value, allowed: np.ndarray | None = None) -> int:
        """The token of a value: its exact token, else the nearest allowed bin on the curve."""
        exact = len(self.values) if self.field.kind == "choice" else self.n_special
        for i in range(exact):
            if value == self.values[i]:
                return int(self.ids[i])
        if value is None or self.centres.size == 0:
            raise SettingsError(f"{self.field.name}: no token for {value!r}")
        distance = np.abs(self.centres - self.curve(value))
        if allowed is not None:  # e.g. a pitch LFO's depth stays within 24 st
            distance[~np.isin(self.ids[self.n_special :], allowed)] = np.inf
        return int(self.ids[self.n_special + int(np.argmin(distance))])


class Vocab:
    """The settings vocabulary of a patch type's fields (or of a leading part of them, such as
    a format version's `spec.table`): token strings, and per field its ids and values. Fields
    left out take their defaults (off) when decoding."""

    def __init__(self, patch_type: type = Patch, fields: tuple[Field, ...] | None = None) -> None:
        self.patch_type, self.table = patch_type, fields or patch_type.FIELDS
        self.tokens: list[str] = list(CONTROL)
        self.value_of: dict[int, object] = {}
        self.fields: dict[str, FieldTokens] = {}
        self.field_of: dict[int, str] = {}
        self._allowed: dict[tuple, np.ndarray] = {}  # allowed(), by allowed_key()
        for f in self.table:
            values = (list(f.choices) if f.kind == "choice" else bin_centres(f))
            specials = _specials(f)
            ids = np.arange(len(self.tokens), len(self.tokens) + len(specials) + len(values))
            ft = FieldTokens(f, ids, specials + values, len(specials))
            if f.kind != "choice":
                ft.centres = np.array([ft.curve(v) for v in values])
            self.fields[f.name] = ft
            for i, v in zip(ids, ft.values):
                self.tokens.append(f"<{f.name}:{f.null if v is None else v}>")
                self.value_of[int(i)] = v
                self.field_of[int(i)] = f.name

    def __len__(self) -> int:
        return len(self.tokens)

    def encode(self, patch) -> list[int]:
        """A patch as token ids: one per field, then <eos> (no <bos>: the decoder starts with it)."""
        ids: list[int] = []
        for f in self.table:
            ids.append(self.fields[f.name].encode(getattr(patch, f.name), self.allowed(ids)))
        return ids + [EOS]

    def values(self, ids: list[int]) -> dict:
        """The field values of the leading field tokens of `ids` (stops at the first non-field id)."""
        out = {}
        for f, i in zip(self.table, ids):
            if self.field_of.get(int(i)) != f.name:
                raise SettingsError(f"token {i} is not a {f.name} token")
            out[f.name] = self.value_of[int(i)]
        return out

    def decode(self, ids: list[int]):
        """Token ids (optionally starting with <bos>) back to a Patch; SettingsError if invalid."""
        ids = [int(i) for i in ids]
        if ids and ids[0] == BOS:
            ids = ids[1:]
        if len(ids) < len(self.table):
            raise SettingsError(f"{len(ids)} tokens are too few for a patch ({len(self.table)} fields)")
        return self.patch_type(**self.values(ids[: len(self.table)]))

    def allowed(self, prefix: list[int]) -> np.ndarray:
        """The token ids that may follow `prefix` (field tokens so far, no <bos>) in a valid patch."""
        key = self.allowed_key(prefix)
        if key not in self._allowed:
            self._allowed[key] = self._keep(*key)
        return self._allowed[key]

    def allowed_key(self, prefix: list[int]) -> tuple:
        """All that `allowed(prefix)` depends on: the step, and the rules the earlier fields set for
        its field (`null_rule`, `allowed_choices`, a pitch/cutoff/volume LFO's depth range). A
        decoder's prefixes share few keys (a beam's differ in every earlier token), so the
        allowed tokens are cached by this key instead."""
        step = len(prefix)
        if step >= len(self.table):
            return (step, None, None, None)
        f = self.table[step]
        done = self.values(prefix)
        rule = null_rule(f, done)
        choices = allowed_choices(f, done) if f.kind == "choice" else None
        top = LFO_DEPTH_RANGE[done["lfo_target"]][1] if f.name == "lfo_depth" and rule is not True else None
        return (step, rule, choices, top)

    def _keep(self, step: int, rule, choices, top) -> np.ndarray:
        if step >= len(self.table):
            return np.array([EOS if step == len(self.table) else PAD])
        f = self.table[step]
        ft = self.fields[f.name]
        keep = []
        for k, v in enumerate(ft.values):
            if v is None:
                ok = rule is not False
            elif rule is True:
                ok = v == off_value(f)  # e.g. resonance 0 without a filter
            elif k < ft.n_special:
                ok = True  # 0 ms, -inf dB, depth 0
            elif f.kind == "choice":
                ok = v in choices
            elif f.name == "lfo_depth":
                ok = v <= top
            else:
                ok = f.lo <= v <= f.hi
            keep.append(ok)
        return ft.ids[np.array(keep)]

    def to_json(self) -> list[str]:
        return list(self.tokens)

    @classmethod
    def version(cls, version: int) -> "Vocab":
        return cls(Patch, table(version))

    @classmethod
    def from_tokens(cls, tokens: list) -> "Vocab":
        """The vocabulary a model was saved with (its vocab.json), if it is one of this
        version's: the fields its tokens name, in order; SettingsError otherwise."""
        names = list(dict.fromkeys(t[1:].partition(":")[0] for t in tokens[len(CONTROL):] if isinstance(t, str)))
        if not all(n in FIELD for n in names):
            raise SettingsError("the settings tokens name fields this version does not have")
        vocab = cls(Patch, tuple(FIELD[n] for n in names))
        if vocab.to_json() != tokens:
            raise SettingsError("the settings tokens differ from this version's")
        return vocab
