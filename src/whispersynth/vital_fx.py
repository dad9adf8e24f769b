"""Format version 3 in Vital: FM and the effects, as raw controls (synth.MAPPING takes these).

Measured with vita 0.1.0 (tests/test_vital_fx.py re-measures each law; docs/FORMAT.md has
the residuals):

- FM: `osc_1_distortion_type` 7 ("FM <- Osc 2") is phase modulation of oscillator 1 by
  oscillator 2's waveform, index beta = 45.28 x Amount^2 (sidebands at |f1 + k f2| at Bessel
  levels J_k(beta), within 0.001 dB), the same at every note and for every unison voice;
  oscillator 2's level does not change it, and oscillator 2 is still heard at its own level.
- Distortion: drive is a gain in dB before a memoryless shaper (Soft Clip = tanh, Hard Clip
  = clip at 1, Linear Fold = a triangle fold, Sine Fold = sin(pi u / 2)); no level
  compensation; Mix is a linear crossfade (exact). It comes after the filter and envelope.
- Chorus: each channel is two delay taps moved in opposite directions by a sine at Rate
  (exact to 0.006 %); Depth d adds d x 30 ms to the taps' delay and swings it by
  +-d x 15 ms (less above 1 Hz: / sqrt(1 + (2 pi f 29.2 ms)^2)).
- Delay: time = 2^-delay_frequency s (0.6 samples late), each repeat's gain is Feedback.
- Reverb: RT60 = 2^reverb_decay_time x (1 + 0.157 x 2^(3 - 4 Size)) s (about +-2 %; long
  by 2-18 % below 0.5 s, irregular at Size 100 % below 4 s); Damping d cuts a 1480 Hz high
  shelf in the tail by 6 d dB per pass, so the top decays faster.
- Mix of chorus, delay and reverb: dry x E(1 - m), wet x E(m), E within 0.0009 of
  sin(pi m / 2) (equal power).
- Order: Distortion -> Chorus -> Delay -> Reverb (`effect_chain_order` 257040: Vital's
  permutation index over its nine effects).
"""

from __future__ import annotations

import math

from .spec import FIELD

FM_TYPE = 7  # osc_1_distortion_type: "FM <- Osc 2" (0 = none)
FM_INDEX = 45.28  # beta per Amount^2, measured
CHAIN_ORDER = 257040.0  # Distortion, Chorus, (Compressor), Delay, ..., Reverb
DIST_TYPES = FIELD["dist_type"].choices  # distortion_type 0..3, in this order
DAMPING_DB = 6.0  # Damping 100 % = reverb_high_shelf_gain -6 dB, the control's floor
REVERB_DECAY_RANGE = (-6.0, 6.0)  # reverb_decay_time, log2 s
# What the controls are with every version-3 line off: the base preset's own values, so that
# version-1 and -2 patches set the same knobs as before.
OFF = {
    "osc_1_distortion_type": 0.0, "osc_1_distortion_amount": 0.5,
    "distortion_on": 0.0, "distortion_type": 0.0, "distortion_drive": 0.0, "distortion_mix": 1.0,
    "chorus_on": 0.0, "chorus_frequency": -3.0, "chorus_mod_depth": 0.5, "chorus_dry_wet": 0.5,
    "delay_on": 0.0, "delay_frequency": 2.0, "delay_feedback": 0.5, "delay_dry_wet": 0.3334,
    "reverb_on": 0.0, "reverb_decay_time": 0.0, "reverb_size": 0.5, "reverb_high_shelf_gain": -1.0,
    "reverb_dry_wet": 0.25,
}
# Fixed: plain effects (no tempo sync, one chorus voice, no chorus feedback, open filters, no
# pre-delay or chorus in the reverb), in the format's order. With the effects off they change nothing.
SETTINGS = {
    "effect_chain_order": CHAIN_ORDER, "osc_1_distortion_spread": 0.0, "distortion_filter_order": 0.0,
    "chorus_sync": 0.0, "chorus_voices": 1.0, "chorus_feedback": 0.0, "chorus_cutoff": 60.0, "chorus_spread": 1.0,
    "delay_sync": 0.0, "delay_style": 0.0, "delay_filter_cutoff": 60.0, "delay_filter_spread": 1.0,
    "reverb_chorus_amount": 0.0, "reverb_delay": 0.0, "reverb_pre_low_cutoff": 0.0, "reverb_pre_high_cutoff": 128.0,
    "reverb_low_shelf_gain": 0.0, "reverb_high_shelf_cutoff": 90.0,
}
# The throw-away note before each render (synth._play): 0.3 s flushes control smoothing; the
# distortion needs 0.5 s (a 3e-5 residue at 0.3 s), and the chorus's delay lines keep a trace of
# the earlier render -85 dB down after 0.5 s (-56 dB at 0.3 s, -111 dB at 1 s, which would make
# its renders 1.5x slower), about the reverb's own trace (-93 dB, whatever the throw-away).
SETTLE_SECONDS, SETTLE_DISTORTION, SETTLE_CHORUS = 0.3, 0.5, 0.5


def _off(*names: str) -> dict:
    return {n: OFF[n] for n in names}


def fm(p) -> dict:
    if p.fm_amount is None:
        return _off("osc_1_distortion_type", "osc_1_distortion_amount")
    return {"osc_1_distortion_type": float(FM_TYPE), "osc_1_distortion_amount": p.fm_amount}


def distortion(p) -> dict:
    if p.dist_type is None:
        return _off("distortion_on", "distortion_type", "distortion_drive", "distortion_mix")
    return {"distortion_on": 1.0, "distortion_type": float(DIST_TYPES.index(p.dist_type)),
            "distortion_drive": p.dist_drive, "distortion_mix": p.dist_mix / 100.0}


def chorus(p) -> dict:
    if p.chorus_rate is None:
        return _off("chorus_on", "chorus_frequency", "chorus_mod_depth", "chorus_dry_wet")
    return {"chorus_on": 1.0, "chorus_frequency": math.log2(p.chorus_rate), "chorus_mod_depth": p.chorus_depth / 100.0,
            "chorus_dry_wet": p.chorus_mix / 100.0}


def delay(p) -> dict:
    if p.delay_time is None:
        return _off("delay_on", "delay_frequency", "delay_feedback", "delay_dry_wet")
    return {"delay_on": 1.0, "delay_frequency": -math.log2(p.delay_time), "delay_feedback": p.delay_feedback / 100.0,
            "delay_dry_wet": p.delay_mix / 100.0}


def reverb_size_factor(size: float) -> float:
    """RT60 / 2^reverb_decay_time at a Size of 0..1 (measured)."""
    return 1.0 + 0.157 * 2.0 ** (3.0 - 4.0 * size)


def reverb_decay_raw(seconds: float, size: float) -> float:
    """Reverb Decay (RT60, s) at a Size of 0..1 -> reverb_decay_time, within the control's range."""
    lo, hi = REVERB_DECAY_RANGE
    return min(hi, max(lo, math.log2(seconds / reverb_size_factor(size))))


def reverb(p) -> dict:
    if p.reverb_decay is None:
        return _off("reverb_on", "reverb_decay_time", "reverb_size", "reverb_high_shelf_gain", "reverb_dry_wet")
    size = p.reverb_size / 100.0
    return {"reverb_on": 1.0, "reverb_decay_time": reverb_decay_raw(p.reverb_decay, size), "reverb_size": size,
            "reverb_high_shelf_gain": -DAMPING_DB * p.reverb_damping / 100.0, "reverb_dry_wet": p.reverb_mix / 100.0}


MAPPING = {
    "fm_amount": fm,
    **dict.fromkeys(("dist_type", "dist_drive", "dist_mix"), distortion),
    **dict.fromkeys(("chorus_rate", "chorus_depth", "chorus_mix"), chorus),
    **dict.fromkeys(("delay_time", "delay_feedback", "delay_mix"), delay),
    **dict.fromkeys(("reverb_decay", "reverb_size", "reverb_damping", "reverb_mix"), reverb),
}


def settle_seconds(controls: dict) -> float:
    """How long the throw-away note before a render runs, for a patch's raw controls."""
    return max(SETTLE_SECONDS, SETTLE_DISTORTION * controls.get("distortion_on", 0.0),
               SETTLE_CHORUS * controls.get("chorus_on", 0.0))
