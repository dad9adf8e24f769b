"""Format version 3 in Serum 1: FM as osc A's warp "FM (from B)", the effects in Serum's FX rack.

Both directions live here: `put_version_3` sets the knobs of the lines that are on (serum.py
calls it), `version_3_values` reads them back (serum_read.py). docs/SERUM.md says where each
curve comes from. Read back from Serum's display (btesser/serum2vital's table of 229 steps a
knob) and checked on the stored values of 458 real presets: the mode menus (warp: index / 23,
18 = FM (from B); distortion: index / 12), chorus rate 20 Hz n^4, chorus delays 20 ms n^2,
delay time 1 + 500 n^4 ms (unsynced), feedback 0..100 %, reverb Decay 0.8 + 11.2 n s (the
knob's display, not a measured RT60); a module's wet gain is sin^2(pi n / 2) (measured by that
converter's renders). Assumed, not verifiable without Serum: the FM depth (Vital's amount
= n^0.8, that converter's fit), the distortion drive (0 %..100 % = 0..+30 dB), chorus depth
(Vital's = n^2, that converter's), reverb damping as HI CUT (100 %..50 %), reverb size as
VerbSize. Serum's FX rack runs Distortion, Chorus, Delay, Reverb in that order by default (the
writer keeps its order), as the Vital render does.
"""

from __future__ import annotations

import math

from .spec import FIELD

WARP_MENU, WARP_FM = 23, 18  # WarpOscA: index / 23; "FM (from B)"
FM_CURVE = 0.8  # Vital's FM amount = A Warp ^ 0.8 (serum2vital's fit)
DIST_MENU = 12  # Dist_Mode: index / 12 (13 modes)
DIST_MODE = {"Soft Clip": 1, "Hard Clip": 2, "Linear Fold": 5, "Sine Fold": 6}
DRIVE_DB = 30.0  # Dist_Drv 100 % = +30 dB (assumed)
CHORUS_MAX_HZ, CHORUS_DELAY_MS = 20.0, 20.0
CHORUS_TAPS_MS = (1000 * 2.0 ** -9, 1000 * 2.0 ** -7)  # the Vital render's fixed chorus delays
DELAY_MIN_MS, DELAY_SPAN_MS = 1.0, 500.0  # unsynced: 1 + 500 n^4 ms (so at most 501 ms)
REVERB_MIN_S, REVERB_SPAN_S = 0.8, 11.2
HICUT_OPEN, HICUT_DAMPED = 1.0, 0.5  # VerbHiCt at Damping 0 % and 100 % (assumed)


def _wet_knob(gain: float) -> float:
    """The wet knob whose gain sin^2(pi n / 2) is `gain`."""
    return 2.0 / math.pi * math.asin(math.sqrt(min(1.0, max(0.0, gain))))


def _wet_gain(n: float) -> float:
    return math.sin(math.pi * n / 2.0) ** 2


def _equal_power(mix_pct: float) -> float:
    """The wet gain of the Vital render's chorus, delay and reverb Mix (within 0.0009)."""
    return math.sin(math.pi * mix_pct / 200.0)


def _pct_of_equal_power(gain: float) -> float:
    return 200.0 / math.pi * math.asin(min(1.0, max(0.0, gain)))


def put_version_3(p, put) -> None:
    """Set the knobs of the version-3 lines that are on (`put(name, value)`)."""
    if p.fm_amount is not None:
        put("WarpOscA", WARP_FM / WARP_MENU)
        put("A Warp", p.fm_amount ** (1.0 / FM_CURVE))
    if p.dist_type is not None:
        for name, value in (("Dist Enable", 1.0), ("Dist_Mode", DIST_MODE[p.dist_type] / DIST_MENU),
                            ("Dist_Drv", max(0.0, p.dist_drive) / DRIVE_DB), ("Dist_PrePost", 0.0),
                            ("Dist_Wet", _wet_knob(p.dist_mix / 100.0))):  # Vital's Mix is linear
            put(name, value)
    if p.chorus_rate is not None:
        for name, value in (("Cho Enable", 1.0), ("Cho_BPM_Sync", 0.0), ("Cho_Rate", (p.chorus_rate / CHORUS_MAX_HZ) ** 0.25),
                            ("Cho_Dep", math.sqrt(p.chorus_depth / 100.0)), ("Cho_Feed", 0.0), ("Cho_Filt", 1.0),
                            ("Cho_Dly", math.sqrt(CHORUS_TAPS_MS[0] / CHORUS_DELAY_MS)),
                            ("Cho_Dly2", math.sqrt(CHORUS_TAPS_MS[1] / CHORUS_DELAY_MS)),
                            ("Cho_Wet", _wet_knob(_equal_power(p.chorus_mix)))):
            put(name, value)
    if p.delay_time is not None:
        time = ((max(DELAY_MIN_MS, 1000 * p.delay_time) - DELAY_MIN_MS) / DELAY_SPAN_MS) ** 0.25
        for name, value in (("Dly Enable", 1.0), ("Dly_BPM_Sync", 0.0), ("Dly_Link", 1.0), ("Dly_TimL", time),
                            ("Dly_TimR", time), ("Dly_Feed", p.delay_feedback / 100.0), ("Dly_Mode", 0.0),
                            ("Dly_Freq", 0.5), ("Dly_BW", 1.0), ("Dly_Wet", _wet_knob(_equal_power(p.delay_mix)))):
            put(name, value)  # a knob over 1 (a time past 501 ms) is clipped by serum._unit
    if p.reverb_decay is not None:
        for name, value in (("Rev Enable", 1.0), ("Decay", (p.reverb_decay - REVERB_MIN_S) / REVERB_SPAN_S),
                            ("VerbSize", p.reverb_size / 100.0),
                            ("VerbHiCt", HICUT_OPEN - (HICUT_OPEN - HICUT_DAMPED) * p.reverb_damping / 100.0),
                            ("Verb Wet", _wet_knob(_equal_power(p.reverb_mix)))):
            put(name, value)


def version_3_values(p: dict, osc_b: bool) -> dict:
    """Format version 3's fields in real units (unrounded) from stored knobs; off where a module is."""
    fm = osc_b and round(p["WarpOscA"] * WARP_MENU) == WARP_FM
    dist = p["Dist Enable"] >= 0.5 and round(p["Dist_Mode"] * DIST_MENU) in DIST_MODE.values()
    modes = {v: k for k, v in DIST_MODE.items()}
    out = {"fm_amount": p["A Warp"] ** FM_CURVE if fm else None,
           "dist_type": modes[round(p["Dist_Mode"] * DIST_MENU)] if dist else None,
           "dist_drive": p["Dist_Drv"] * DRIVE_DB if dist else None,
           "dist_mix": 100.0 * _wet_gain(p["Dist_Wet"]) if dist else None}
    chorus, delay, reverb = (p[f"{m} Enable"] >= 0.5 for m in ("Cho", "Dly", "Rev"))
    out.update({"chorus_rate": CHORUS_MAX_HZ * p["Cho_Rate"] ** 4 if chorus else None,
                "chorus_depth": 100.0 * p["Cho_Dep"] ** 2 if chorus else None,
                "chorus_mix": _pct_of_equal_power(_wet_gain(p["Cho_Wet"])) if chorus else None,
                "delay_time": (DELAY_MIN_MS + DELAY_SPAN_MS * p["Dly_TimL"] ** 4) / 1000 if delay else None,
                "delay_feedback": 100.0 * p["Dly_Feed"] if delay else None,
                "delay_mix": _pct_of_equal_power(_wet_gain(p["Dly_Wet"])) if delay else None,
                "reverb_decay": REVERB_MIN_S + REVERB_SPAN_S * p["Decay"] if reverb else None,
                "reverb_size": 100.0 * p["VerbSize"] if reverb else None,
                "reverb_damping": min(100.0, max(0.0, 100.0 * (HICUT_OPEN - p["VerbHiCt"]) / (HICUT_OPEN - HICUT_DAMPED)))
                if reverb else None,
                "reverb_mix": _pct_of_equal_power(_wet_gain(p["Verb Wet"])) if reverb else None})
    return out


# What a written preset cannot say exactly: a round trip gives these back instead (docs/SERUM.md).
LIMITS = {"dist_drive": (0.0, FIELD["dist_drive"].hi), "delay_time": (0.0, (DELAY_MIN_MS + DELAY_SPAN_MS) / 1000),
          "reverb_decay": (REVERB_MIN_S, REVERB_MIN_S + REVERB_SPAN_S)}
