import collections
import math

import numpy as np
from test_settings import SEEDS

from whispersynth import settings
from whispersynth.sampler import clip_rng, in_support, sample_patch
from whispersynth.spec import FIELDS, LFO_DEPTH_SAMPLE

PATCHES = [sample_patch(clip_rng(7, i)) for i in range(4000)]


def test_same_seed_and_index_give_the_same_patch_and_others_differ():
    assert sample_patch(clip_rng(7, 12)) == PATCHES[12]
    assert sample_patch(clip_rng(8, 12)) != PATCHES[12]
    assert len(set(PATCHES)) == len(PATCHES)


def test_every_categorical_value_is_reachable_and_rules_hold():
    for field in FIELDS:
        if field.kind == "choice":
            seen = collections.Counter(getattr(p, field.name) for p in PATCHES)
            expected = set(field.choices) | ({None} if field.null else set())
            assert set(seen) == expected, field.name
            assert min(seen.values()) > 0.1 * len(PATCHES) / len(expected), (field.name, seen)
    assert {p.voices for p in PATCHES} == set(range(1, 17))
    for p in PATCHES:  # the Patch constructor validates; check the sampler's own choices too
        assert (p.detune is None) == (p.voices == 1)
        assert p.lfo_target != "Filter Cutoff" or p.filter_type is not None


def test_numeric_fields_cover_their_musical_ranges_on_the_right_curve():
    cut = np.array([p.cutoff for p in PATCHES if p.cutoff])
    assert cut.min() < 60 and cut.max() > 5000
    # log-uniform: about as many cutoffs below the geometric mean as above
    assert abs(np.mean(cut < math.sqrt(40 * 7000)) - 0.5) < 0.05
    attack = np.array([p.attack for p in PATCHES])
    assert 0.07 < np.mean(attack == 0.0) < 0.13  # the special 0 ms value
    for target, (lo, hi) in LFO_DEPTH_SAMPLE.items():
        d = [p.lfo_depth for p in PATCHES if p.lfo_target == target]
        assert lo <= min(d) and max(d) <= hi and max(d) > 0.7 * hi
    # releases fit in the tail the 3 s clip leaves after note-off (what a clip can show)
    assert all(p.release <= max(0.05, 3.0 - p.length) + 1e-9 for p in PATCHES)
    assert {p.note for p in PATCHES} == set(range(36, 85))


def test_seed_examples_are_inside_the_support():
    for text in SEEDS:
        assert in_support(settings.parse(text))
    assert all(in_support(p) for p in PATCHES)
    assert not in_support(settings.parse(SEEDS[0]).replace(cutoff=15000))
