import collections
import math

import numpy as np
import pytest

from whispersynth import archetypes, data, settings, synth
from whispersynth.archetypes import ARCHETYPES, BY_NAME, Draw
from whispersynth.data import DatasetSpec, DataError
from whispersynth.sampler import clip_rng, producer_patch, sample_patch
from whispersynth.spec import FIELD, LFO_DEPTH_RANGE, midi_to_hz

N = 400


def drawn(name: str, n: int = N, seed: int = 3) -> list:
    return [sample_patch(clip_rng(seed, i), archetype=BY_NAME[name]) for i in range(n)]


def test_every_draw_names_a_field_and_stays_inside_what_it_may_hold():
    for a in ARCHETYPES:
        for name, draw in a.draws.items():
            f = FIELD[name]  # a KeyError names a draw of no field
            if draw.special is not None:
                assert f.special is not None, (a.name, name)  # a chance of a special value the field has
                assert 0.0 <= draw.special <= 1.0
            if draw.choices is not None:
                assert all(v in f.choices if f.kind == "choice" else f.lo <= v <= f.hi for v in draw.choices), (a.name, name)
            ranges = draw.range.values() if isinstance(draw.range, dict) else [draw.range] if draw.range else []
            for lo, hi in ranges:
                assert lo <= hi, (a.name, name)
                if not draw.relative and name != "lfo_depth":
                    assert f.lo <= lo and hi <= f.hi, (a.name, name)
    assert math.isclose(sum(a.weight for a in ARCHETYPES), 1.0)


def test_each_archetype_sounds_like_its_kind():
    bass, pad, pluck, bell, brass = (drawn(n) for n in ("bass", "pad", "pluck", "bell", "brass"))
    assert max(p.note for p in bass) <= 52 < min(p.note for p in drawn("bell"))
    assert np.median([p.attack for p in pad]) > 20 * np.median([p.attack for p in bass])
    assert np.mean([p.reverb_decay is not None for p in pad]) > np.mean([p.reverb_decay is not None for p in bass]) + 0.25
    assert np.mean([p.dist_type is not None for p in bass]) > 0.45
    assert np.mean([p.fenv_amount is not None for p in pluck]) > 0.5
    assert np.mean([p.fm_amount is not None for p in bell]) > 0.6
    assert all(p.filter_type == "Lowpass" and (p.fenv_amount is None or p.fenv_amount > 0) for p in brass)
    # a relative cutoff follows the note: a bass's cutoff is within 1.5..24 of its harmonics
    for p in bass:
        if p.cutoff is not None:
            assert 1.5 * 0.97 <= p.cutoff / midi_to_hz(p.note) <= min(24.0, 20000 / midi_to_hz(p.note)) * 1.03
    # a point: basses sustain at full level about as often as the corpus's (75 %, less -inf's 5 %)
    assert 0.6 < np.mean([p.sustain == 0.0 for p in bass]) < 0.8
    # weighted choices of a numeric field: oscillator 2 an octave down is the bass's commonest interval
    intervals = collections.Counter(p.osc2_semitones for p in bass if p.osc2_wave is not None)
    assert intervals.most_common(1)[0][0] == -12 and set(intervals) <= {-12, 0, -24, 12}


def test_rules_hold_and_lfo_depths_fit_their_target():
    for p in [producer_patch(clip_rng(4, i)) for i in range(1500)]:
        assert settings.parse(settings.format(p)) == p  # valid, and the text says it all
        if p.lfo_target is not None:
            lo, hi = LFO_DEPTH_RANGE[p.lfo_target]
            assert lo <= p.lfo_depth <= hi
        assert p.release <= max(0.05, 3.0 - p.length) + 1e-9


def test_the_mix_follows_the_weights_and_is_reproducible():
    picks = collections.Counter(archetypes.pick(clip_rng(9, i)).name for i in range(4000))
    for a in ARCHETYPES:
        assert abs(picks[a.name] / 4000 - a.weight) < 0.025, a.name
    assert producer_patch(clip_rng(9, 17)) == producer_patch(clip_rng(9, 17))
    assert producer_patch(clip_rng(9, 17)) != sample_patch(clip_rng(9, 17))


def test_a_draw_range_per_lfo_target_and_out_of_field_ranges_are_clipped():
    arch = archetypes.Archetype("t", 1.0, "test", {
        "lfo_target": Draw(special=0.0, choices={"Pitch": 1}),
        "lfo_depth": Draw(range={"Pitch": (20.0, 90.0)}),  # above Pitch's 24 st: clipped to it
        "note": Draw(range=(60, 60)), "filter_type": Draw(special=0.0, choices={"Lowpass": 1}),
        "cutoff": Draw(range=(100.0, 200.0), relative=True)})  # 26 kHz .. 52 kHz: clipped to 20 kHz
    patches = [sample_patch(clip_rng(1, i), archetype=arch) for i in range(50)]
    assert all(p.lfo_target == "Pitch" and 20.0 <= p.lfo_depth <= 24.0 for p in patches)
    assert all(p.cutoff == 20000 and p.note == 60 for p in patches)


def test_a_producer_dataset_says_so_and_an_unknown_sampler_is_refused(tmp_path):
    spec = DatasetSpec(n=3, seed=5, part_size=3, version=3, sampler="producer")
    data.generate(tmp_path / "d", spec, progress=False)
    assert data.read_spec(tmp_path / "d") == spec
    _, patches = data.read_part(tmp_path / "d" / "part-00000.parquet")
    assert patches == [data.draw_clip(synth.Renderer(), 5, i, 3, "producer")[0] for i in range(3)]
    with pytest.raises(DataError, match="producer"):
        data.generate(tmp_path / "d", DatasetSpec(n=3, seed=5, part_size=3, version=3), progress=False)
    with pytest.raises(DataError, match="does not exist"):
        DatasetSpec(n=3, sampler="designed")
