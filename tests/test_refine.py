import numpy as np
import pytest

from whispersynth import metrics, refine, settings, synth
from whispersynth.sampler import clip_rng, sample_patch

TRUE = settings.parse(
    "Waveform: Saw\nVoices: 1\nOscillator Detune: None\nFilter Type: Lowpass\nFilter Cutoff: 900 Hz\n"
    "ADSR Envelope: Attack: 5ms, Decay: 400ms, Sustain: -12 dB, Release: 300ms\nLFO Modulation: None\n"
    "Note: A3, Length: 1.00s\n"
)


@pytest.mark.parametrize("i", range(20))
def test_unit_space_round_trips_on_the_grid(i):
    p = sample_patch(clip_rng(3, i))
    names = refine.free_fields(p)
    back = refine.from_unit(p, names, refine.to_unit(p, names))
    for n in names:  # within a grid step (values outside the search box are clamped into it)
        lo, hi, _ = refine._bounds(n, p)
        want = min(max(getattr(p, n), lo), hi)
        assert getattr(back, n) == pytest.approx(want, rel=0.02, abs=0.011), n


def test_refinement_closes_the_gap_and_returns_what_it_scored():
    target = synth.render(TRUE)
    start = TRUE.replace(cutoff=1800, attack=0.05, decay=0.2)
    got = refine.refine(target, [start], renders=150, seconds=None, seed=0)
    assert got.start_distance == pytest.approx(float(metrics.mss(target, synth.render(start))[0]))
    assert got.distance < 0.6 * got.start_distance
    # the returned text renders exactly what was scored
    again = settings.parse(settings.format(got.patch))
    assert float(metrics.mss(target, synth.render(again))[0]) == pytest.approx(got.distance, abs=1e-6)
    assert [h[2] for h in got.history] == sorted((h[2] for h in got.history), reverse=True)


def test_refinement_is_never_worse_than_its_start():
    target = synth.render(TRUE)
    got = refine.refine(target, [TRUE, TRUE.replace(waveform="Square")], renders=20, seconds=None)
    assert got.distance == 0.0 and got.patch == TRUE  # the exact start is kept: nothing beats 0


def test_one_run_per_distinct_categorical_choice():
    a = TRUE
    starts = [a, a.replace(cutoff=1000), a.replace(waveform="Square"), a.replace(filter_type=None, cutoff=None)]
    keys = {refine.categorical_key(p) for p in starts}
    assert len(keys) == 3
    got = refine.refine(synth.render(TRUE), starts, renders=60, seconds=None)
    assert set(got.runs) == keys  # each distinct choice had its own CMA-ES run...
    assert all(n >= 6 for n in got.runs.values())  # ...with its share of the budget (a population at least)
    assert got.renders == len(keys) + sum(got.runs.values()) and np.isfinite(got.distance)
    assert refine.categorical_key(got.patch) in keys  # the search never moves the choices themselves


def test_the_search_moves_only_lines_that_are_on():
    p = settings.parse(
        "Waveform: Saw\nVoices: 1\nOscillator Detune: None\nFilter Type: Lowpass\nFilter Cutoff: 800Hz\n"
        "ADSR Envelope: Attack: 5ms, Decay: 300ms, Sustain: -6 dB, Release: 200ms\nLFO Modulation: None\n"
        "Oscillator 2: Square, Semitones: -12, Level: -6 dB\nPitch Envelope: Amount: +12 st, Decay: 40ms\n")
    free = refine.free_fields(p)
    assert {"osc2_level", "penv_amount", "penv_decay", "cutoff"} <= set(free)
    assert not {"resonance", "noise", "fenv_amount", "osc2_semitones"} & set(free)  # off, or an interval (branched)
    x = np.full(len(free), 0.37)
    moved = refine.from_unit(p, free, x)
    assert moved.resonance == 0.0 and moved.noise == float("-inf") and moved.fenv_amount is None
    assert moved.osc2_level != p.osc2_level and refine.to_unit(moved, free) == pytest.approx(x, abs=0.02)


def test_the_search_moves_the_values_of_version_3_lines_that_are_on():
    p = settings.parse(
        "Waveform: Saw\nVoices: 1\nOscillator Detune: None\nFilter Type: N/A\nFilter Cutoff: N/A\n"
        "ADSR Envelope: Attack: 5ms, Decay: 300ms, Sustain: -6 dB, Release: 200ms\nLFO Modulation: None\n"
        "Oscillator 2: Sine, Semitones: 12, Level: -60 dB\nFM: Amount: 0.25\n"
        "Reverb: Decay: 2.00s, Size: 50%, Damping: 30%, Mix: 30%\n")
    free = refine.free_fields(p)
    assert {"fm_amount", "reverb_decay", "reverb_size", "reverb_damping", "reverb_mix"} <= set(free)
    assert not {"dist_drive", "chorus_rate", "delay_time"} & set(free)  # lines that are off stay off
    moved = refine.from_unit(p, free, np.full(len(free), 0.6))
    assert moved.dist_type is None and moved.delay_time is None and moved.reverb_decay != p.reverb_decay
    assert refine.to_unit(moved, free) == pytest.approx(np.full(len(free), 0.6), abs=0.02)
