"""The parameter table is the one source: a new field is one row, and every stage picks it up."""

import math

import numpy as np
import pytest

from whispersynth import metrics, settings, spec
from whispersynth.errors import SettingsError
from whispersynth.sampler import clip_rng, sample_patch
from whispersynth.tokens import EOS, Vocab

PLUCK = (
    "Waveform: Saw\nVoices: 3\nOscillator Detune: 0.10\nFilter Type: Lowpass\nFilter Cutoff: 1200Hz\n"
    "ADSR Envelope: Attack: 5ms, Decay: 600ms, Sustain: -18 dB, Release: 300ms\n"
    "LFO Modulation: Filter Cutoff, Rate: 3Hz, Depth: 7 st\nNote: A3, Length: 1.20s\n"
)
# A toy field on a line of its own, added to a copy of the table: one row, nothing else.
TOY = spec.Field("shimmer", "fixed", "Shimmer", lo=0.0, hi=1.0, sample=(0.2, 0.8), bins=(0.0, 1.0, 0.01),
                 default=0.0, error="absolute")
ToyPatch = spec.patch_type((*spec.FIELDS, TOY), "ToyPatch")


def test_the_patch_type_is_the_table():
    assert [f.name for f in spec.Patch.FIELDS] == [f.name for f in spec.FIELDS]
    p = settings.parse(PLUCK)
    assert list(p.values()) == [f.name for f in spec.FIELDS]
    assert p.replace(cutoff=1234.4).cutoff == 1234  # snapped to the grid on creation
    with pytest.raises(SettingsError):
        p.replace(voices=1)  # detune given with one voice: the table's rules still hold


def test_a_toy_field_reaches_the_parser_and_writer():
    p = settings.parse(PLUCK + "Shimmer: 0.254\n", ToyPatch)
    assert p.shimmer == 0.25 and p.cutoff == 1200
    assert settings.format(p) == PLUCK + "Shimmer: 0.25\n"
    assert settings.parse(settings.format(p), ToyPatch) == p
    assert settings.parse(PLUCK, ToyPatch).shimmer == 0.0  # an absent optional line is its default
    with pytest.raises(SettingsError, match="Shimmer"):
        settings.parse(PLUCK + "Shimmer: 1.5\n", ToyPatch)
    with pytest.raises(SettingsError, match="unknown line 'Shimmer'"):
        settings.parse(PLUCK + "Shimmer: 0.25\n")  # the shipped table has no such line


def test_a_toy_field_gets_tokens_and_samples():
    vocab = Vocab(ToyPatch)
    assert len(vocab) == len(Vocab()) + 101  # 0.00 .. 1.00 in steps of 0.01
    drawn = [sample_patch(clip_rng(0, i), ToyPatch) for i in range(200)]
    values = np.array([p.shimmer for p in drawn])
    assert values.min() >= 0.2 and values.max() <= 0.8 and values.std() > 0.1  # its sampling range, spread
    for p in drawn[:50]:
        ids = vocab.encode(p)
        assert len(ids) == len(spec.FIELDS) + 2 and ids[-1] == EOS
        back = vocab.decode(ids)  # numeric fields come back at their bin; this one's bins are its grid
        assert back.shimmer == p.shimmer and vocab.encode(back) == ids
        assert set(vocab.allowed(ids[: len(spec.FIELDS)])) == set(vocab.fields["shimmer"].ids)


def test_a_toy_field_is_scored_by_the_metrics():
    a = settings.parse(PLUCK + "Shimmer: 0.30\n", ToyPatch)
    b = a.replace(shimmer=0.55)
    errors = metrics.field_errors(b, a)
    assert errors["shimmer"] == pytest.approx(0.25)
    assert errors["waveform"] == 1.0 and math.isclose(errors["cutoff"], 0.0)
    summary = metrics.summarize([errors, metrics.field_errors(a, a)], ToyPatch.FIELDS)
    assert summary["shimmer_median_err"] == pytest.approx(0.125)


def test_field_properties_say_what_each_stage_does():
    by = {f.name: f for f in spec.FIELDS}
    assert {n for n, f in by.items() if f.error == "exact"} == {"waveform", "voices", "filter_type", "lfo_target",
                                                               "osc2_wave", "dist_type"}
    assert {n for n, f in by.items() if f.searched} == {
        "attack", "decay", "sustain", "release", "length", "cutoff", "detune", "lfo_rate", "lfo_depth",
        "resonance", "fenv_amount", "fenv_attack", "fenv_decay", "fenv_sustain", "fenv_release", "osc2_level",
        "noise", "penv_amount", "penv_decay", "fm_amount", "dist_drive", "dist_mix", "chorus_rate", "chorus_depth",
        "chorus_mix", "delay_time", "delay_feedback", "delay_mix", "reverb_decay", "reverb_size", "reverb_damping",
        "reverb_mix"}
    assert by["waveform"].weight == 2.0 and by["voices"].weight == 1.5 and by["attack"].weight == 1.0


def test_complete_makes_the_valid_patch_a_change_implies():
    p = spec.Patch("Saw", 3, 0.1, "Lowpass", 800, 0.005, 0.5, -6.0, 0.2, "Filter Cutoff", 2.0, 12.0)
    dry = spec.complete({**p.values(), "filter_type": None})
    assert (dry.cutoff, dry.lfo_target, dry.lfo_rate, dry.resonance) == (None, None, None, 0.0)
    assert spec.complete({**p.values(), "voices": 1}).detune is None
    assert spec.complete({**dry.values(), "voices": 4}) == dry.replace(voices=4)  # a detune was there to keep
    single = p.replace(voices=1, detune=None)
    assert spec.complete({**single.values(), "voices": 2}, fill={"detune": 0.4}).detune == 0.4
    assert spec.complete({**single.values(), "voices": 2}).detune == spec.middle(spec.FIELD["detune"])
    assert spec.complete({**p.values(), "lfo_target": "Pitch", "lfo_depth": 40.0}).lfo_depth == 24.0  # the target's range
    assert spec.complete({**p.values(), "attack": -1.0}) is None  # out of range: no patch
