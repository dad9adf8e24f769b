"""Patches shaped like the presets people design: basses, leads, pads, plucks, keys, bells,
brass and plain synths, for training data that looks like what producers bring.

An archetype changes how the data sampler draws some fields (`Draw`: another range, another
chance of the field's special value, weighted choices); every other field, and every rule that
ties fields together, is the uniform sampler's (`sampler.sample_patch`), so an archetype's
patch is always valid. Fields are correlated through the archetype (a bass is low, filtered,
short and often distorted; a pad is slow, wide and wet) and through ranges relative to the note
(a cutoff in harmonics of the note's frequency).

Where the numbers come from (docs/FORMAT.md, "The producer sampler"): the effects' shares per
archetype and the envelope, filter, unison and LFO ranges of basses, pads, plucks, leads and
synths were measured on the public Serum presets read for docs/SERUM.md (by the presets' name
prefixes BA, PD, PL, LD, SQ/SY; none of them is an evaluation sound); keys, bells and brass
have no prefix there and are designed after the textbook recipes (electric-piano and bell FM
ratios, brass's filter swell), and say so in `source`. Factory presets of the evaluation sets
(evaluation/real-presets) were never read for this.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

Range = tuple[float, float]


@dataclass(frozen=True)
class Draw:
    """How an archetype draws one field instead of the uniform sampler's way.

    `range`: the range to draw from, in the field's units (a log curve stays a log curve), or a
    mapping from the value of the field's `given` choice (the LFO's target) to a range;
    `relative`: the range is in multiples of the note's frequency (a cutoff); `special`: the
    chance of the field's special value (off, one voice, 0 ms) instead of the table's; `point`:
    a value drawn with a chance before the range (a sustain at 0 dB); `choices`: weights of the
    values to pick from (choices of a categorical field, or values of a numeric one such as
    oscillator 2's interval)."""

    range: Range | dict[str, Range] | None = None
    relative: bool = False
    special: float | None = None
    point: tuple[float, float] | None = None
    choices: dict | None = None


@dataclass(frozen=True)
class Archetype:
    name: str
    weight: float  # its share of a producer dataset's clips (normalised over the table)
    source: str  # where its numbers come from
    draws: dict[str, Draw] = field(default_factory=dict)


def on(p: float, **kw) -> Draw:
    """A line (or field) on with chance `p`: its special value (off) has chance 1 - p."""
    return Draw(special=1.0 - p, **kw)


WAVES = ("Sine", "Triangle", "Saw", "Square")


def waves(sine: float, triangle: float, saw: float, square: float) -> Draw:
    return Draw(choices=dict(zip(WAVES, (sine, triangle, saw, square))))


# The effects' settings when on, from the 458 corpus presets' stored knobs (p10..p90 of those
# with the module on, through serum_fx's curves): drive 0.09..1 x 30 dB; distortion modes Tube,
# SoftClip and the diodes -> Soft Clip (114), Hard Clip 11, Lin. Fold 12, Sin Fold 16; chorus
# rate 20 Hz n^4 (n 0.17..0.42), depth n^2 (0.43..1), mix 10..35 %; delay feedback 12..58 %,
# mix 6..30 % (94 % of delays are tempo-synced: 1/16..1/4 at 120-140 BPM); reverb Decay's
# display 0.8 + 11.2 n s (n 0.04..0.55), size 16..73 %, mix 6..30 %.
EFFECTS = {
    "dist_type": Draw(choices={"Soft Clip": 6, "Hard Clip": 2, "Linear Fold": 1, "Sine Fold": 1}),
    "dist_drive": Draw(range=(3.0, 30.0)), "dist_mix": Draw(range=(25.0, 100.0)),
    "chorus_rate": Draw(range=(0.05, 1.0)), "chorus_depth": Draw(range=(30.0, 100.0)),
    "chorus_mix": Draw(range=(8.0, 35.0)),
    "delay_time": Draw(range=(0.1, 0.55)), "delay_feedback": Draw(range=(12.0, 58.0)),
    "delay_mix": Draw(range=(6.0, 30.0)),
    "reverb_decay": Draw(range=(1.2, 7.0)), "reverb_size": Draw(range=(16.0, 73.0)),
    "reverb_mix": Draw(range=(6.0, 30.0)),
}


def effects(dist: float, chorus: float, delay: float, reverb: float, fm: float, **overrides: Draw) -> dict:
    """The version-3 lines' draws: each effect on with its chance (a module on with its wet
    above 0, in the corpus), FM on with its chance among patches with oscillator 2."""
    return {**EFFECTS, "dist_type": on(dist, choices=EFFECTS["dist_type"].choices), "chorus_rate": on(chorus, range=EFFECTS["chorus_rate"].range),
            "delay_time": on(delay, range=EFFECTS["delay_time"].range),
            "reverb_decay": on(reverb, range=EFFECTS["reverb_decay"].range), "fm_amount": on(fm, range=(0.1, 0.6)),
            **overrides}


VIBRATO = {"Pitch": (4.0, 7.0), "Filter Cutoff": (0.1, 4.0), "Volume": (2.0, 8.0)}
LOW_PASS = {"Lowpass": 8, "Bandpass": 1, "Highpass": 1}


def sustain(at_full: float, lo: float, hi: float, silent: float = 0.0) -> Draw:
    """The amp sustain: -inf dB with chance `silent`, else 0 dB with chance `at_full`, else lo..hi dB."""
    return Draw(special=silent, point=(0.0, at_full), range=(lo, hi))


ARCHETYPES: tuple[Archetype, ...] = (
    Archetype("bass", 0.20, "Serum corpus, BA (bass) presets (92)", {
        "note": Draw(range=(28, 52)),
        "waveform": waves(2, 1, 5, 4),
        "voices": Draw(special=0.48, range=(2, 5)), "detune": Draw(range=(0.02, 0.4)),
        "filter_type": Draw(special=0.1, choices={"Lowpass": 9, "Bandpass": 1}),
        "cutoff": Draw(range=(1.5, 24.0), relative=True),
        "resonance": Draw(special=0.5, range=(0.05, 0.75)),
        "attack": Draw(special=0.4, range=(0.001, 0.004)), "decay": Draw(range=(0.3, 1.5)),
        "sustain": sustain(0.75, -24.0, -3.0, silent=0.05), "release": Draw(range=(0.01, 0.4)),
        "lfo_target": Draw(special=0.85, choices={"Filter Cutoff": 7, "Volume": 2, "Pitch": 1}),
        "lfo_rate": Draw(range=(0.4, 8.0)),
        "lfo_depth": Draw(range={"Filter Cutoff": (3.0, 36.0), "Pitch": (0.1, 1.0), "Volume": (2.0, 6.0)}),
        "fenv_amount": on(0.32, range=(24.0, 72.0)), "fenv_attack": Draw(special=0.7, range=(0.001, 0.02)),
        "fenv_decay": Draw(range=(0.05, 0.8)), "fenv_sustain": Draw(special=0.4, range=(-30.0, -6.0)),
        "osc2_wave": on(0.58), "osc2_semitones": Draw(special=0.0, choices={-12: 32, 0: 16, -24: 5, 12: 5}),
        "osc2_level": Draw(range=(-14.0, 3.0)),
        "noise": Draw(special=0.7, range=(-36.0, -6.0)),
        "penv_amount": on(0.03, range=(6.0, 15.0)), "penv_decay": Draw(range=(0.005, 0.15)),
        **effects(dist=0.54, chorus=0.20, delay=0.15, reverb=0.39, fm=0.25),
    }),
    Archetype("lead", 0.14, "Serum corpus, LD (lead) presets (71)", {
        "note": Draw(range=(55, 88)),
        "waveform": waves(1, 1, 6, 3),
        "voices": Draw(special=0.34, range=(2, 7)), "detune": Draw(range=(0.03, 0.8)),
        "filter_type": Draw(special=0.17, choices=LOW_PASS),
        "cutoff": Draw(range=(2.0, 40.0), relative=True),
        "resonance": Draw(special=0.45, range=(0.05, 0.85)),
        "attack": Draw(special=0.3, range=(0.001, 0.01)), "decay": Draw(range=(0.2, 1.0)),
        "sustain": sustain(0.75, -9.0, -0.5), "release": Draw(range=(0.01, 0.5)),
        "lfo_target": Draw(special=0.8, choices={"Filter Cutoff": 7, "Pitch": 6, "Volume": 1}),
        "lfo_rate": Draw(range=VIBRATO),
        "lfo_depth": Draw(range={"Filter Cutoff": (3.0, 24.0), "Pitch": (0.1, 0.7), "Volume": (1.0, 6.0)}),
        "fenv_amount": on(0.2, range=(24.0, 72.0)),
        "osc2_wave": on(0.63), "osc2_semitones": Draw(special=0.0, choices={0: 23, 12: 8, -12: 7, -24: 3}),
        "osc2_level": Draw(range=(-9.0, 2.0)),
        "noise": Draw(special=0.76, range=(-23.0, -5.0)),
        "penv_amount": on(0.01),
        **effects(dist=0.49, chorus=0.20, delay=0.42, reverb=0.55, fm=0.05),
    }),
    Archetype("pad", 0.14, "Serum corpus, PD (pad) presets (49)", {
        "note": Draw(range=(43, 76)), "length": Draw(range=(1.2, 2.5)),
        "waveform": waves(2, 3, 5, 2),
        "voices": Draw(special=0.14, range=(2, 8)), "detune": Draw(range=(0.05, 0.5)),
        "filter_type": Draw(special=0.1, choices=LOW_PASS),
        "cutoff": Draw(range=(2.0, 30.0), relative=True),
        "attack": Draw(special=0.1, range=(0.005, 1.5)), "decay": Draw(range=(0.3, 1.5)),
        "sustain": sustain(0.78, -12.0, -1.0), "release": Draw(range=(0.3, 1.5)),
        "lfo_target": Draw(special=0.82, choices={"Filter Cutoff": 4, "Volume": 5, "Pitch": 1}),
        "lfo_rate": Draw(range={"Pitch": (3.0, 6.0), "Filter Cutoff": (0.1, 4.0), "Volume": (0.2, 6.0)}),
        "lfo_depth": Draw(range={"Filter Cutoff": (6.0, 24.0), "Pitch": (0.1, 0.4), "Volume": (1.0, 6.0)}),
        "fenv_amount": on(0.22, range=(-20.0, 72.0)), "fenv_attack": Draw(special=0.1, range=(0.1, 1.0)),
        "fenv_decay": Draw(range=(0.3, 2.0)),
        "osc2_wave": on(0.76), "osc2_semitones": Draw(special=0.0, choices={0: 20, -12: 9, 12: 3, -24: 3}),
        "osc2_level": Draw(range=(-11.0, 3.0)),
        "noise": Draw(special=0.65, range=(-35.0, 0.0)),
        "penv_amount": on(0.0),
        **effects(dist=0.20, chorus=0.18, delay=0.57, reverb=0.78, fm=0.1,
                  reverb_mix=Draw(range=(10.0, 33.0))),
    }),
    Archetype("pluck", 0.12, "Serum corpus, PL (pluck) presets (32)", {
        "note": Draw(range=(48, 88)), "length": Draw(range=(0.1, 1.0)),
        "waveform": waves(2, 2, 5, 3),
        "voices": Draw(special=0.34, range=(2, 8)), "detune": Draw(range=(0.02, 0.5)),
        "filter_type": Draw(special=0.06, choices=LOW_PASS),
        "cutoff": Draw(range=(1.0, 12.0), relative=True),
        "resonance": Draw(special=0.6, range=(0.05, 0.55)),
        "attack": Draw(special=0.4, range=(0.001, 0.003)), "decay": Draw(range=(0.1, 1.0)),
        "sustain": sustain(0.35, -30.0, -3.0, silent=0.25), "release": Draw(range=(0.01, 0.6)),
        "lfo_target": Draw(special=0.95),
        "fenv_amount": on(0.62, range=(24.0, 72.0)), "fenv_attack": Draw(special=0.8, range=(0.001, 0.01)),
        "fenv_decay": Draw(range=(0.03, 0.6)), "fenv_sustain": Draw(special=0.5, range=(-40.0, -12.0)),
        "fenv_release": Draw(range=(0.02, 0.5)),
        "osc2_wave": on(0.56), "osc2_semitones": Draw(special=0.0, choices={0: 11, 12: 7, 24: 1, 7: 1}),
        "osc2_level": Draw(range=(-8.0, 0.0)),
        "noise": Draw(special=0.78, range=(-50.0, -15.0)),
        "penv_amount": on(0.03, range=(12.0, 45.0)), "penv_decay": Draw(range=(0.005, 0.05)),
        **effects(dist=0.16, chorus=0.12, delay=0.72, reverb=0.66, fm=0.03),
    }),
    Archetype("sequence", 0.12, "Serum corpus, SQ (sequence) presets (80)", {
        "note": Draw(range=(40, 84)), "length": Draw(range=(0.1, 1.2)),
        "waveform": waves(1, 1, 5, 4),
        "voices": Draw(special=0.4, range=(2, 7)), "detune": Draw(range=(0.05, 0.6)),
        "filter_type": Draw(special=0.18, choices=LOW_PASS),
        "cutoff": Draw(range=(1.5, 24.0), relative=True),
        "resonance": Draw(special=0.45, range=(0.05, 0.85)),
        "attack": Draw(special=0.45, range=(0.001, 0.003)),
        "sustain": sustain(0.9, -12.0, -1.0), "release": Draw(range=(0.01, 0.2)),
        "lfo_target": Draw(special=0.59, choices={"Volume": 15, "Filter Cutoff": 10, "Pitch": 8}),
        "lfo_rate": Draw(range=(1.0, 7.0)),
        "lfo_depth": Draw(range={"Filter Cutoff": (5.0, 40.0), "Pitch": (0.3, 12.0), "Volume": (3.0, 24.0)}),
        "fenv_amount": on(0.05, range=(24.0, 72.0)),
        "osc2_wave": on(0.45), "osc2_semitones": Draw(special=0.0, choices={0: 23, -12: 20, -24: 5, 12: 3}),
        "osc2_level": Draw(range=(-15.0, 6.0)),
        "noise": Draw(special=0.84, range=(-37.0, 0.0)),
        "penv_amount": on(0.01),
        **effects(dist=0.49, chorus=0.15, delay=0.52, reverb=0.51, fm=0.15),
    }),
    Archetype("synth", 0.10, "Serum corpus, SY (synth) presets (61)", {
        "note": Draw(range=(40, 84)),
        "waveform": waves(2, 2, 4, 3),
        "voices": Draw(special=0.38, range=(2, 7)), "detune": Draw(range=(0.03, 0.4)),
        "filter_type": Draw(special=0.2, choices=LOW_PASS),
        "cutoff": Draw(range=(1.5, 40.0), relative=True),
        "attack": Draw(special=0.3, range=(0.001, 0.06)), "decay": Draw(range=(0.4, 1.5)),
        "sustain": sustain(0.55, -24.0, -1.0, silent=0.1), "release": Draw(range=(0.015, 1.5)),
        "lfo_target": Draw(special=0.95),
        "fenv_amount": on(0.31, range=(12.0, 72.0)),
        "osc2_wave": on(0.8), "osc2_semitones": Draw(special=0.0, choices={0: 23, 12: 9, -12: 8, 24: 4}),
        "osc2_level": Draw(range=(-11.0, 6.0)),
        "noise": Draw(special=0.82, range=(-27.0, -8.0)),
        "penv_amount": on(0.03, range=(24.0, 40.0)),
        **effects(dist=0.26, chorus=0.20, delay=0.44, reverb=0.48, fm=0.03),
    }),
    Archetype("keys", 0.08, "designed: electric-piano and organ recipes (no prefix in the corpus)", {
        "note": Draw(range=(45, 81)),
        "waveform": waves(5, 3, 1, 2),
        "voices": Draw(special=0.8, range=(2, 4)), "detune": Draw(range=(0.03, 0.15)),
        "filter_type": Draw(special=0.5, choices={"Lowpass": 1}),
        "cutoff": Draw(range=(4.0, 40.0), relative=True),
        "attack": Draw(special=0.4, range=(0.001, 0.01)), "decay": Draw(range=(0.6, 3.0)),
        "sustain": sustain(0.2, -30.0, -6.0, silent=0.1), "release": Draw(range=(0.1, 0.6)),
        "lfo_target": Draw(special=0.7, choices={"Volume": 3, "Pitch": 1}),
        "lfo_rate": Draw(range=(3.0, 7.0)), "lfo_depth": Draw(range={"Pitch": (0.05, 0.3), "Volume": (1.0, 6.0)}),
        "fenv_amount": on(0.2, range=(3.0, 24.0)),
        "osc2_wave": on(0.7, choices={"Sine": 6, "Triangle": 2, "Square": 1}),
        "osc2_semitones": Draw(special=0.0, choices={12: 4, 0: 2, 24: 2, 19: 1, 28: 1}),
        "osc2_level": Draw(range=(-24.0, 0.0)),
        "noise": Draw(special=0.9, range=(-45.0, -25.0)),
        "penv_amount": on(0.05, range=(0.5, 12.0)), "penv_decay": Draw(range=(0.005, 0.03)),
        **effects(dist=0.2, chorus=0.35, delay=0.25, reverb=0.6, fm=0.5,
                  dist_type=on(0.2, choices={"Soft Clip": 1}), fm_amount=on(0.5, range=(0.05, 0.3))),
    }),
    Archetype("bell", 0.05, "designed: FM bell recipes, inharmonic ratios (no prefix in the corpus)", {
        "note": Draw(range=(55, 96)), "length": Draw(range=(0.2, 1.5)),
        "waveform": waves(8, 2, 0, 0),
        "voices": Draw(special=0.85, range=(2, 3)), "detune": Draw(range=(0.03, 0.1)),
        "filter_type": Draw(special=0.7),
        "attack": Draw(special=0.6, range=(0.001, 0.005)), "decay": Draw(range=(0.8, 3.0)),
        "sustain": sustain(0.0, -40.0, -20.0, silent=0.6), "release": Draw(range=(0.5, 1.5)),
        "lfo_target": Draw(special=0.85, choices={"Volume": 1, "Pitch": 1}),
        "osc2_wave": on(0.9, choices={"Sine": 8, "Triangle": 1, "Square": 1}),
        "osc2_semitones": Draw(special=0.0, choices={19: 2, 28: 2, 24: 1, 31: 1, 34: 1, 15: 1, 17: 1, 6: 1, 42: 1}),
        "osc2_level": Draw(range=(-24.0, 0.0)),
        "noise": Draw(special=0.95),
        "penv_amount": on(0.03),
        **effects(dist=0.05, chorus=0.25, delay=0.4, reverb=0.8, fm=0.8, fm_amount=on(0.8, range=(0.08, 0.5))),
    }),
    Archetype("brass", 0.05, "designed: subtractive brass, a slow filter swell on a saw (no prefix in the corpus)", {
        "note": Draw(range=(43, 76)),
        "waveform": waves(0, 0, 8, 2),
        "voices": Draw(special=0.5, range=(2, 6)), "detune": Draw(range=(0.03, 0.25)),
        "filter_type": Draw(special=0.0, choices={"Lowpass": 1}),
        "cutoff": Draw(range=(1.0, 6.0), relative=True),
        "resonance": Draw(special=0.6, range=(0.05, 0.3)),
        "attack": Draw(special=0.0, range=(0.02, 0.15)), "decay": Draw(range=(0.3, 2.0)),
        "sustain": sustain(0.3, -9.0, -1.0), "release": Draw(range=(0.05, 0.4)),
        "lfo_target": Draw(special=0.6, choices={"Pitch": 1}),
        "lfo_rate": Draw(range=(4.0, 6.5)), "lfo_depth": Draw(range={"Pitch": (0.05, 0.4)}),
        "fenv_amount": on(0.9, range=(12.0, 48.0)), "fenv_attack": Draw(special=0.0, range=(0.03, 0.3)),
        "fenv_decay": Draw(range=(0.2, 1.5)), "fenv_sustain": Draw(special=0.0, range=(-18.0, -3.0)),
        "osc2_wave": on(0.4, choices={"Saw": 3, "Square": 1}),
        "osc2_semitones": Draw(special=0.0, choices={0: 3, 12: 1, -12: 1, 7: 1}),
        "noise": Draw(special=0.85, range=(-40.0, -25.0)),
        "penv_amount": on(0.2, range=(-3.0, -0.5)), "penv_decay": Draw(range=(0.02, 0.1)),
        **effects(dist=0.2, chorus=0.2, delay=0.2, reverb=0.7, fm=0.03),
    }),
)
BY_NAME = {a.name: a for a in ARCHETYPES}


def pick(rng: np.random.Generator) -> Archetype:
    """An archetype, by its share of the producer mix."""
    weights = np.array([a.weight for a in ARCHETYPES])
    return ARCHETYPES[int(rng.choice(len(ARCHETYPES), p=weights / weights.sum()))]


def absolute(draw: Draw, values: dict) -> Range:
    """A relative range (harmonics of the note) in Hz."""
    f0 = 440.0 * 2.0 ** ((values["note"] - 69) / 12)
    return draw.range[0] * f0, draw.range[1] * f0


def chosen(draw: Draw, rng: np.random.Generator, allowed: tuple | None = None):
    """A weighted pick among a draw's choices (restricted to `allowed` if given); None when none is allowed."""
    options = [(v, w) for v, w in draw.choices.items() if w > 0 and (allowed is None or v in allowed)]
    if not options:
        return None
    weights = np.array([w for _, w in options], dtype=float)
    return options[int(rng.choice(len(options), p=weights / weights.sum()))][0]
