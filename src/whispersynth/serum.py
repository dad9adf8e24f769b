"""Serum 1 presets: `to_fxp(patch)` writes a Serum 1 `.fxp`, `read_fxp(data)` reads one back.

The file is a VST2 opaque-chunk preset (`CcnK`, `FPCh`, plugin id `XfsX`). docs/SERUM.md
says how each fact below was established and what stays unverified without Serum itself.

Measured on real Serum-saved presets (470 files: 458 with a 20,704-byte state, 12 with a
28,232-byte state, among them an init preset and four "basic shape" presets):

- Container: big-endian header; the size field at byte 4 is the whole file length (not
  length - 8); fxVersion 1, plugin version 1, program count 1; chunk size = file - 60. The
  chunk is zlib(state) + zlib(wavetable frames) + uint32 little-endian length of the first
  zlib stream (all 470 files).
- State layout (this writer uses the 28,232-byte "classic" layout): modulation slots 1-16 at
  0x0000 and 17-32 at 0x50E0 (40 bytes each, `80 80 <slot> FF` at +0x20), LFO 1-4 shapes at
  0x0280 (65 float64 tension/x/y arrays) with their switches at 0x1AE0, parameters 0-227 as
  float32 at 0x3460 and 228-298 at 0x4AE0, FX rack order at 0x3BE0, table and noise names
  at 0x3C08/0x3E08/0x4008, preset name at 0x4972, macro names at 0x4A60.
- INIT: every stored parameter value 0-272 is the init preset's (`INIT`); 273-298 are not
  stored by that build (its slots hold garbage) and are written as Serum's documented
  defaults (0). Filter type is stored as index / 95 (init: 1/95, "MG Low 12"); unison voices
  as (voices - 1) / 15 (corpus values are multiples of 1/15).
- Knob curves (Serum's own display read-back, published with the serum2vital converter and
  checked here at their end points): envelope times 32 s * n^5; Env 1 sustain 40 log10(n) dB
  (0 is -inf); filter cutoff 8 Hz * (22050 / 8)^n; LFO rate in Hz mode 100 Hz * n^4; unison
  detune display n^2; oscillator level 40 log10(n) dB; coarse pitch -64 + 128 n semitones.
- Modulation: source id 5 is LFO 1, 3 is Env 2 and 4 is Env 3 (every one of the 223 presets
  that routes source 3 has moved an Env 2 knob off INIT, 90 of the 91 that route source 4 an
  Env 3 knob); the destination is the parameter index, and the u16 at +0x18 is the menu id
  that real presets pair with it (Fil Cutoff 47, A CoarsePit 4, B CoarsePit 5, A Vol 0,
  B Vol 1, Noise Level 24).
- Waveform: the init preset has no table name and embeds osc A's and osc B's single 2048-sample
  frames in the second zlib stream. This writer keeps that layout and puts a band-limited
  Sine/Triangle/Saw/Square frame (the same frames the Vital render uses) in osc A's place.

Assumed (not measurable without Serum; docs/SERUM.md):

- that the first embedded frame is osc A's and the second osc B's (both are the same saw in
  the init preset);
- format version 2 (docs/SERUM.md): the Fil Reso law (Vital's control travel for the gain at
  the cutoff), Env 2/3 sustain linear in level, "Analog/BrightWhite.wav" as white noise at
  the level of a full-scale sine, and Serum's own envelope curves standing in for Vital's;
- that a modulation slot adds amount x the destination's full knob range, unipolar (Serum's
  LFO runs 0..1; the matrix's bipolar switch has not been located), so the LFO shape is
  baked as points and the base knob is lowered by half the swing;
- that the unison range is 2 semitones and detune n puts the outermost voices at +-2 n^2 st;
- that the LFO point count byte counts segments (the init shape has 3 points, count 2);
- state regions whose meaning is unknown (0x37F0-0x3BE0 after the -1 run, 0x4220-0x4960,
  LFO 5-8 switches beyond the anchor bytes) are written as zeros, not copied from a preset.
"""

from __future__ import annotations

import math
import re
import struct
import zlib

import numpy as np

from .errors import WhisperSynthError
from .spec import Patch
from .synth import RESONANCE_DB, RESONANCE_RAW, WAVEFORMS, wavetable_frames


class SerumPresetError(WhisperSynthError, ValueError):
    """Bytes that are not a Serum 1 preset this module can read."""


_TABLE = (  # (name, INIT stored value), in VST parameter order
    ("MasterVol", 0.7), ("A Vol", 0.75), ("A Pan", 0.5), ("A Octave", 0.5), ("A Semi", 0.5), ("A Fine", 0.5),
    ("A Unison", 0), ("A UniDet", 0.5), ("A UniBlend", 0.75), ("A Warp", 0), ("A CoarsePit", 0.5),
    ("A WTPos", 0), ("A RandPhase", 1), ("A Phase", 0.5), ("B Vol", 0.75), ("B Pan", 0.5), ("B Octave", 0.5),
    ("B Semi", 0.5), ("B Fine", 0.5), ("B Unison", 0), ("B UniDet", 0.5), ("B UniBlend", 0.75),
    ("B Warp", 0), ("B CoarsePit", 0.5), ("B WTPos", 0), ("B RandPhase", 1), ("B Phase", 0.5),
    ("Noise Level", 0.25), ("Noise Pitch", 0.5), ("Noise Fine", 0.5), ("Noise Pan", 0.5),
    ("Noise RandPhase", 0), ("Noise Phase", 0), ("Sub Osc Level", 0.75), ("Sub Osc Pan", 0.5),
    ("Env1 Atk", 0.11), ("Env1 Hold", 0), ("Env1 Dec", 0.5), ("Env1 Sus", 1), ("Env1 Rel", 0.215),
    ("OscA>Fil", 1), ("OscB>Fil", 0), ("OscN>Fil", 0), ("OscS>Fil", 0), ("Fil Type", 0.010526316),
    ("Fil Cutoff", 0.5), ("Fil Reso", 0.1), ("Fil Driv", 0), ("Fil Var", 0), ("Fil Mix", 1),
    ("Fil Stereo", 0.5), ("Env2 Atk", 0.11), ("Env2 Hld", 0), ("Env2 Dec", 0.5), ("Env2 Sus", 1),
    ("Env2 Rel", 0.215), ("Env3 Atk", 0.11), ("Env3 Hld", 0), ("Env3 Dec", 0.5), ("Env3 Sus", 1),
    ("Env3 Rel", 0.215), ("LFO1 Rate", 0.5), ("LFO2 Rate", 0.5), ("LFO3 Rate", 0.5), ("LFO4 Rate", 0.5),
    ("PortTime", 0), ("PortCurve", 0.5), ("Chaos1 BPM", 0), ("Chaos2 BPM", 0), ("Chaos1 Rate", 0.251189),
    ("Chaos2 Rate", 0.251189), ("A curve1", 0.4995), ("D curve1", 0.666), ("R curve1", 0.666),
    ("A curve2", 0.4995), ("D curve2", 0.666), ("R curve2", 0.666), ("A curve3", 0.4995),
    ("D curve3", 0.666), ("R curve3", 0.666), ("Mast.Tun", 0.5), ("Verb Wet", 0.2), ("VerbSize", 0.35),
    ("Decay", 0.35), ("VerbLoCt", 0), ("Spin Rate", 0.25), ("VerbHiCt", 0.35), ("Spin Depth", 0.2),
    ("EQ FrqL", 0.333), ("EQ FrqH", 0.666), ("EQ Q L", 0.6), ("EQ Q H", 0.6), ("EQ VolL", 0.5),
    ("EQ VolH", 0.5), ("EQ TypL", 0), ("EQ TypH", 0), ("Dist_Wet", 1), ("Dist_Drv", 0.25), ("Dist_L/B/H", 0),
    ("Dist_Mode", 0), ("Dist_Freq", 0.5), ("Dist_BW", 0.5), ("Dist_PrePost", 0), ("Flg_Wet", 1),
    ("Flg_BPM_Sync", 0), ("Flg_Rate", 0.25), ("Flg_Dep", 1), ("Flg_Feed", 0.5), ("Flg_Stereo", 0.5),
    ("Phs_Wet", 1), ("Phs_BPM_Sync", 0), ("Phs_Rate", 0.25), ("Phs_Dpth", 0.5), ("Phs_Frq", 0.5),
    ("Phs_Feed", 0.8), ("Phs_Stereo", 0.5), ("Cho_Wet", 0.5), ("Cho_BPM_Sync", 0), ("Cho_Rate", 0.25),
    ("Cho_Dly", 0.5), ("Cho_Dly2", 0), ("Cho_Dep", 1), ("Cho_Feed", 0.1), ("Cho_Filt", 0.5),
    ("Dly_Wet", 0.3), ("Dly_Freq", 0.5), ("Dly_BW", 0.8), ("Dly_BPM_Sync", 1), ("Dly_Link", 0),
    ("Dly_TimL", 0.625), ("Dly_TimR", 0.625), ("Dly_Mode", 0), ("Dly_Feed", 0.4), ("Dly_Off L", 0.5),
    ("Dly_Off R", 0.5), ("Cmp_Thr", 0.5), ("Cmp_Rat", 0.75), ("Cmp_Att", 0.3), ("Cmp_Rel", 0.3),
    ("CmpGain", 0), ("CmpMBnd", 0), ("FX Fil Wet", 1), ("FX Fil Type", 0), ("FX Fil Freq", 0.5),
    ("FX Fil Reso", 0), ("FX Fil Drive", 0), ("FX Fil Var", 0), ("Hyp_Wet", 0.5), ("Hyp_Rate", 0.4),
    ("Hyp_Detune", 0.25), ("Hyp_Unison", 0.5714286), ("Hyp_Retrig", 0), ("HypDim_Size", 0.5),
    ("HypDim_Mix", 0), ("Dist Enable", 0), ("Flg Enable", 0), ("Phs Enable", 0), ("Cho Enable", 0),
    ("Dly Enable", 0), ("Comp Enable", 0), ("Rev Enable", 0), ("EQ Enable", 0), ("FX Fil Enable", 0),
    ("Hyp Enable", 0), ("OscAPitchTrack", 1), ("OscBPitchTrack", 1), ("Bend U", 0.5416667),
    ("Bend D", 0.45833334), ("WarpOscA", 0), ("WarpOscB", 0), ("SubOscShape", 0), ("SubOscOctave", 0.5),
    ("A Uni LR", 1), ("B Uni LR", 1), ("A Uni Warp", 0.5), ("B Uni Warp", 0.5), ("A Uni WTPos", 0.5),
    ("B Uni WTPos", 0.5), ("A Uni Stack", 0), ("B Uni Stack", 0), ("Mod 1 amt", 0.5), ("Mod 1 out", 1),
    ("Mod 2 amt", 0.5), ("Mod 2 out", 1), ("Mod 3 amt", 0.5), ("Mod 3 out", 1), ("Mod 4 amt", 0.5),
    ("Mod 4 out", 1), ("Mod 5 amt", 0.5), ("Mod 5 out", 1), ("Mod 6 amt", 0.5), ("Mod 6 out", 1),
    ("Mod 7 amt", 0.5), ("Mod 7 out", 1), ("Mod 8 amt", 0.5), ("Mod 8 out", 1), ("Mod 9 amt", 0.5),
    ("Mod 9 out", 1), ("Mod10 amt", 0.5), ("Mod10 out", 1), ("Mod11 amt", 0.5), ("Mod11 out", 1),
    ("Mod12 amt", 0.5), ("Mod12 out", 1), ("Mod13 amt", 0.5), ("Mod13 out", 1), ("Mod14 amt", 0.5),
    ("Mod14 out", 1), ("Mod15 amt", 0.5), ("Mod15 out", 1), ("Mod16 amt", 0.5), ("Mod16 out", 1),
    ("Osc A On", 1), ("Osc B On", 0), ("Osc N On", 0), ("Osc S On", 0), ("Filter On", 0), ("Mod Wheel", 0),
    ("Macro 1", 0), ("Macro 2", 0), ("Macro 3", 0), ("Macro 4", 0), ("Amp.", 0.5), ("LFO1 smooth", 0),
    ("LFO2 smooth", 0), ("LFO3 smooth", 0), ("LFO4 smooth", 0), ("Pitch Bend", 0.5), ("Mod17 amt", 0.5),
    ("Mod17 out", 1), ("Mod18 amt", 0.5), ("Mod18 out", 1), ("Mod19 amt", 0.5), ("Mod19 out", 1),
    ("Mod20 amt", 0.5), ("Mod20 out", 1), ("Mod21 amt", 0.5), ("Mod21 out", 1), ("Mod22 amt", 0.5),
    ("Mod22 out", 1), ("Mod23 amt", 0.5), ("Mod23 out", 1), ("Mod24 amt", 0.5), ("Mod24 out", 1),
    ("Mod25 amt", 0.5), ("Mod25 out", 1), ("Mod26 amt", 0.5), ("Mod26 out", 1), ("Mod27 amt", 0.5),
    ("Mod27 out", 1), ("Mod28 amt", 0.5), ("Mod28 out", 1), ("Mod29 amt", 0.5), ("Mod29 out", 1),
    ("Mod30 amt", 0.5), ("Mod30 out", 1), ("Mod31 amt", 0.5), ("Mod31 out", 1), ("Mod32 amt", 0.5),
    ("Mod32 out", 1), ("LFO5 Rate", 0.5), ("LFO6 Rate", 0.5), ("LFO7 Rate", 0.5), ("LFO8 Rate", 0.5),
    ("LFO5 smooth", 0), ("LFO6 smooth", 0), ("LFO7 smooth", 0), ("LFO8 smooth", 0), ("FX Fil Pan", 0.5),
    ("Comp_Wet", 1), ("CompMB L", 0.5), ("CompMB M", 0.5), ("CompMB H", 0.5), ("LFO1 Rise", 0),
    ("LFO2 Rise", 0), ("LFO3 Rise", 0), ("LFO4 Rise", 0), ("LFO5 Rise", 0), ("LFO6 Rise", 0),
    ("LFO7 Rise", 0), ("LFO8 Rise", 0), ("LFO1 Delay", 0), ("LFO2 Delay", 0), ("LFO3 Delay", 0),
    ("LFO4 Delay", 0), ("LFO5 Delay", 0), ("LFO6 Delay", 0), ("LFO7 Delay", 0), ("LFO8 Delay", 0),
    ("FX Dist Level", 0), ("FX Flg Level", 0), ("FX Phaser Level", 0), ("FX Chorus Level", 0),
    ("FX Delay Level", 0), ("FX Comp Level", 0), ("FX Reverb Level", 0), ("FX DimExp Level", 0),
    ("FX Filter Level", 0), ("FX Hyper Level", 0),
)
NAMES = tuple(name for name, _ in _TABLE)
INIT = tuple(value for _, value in _TABLE)
INDEX = {name: i for i, name in enumerate(NAMES)}
assert len(NAMES) == 299 and len(INDEX) == 299

PLUGIN_ID = b"XfsX"
PRESET_NAME = "whispersynth"
HEADER = 60
STATE_SIZE = 28232  # the classic layout of the measured init preset
FRAME = 2048  # samples per embedded wavetable frame (float32)
OFF_PARAMS_LOW, N_LOW, OFF_PARAMS_HIGH = 0x3460, 228, 0x4AE0
OFF_MODS = (0x0000, 0x50E0)  # slots 1-16, 17-32
OFF_FX_ORDER, FX_ORDER = 0x3BE0, (1, 2, 3, 4, 5, 6, 7, 8, 9, 0)  # init: Hyper first
OFF_WT_A, OFF_WT_B, OFF_NOISE, OFF_NAME, OFF_MACROS = 0x3C08, 0x3E08, 0x4008, 0x4972, 0x4A60
OFF_TABLE_SOURCES = 0x4208  # five int32: -1, -1, 5, -1, -1 in the init (both tables embedded)
OFF_MINUS_ONES, N_MINUS_ONES = 0x3840, 65  # int32 -1 run of the init state
# LFO shape blocks: (12 arrays of 65 float64, switches record, whether the record is full)
LFO_BLOCKS = ((0x0280, 0x1AE0, True), (0x1B70, 0x33D0, False), (0x5558, 0x6DB8, True))
ARRAY = 65
INIT_TENSION = 0.4999999701976776  # float32(0.5) rounded down, as the init stores it
INIT_NOISE = "Organics/AC hum1.wav"

SOURCE_LFO1, SOURCE_ENV2, SOURCE_ENV3 = 5, 3, 4
DEST_NONE, MENU_NONE = 273, 147  # what unused slots hold in the init state
MENU_ID = {"Fil Cutoff": 47, "A CoarsePit": 4, "B CoarsePit": 5, "A Vol": 0, "B Vol": 1, "Noise Level": 24}
LFO_DEST = {"Filter Cutoff": "Fil Cutoff", "Pitch": "A CoarsePit", "Volume": "A Vol"}
FILTER_INDEX = {"Lowpass": 5, "Highpass": 9, "Bandpass": 12}  # Low 12 / High 12 / Band 12
FILTER_COUNT = 96  # stored as index / (count - 1)
LFO_POINTS = 33  # 32 linear segments: a sine within 0.5 % of its swing
WHITE_NOISE = "Analog/BrightWhite.wav"  # the factory white noise most used in the corpus (15 presets)

# ---------------------------------------------------------------- knob curves (stored n <-> real)

ENV_MAX_S, CUTOFF_LO, CUTOFF_HI, LFO_MAX_HZ = 32.0, 8.0, 22050.0, 100.0
UNISON_RANGE_ST, COARSE_ST, CUTOFF_SPAN_ST = 2.0, 64.0, 12 * math.log2(22050.0 / 8.0)


def _unit(n: float) -> float:
    return min(1.0, max(0.0, float(n)))


def knob_to_seconds(n: float) -> float:
    """Envelope attack/hold/decay/release: 0 -> 0 s, 0.5 -> 1 s, 1 -> 32 s."""
    return ENV_MAX_S * _unit(n) ** 5


def seconds_to_knob(seconds: float) -> float:
    return _unit((max(0.0, seconds) / ENV_MAX_S) ** 0.2)


def knob_to_sustain_db(n: float) -> float:
    """Env 1 sustain: 0 -> -inf dB, 0.5 -> -12.04 dB, 1 -> 0 dB."""
    n = _unit(n)
    return -math.inf if n == 0 else 40.0 * math.log10(n)


def sustain_db_to_knob(db: float) -> float:
    return 0.0 if db == -math.inf else _unit(10.0 ** (db / 40.0))


def knob_to_level_db(n: float) -> float:
    """Oscillator level (A Vol): the same curve as Env 1 sustain, 0.75 (init) -> -5.0 dB."""
    return knob_to_sustain_db(n)


def level_db_to_knob(db: float) -> float:
    return sustain_db_to_knob(db)


def knob_to_cutoff_hz(n: float) -> float:
    """Filter cutoff: 0 -> 8 Hz, 0.5 -> 420 Hz, 1 -> 22050 Hz, log-linear."""
    return CUTOFF_LO * (CUTOFF_HI / CUTOFF_LO) ** _unit(n)


def cutoff_hz_to_knob(hz: float) -> float:
    return _unit(math.log(max(hz, CUTOFF_LO) / CUTOFF_LO) / math.log(CUTOFF_HI / CUTOFF_LO))


def knob_to_lfo_hz(n: float) -> float:
    """LFO rate with BPM off: 0 -> 0 Hz, 0.5 -> 6.25 Hz, 1 -> 100 Hz."""
    return LFO_MAX_HZ * _unit(n) ** 4


def lfo_hz_to_knob(hz: float) -> float:
    return _unit((max(0.0, hz) / LFO_MAX_HZ) ** 0.25)


def knob_to_coarse_st(n: float) -> float:
    """A CoarsePit: 0 -> -64 st, 0.5 -> 0, 1 -> +64 st, linear."""
    return COARSE_ST * (2.0 * _unit(n) - 1.0)


def coarse_st_to_knob(st: float) -> float:
    return _unit(0.5 + st / (2.0 * COARSE_ST))


def knob_to_detune_st(n: float) -> float:
    """Unison detune: displayed n^2 of the unison range (assumed 2 st): outermost voices at +-2 n^2 st."""
    return UNISON_RANGE_ST * _unit(n) ** 2


def detune_st_to_knob(st: float) -> float:
    return _unit(math.sqrt(max(0.0, st) / UNISON_RANGE_ST))


def knob_to_voices(n: float) -> int:
    """Unison voices: stored (voices - 1) / 15."""
    return 1 + int(round(15 * _unit(n)))


def voices_to_knob(voices: int) -> float:
    return (int(voices) - 1) / 15.0


def knob_to_filter_index(n: float) -> int:
    return int(round(_unit(n) * (FILTER_COUNT - 1)))


RESO_INIT = INIT[INDEX["Fil Reso"]]  # 10 %: what version 1 (resonance 0) writes


def resonance_to_knob(r: float) -> float:
    """Filter Resonance r -> Fil Reso: the share of Vital's control travel that gives r's gain at
    the cutoff, laid on Serum's knob from INIT 10 % (r = 0) to 100 % (r = 1). Unverified in Serum."""
    db = RESONANCE_DB[0] + _unit(r) * (RESONANCE_DB[-1] - RESONANCE_DB[0])
    travel = (float(np.interp(db, RESONANCE_DB, RESONANCE_RAW)) - RESONANCE_RAW[0]) / (1.0 - RESONANCE_RAW[0])
    return RESO_INIT + (1.0 - RESO_INIT) * travel


def knob_to_resonance(n: float) -> float:
    """Fil Reso -> Filter Resonance r (knobs below INIT read as 0)."""
    raw = RESONANCE_RAW[0] + (_unit(n) - RESO_INIT) / (1.0 - RESO_INIT) * (1.0 - RESONANCE_RAW[0])
    db = float(np.interp(raw, RESONANCE_RAW, RESONANCE_DB))
    return (db - RESONANCE_DB[0]) / (RESONANCE_DB[-1] - RESONANCE_DB[0])


def semitones_to_knobs(st: int) -> tuple[float, float]:
    """Whole semitones -> (Octave, Semi) knobs: -4..4 octaves and -12..12 semitones, linear; the
    semitone part takes the sign of the whole (-19 st: -1 octave, -7 semitones)."""
    octave = int(st / 12)  # toward zero
    return (octave + 4) / 8.0, (st - 12 * octave + 12) / 24.0


def knobs_to_semitones(octave: float, semi: float) -> int:
    return 12 * int(round(8 * _unit(octave) - 4)) + int(round(24 * _unit(semi) - 12))


def level_to_env_knob(db: float) -> float:
    """Env 2/3 sustain: 0..100 %, linear in the envelope's level (0 is -inf dB)."""
    return 0.0 if db == -math.inf else _unit(10.0 ** (db / 20.0))


def env_knob_to_level(n: float) -> float:
    n = _unit(n)
    return -math.inf if n == 0 else 20.0 * math.log10(n)


# ---------------------------------------------------------------- writing


def _frame(waveform: str) -> np.ndarray:
    """One band-limited cycle (FRAME samples): the very frames of the Vital render's wavetable."""
    return wavetable_frames(FRAME)[WAVEFORMS.index(waveform)].astype("<f4")


def _init_saw() -> np.ndarray:
    """The init preset's embedded frame: a plain ramp, k / 1024 up to 1023 / 1024, then -1023 / 1024 up to 0."""
    k = np.arange(FRAME)
    return np.where(k < FRAME // 2, k, k - (FRAME - 1)).astype("<f4") / np.float32(FRAME // 2)


def _lfo_trajectory(p: Patch) -> tuple[str, np.ndarray]:
    """The destination knob over one LFO cycle (LFO_POINTS points from phase 0), in stored units."""
    s = np.sin(2 * np.pi * np.linspace(0.0, 1.0, LFO_POINTS))
    dest = LFO_DEST[p.lfo_target]
    if p.lfo_target == "Volume":  # gain in dB: -d (1 - sin) / 2, on A Vol's 40 log10(n) curve
        top = INIT[INDEX[dest]]
        return dest, top * 10.0 ** (-p.lfo_depth * (1.0 - s) / 2.0 / 40.0)
    if p.lfo_target == "Pitch":
        return dest, np.clip(0.5 + p.lfo_depth * s / (2 * COARSE_ST), 0.0, 1.0)
    centre = cutoff_hz_to_knob(p.cutoff)
    return dest, np.clip(centre + p.lfo_depth * s / CUTOFF_SPAN_ST, 0.0, 1.0)


def _lfo_plan(p: Patch) -> tuple[str, float, float, np.ndarray]:
    """(destination, base knob, amount, LFO shape 0..1): base + amount * shape is the trajectory."""
    dest, k = _lfo_trajectory(p)
    base, amount = float(k.min()), float(k.max() - k.min())
    shape = (k - base) / amount if amount > 0 else np.zeros_like(k)
    return dest, base, amount, shape


def _osc_b_knob(p: Patch) -> float:
    """B Vol: Oscillator 2's level relative to osc A's INIT level (so at most +5.0 dB over it)."""
    return level_db_to_knob(knob_to_level_db(INIT[INDEX["A Vol"]]) + p.osc2_level)


def _noise_knob(p: Patch) -> float:
    """Noise Level: the noise relative to osc A's INIT level, the sample taken at a sine's RMS."""
    return level_db_to_knob(knob_to_level_db(INIT[INDEX["A Vol"]]) + p.noise)


def _lfo_targets(p: Patch) -> list[tuple[str, float, float]]:
    """(destination, base knob, amount) of LFO 1's slots: osc A's (version 1's), then copies
    for osc B and noise, which the Vital render's LFO moves too (pitch: both oscillators; volume:
    the whole voice). Volume knobs share A Vol's curve, so one shape scaled by level fits all."""
    dest, base, amount, _ = _lfo_plan(p)
    out = [(dest, base, amount)]
    if p.lfo_target == "Pitch" and p.osc2_wave is not None:
        out.append(("B CoarsePit", base, amount))
    if p.lfo_target == "Volume":
        tops = [("B Vol", _osc_b_knob(p))] if p.osc2_wave is not None else []
        tops += [("Noise Level", _noise_knob(p))] if not math.isinf(p.noise) else []
        scale = {name: top / INIT[INDEX[dest]] for name, top in tops}
        out += [(name, base * k, amount * k) for name, k in scale.items()]
    return out


def _routes(p: Patch) -> list[tuple[int, str, float]]:
    """The modulation slots in use, in slot order: (source, destination, amount). LFO 1 comes
    first, so version-1 patches keep their one slot."""
    routes = [(SOURCE_LFO1, dest, amount) for dest, _, amount in _lfo_targets(p)] if p.lfo_target else []
    if p.fenv_amount is not None:  # amount x the cutoff knob's span (assumed, as for the LFO)
        routes.append((SOURCE_ENV2, "Fil Cutoff", p.fenv_amount / CUTOFF_SPAN_ST))
    if p.penv_amount is not None:
        oscs = ("A CoarsePit", "B CoarsePit") if p.osc2_wave is not None else ("A CoarsePit",)
        routes += [(SOURCE_ENV3, dest, p.penv_amount / (2 * COARSE_ST)) for dest in oscs]
    return routes


def _mod_amount_name(slot: int) -> str:
    return f"Mod{slot:2d} amt"  # "Mod 1 amt" .. "Mod32 amt"


def _version_2(p: Patch, put) -> None:
    """The knobs of format version 2's lines that are on (their modulation slots: `_routes`)."""
    if p.filter_type is not None:
        put("Fil Reso", resonance_to_knob(p.resonance))
    if p.fenv_amount is not None:
        for knob, value in (("Atk", p.fenv_attack), ("Dec", p.fenv_decay), ("Rel", p.fenv_release)):
            put(f"Env2 {knob}", seconds_to_knob(value))
        put("Env2 Sus", level_to_env_knob(p.fenv_sustain))
    if p.osc2_wave is not None:
        octave, semi = semitones_to_knobs(p.osc2_semitones)
        for name, value in (("Osc B On", 1.0), ("OscB>Fil", 1.0), ("B Octave", octave), ("B Semi", semi),
                            ("B Vol", _osc_b_knob(p)), ("A RandPhase", 0.0), ("B RandPhase", 0.0)):
            put(name, value)  # random phase off: it would change the two oscillators' sum note by note
    if not math.isinf(p.noise):
        for name, value in (("Osc N On", 1.0), ("OscN>Fil", 1.0), ("Noise Level", _noise_knob(p))):
            put(name, value)
    if p.penv_amount is not None:  # a pure decay from the full offset back to the note
        for name, value in (("Env3 Atk", 0.0), ("Env3 Dec", seconds_to_knob(p.penv_decay)), ("Env3 Sus", 0.0),
                            ("Env3 Rel", 0.0)):
            put(name, value)


def _parameters(p: Patch) -> list[float]:
    """All 299 stored values: INIT except what the patch sets."""
    v = list(INIT)

    def put(name: str, value: float) -> None:
        v[INDEX[name]] = _unit(value)

    put("A Unison", voices_to_knob(p.voices))
    if p.voices > 1:
        put("A UniDet", detune_st_to_knob(p.detune))
    if p.filter_type is not None:
        put("Filter On", 1.0)
        put("Fil Type", FILTER_INDEX[p.filter_type] / (FILTER_COUNT - 1))
        put("Fil Cutoff", cutoff_hz_to_knob(p.cutoff))
    put("Env1 Atk", seconds_to_knob(p.attack))
    put("Env1 Dec", seconds_to_knob(p.decay))
    put("Env1 Sus", sustain_db_to_knob(p.sustain))
    put("Env1 Rel", seconds_to_knob(p.release))
    _version_2(p, put)
    if p.lfo_target is not None:  # after _version_2: the LFO lowers the level knobs it set
        put("LFO1 Rate", lfo_hz_to_knob(p.lfo_rate))
        for dest, base, _ in _lfo_targets(p):
            put(dest, base)
    for slot, (_, _, amount) in enumerate(_routes(p), 1):
        put(_mod_amount_name(slot), (amount + 1.0) / 2.0)
    return v


def _mod_record(slot: int, amount: float = 0.0, source: int = 0, dest: int = DEST_NONE,
                menu: int = MENU_NONE) -> bytes:
    r = bytearray(40)
    struct.pack_into("<3f", r, 0, (amount + 1.0) / 2.0, amount, 1.0)
    struct.pack_into("<4H", r, 0x14, source, 0, menu, dest)
    r[0x20:0x24] = bytes((0x80, 0x80, slot, 0xFF))
    return bytes(r)


def _pad(values, fill: float) -> list[float]:
    return list(values) + [fill] * (ARRAY - len(values))


def _lfo_block(state: bytearray, block: tuple, shapes: dict, rates: list[float]) -> None:
    """Four LFOs' point arrays and their switches record; `shapes` maps 0..3 to a 0..1 shape."""
    base, record, full = block
    for lfo in range(4):
        shape = shapes.get(lfo)
        xs, ys = ([0.0, 0.5, 1.0], [0.0, 1.0, 1.0]) if shape is None else \
            (np.linspace(0.0, 1.0, len(shape)).tolist(), (1.0 - shape).tolist())  # y: 0 is the top
        for k, arr in ((lfo, [INIT_TENSION] * ARRAY), (4 + lfo, _pad(xs, 1.0)), (8 + lfo, _pad(ys, ys[-1]))):
            struct.pack_into(f"<{ARRAY}d", state, base + 8 * ARRAY * k, *arr)
        if full:
            state[record + lfo] = len(xs) - 1
    if full:
        struct.pack_into("<4f", state, record + 0x04, *rates)
        for off, value in ((0x14, 1), (0x18, 0), (0x24, 0)):  # anchor on; BPM mode; mode off
            state[record + off : record + off + 4] = bytes((value,)) * 4
        struct.pack_into("<4f4i4i", state, record + 0x30, *[0.5] * 4, *[-1] * 4, *[ARRAY] * 4)
    else:
        state[record : record + 4] = b"\x01" * 4  # anchor bytes


def _put_text(state: bytearray, offset: int, text: str, size: int) -> None:
    raw = text.encode("ascii")[: size - 1]
    state[offset : offset + size] = raw.ljust(size, b"\0")


def _state(p: Patch) -> bytes:
    """The decompressed state (STATE_SIZE bytes)."""
    s = bytearray(STATE_SIZE)
    values = _parameters(p)
    struct.pack_into(f"<{N_LOW}f", s, OFF_PARAMS_LOW, *values[:N_LOW])
    struct.pack_into(f"<{len(values) - N_LOW}f", s, OFF_PARAMS_HIGH, *values[N_LOW:])
    for slot in range(32):
        where = OFF_MODS[slot // 16] + 40 * (slot % 16)
        s[where : where + 40] = _mod_record(slot)
    for slot, (source, dest, amount) in enumerate(_routes(p)):
        where = OFF_MODS[slot // 16] + 40 * (slot % 16)
        s[where : where + 40] = _mod_record(slot, amount, source, INDEX[dest], MENU_ID[dest])
    shapes = {0: _lfo_plan(p)[3]} if p.lfo_target is not None else {}
    for i, block in enumerate(LFO_BLOCKS):
        rates = [values[INDEX[f"LFO{4 * i + k + 1} Rate"]] if i < 2 else 0.5 for k in range(4)]
        _lfo_block(s, block, shapes if i == 0 else {}, rates)
    if p.lfo_target is not None:  # LFO 1: Hz mode, TRIG (restarts at note-on)
        rec = LFO_BLOCKS[0][1]
        s[rec + 0x18] = s[rec + 0x24] = 1
    struct.pack_into(f"<{N_MINUS_ONES}i", s, OFF_MINUS_ONES, *[-1] * N_MINUS_ONES)
    struct.pack_into("<10i", s, OFF_FX_ORDER, *FX_ORDER)
    struct.pack_into("<5i", s, OFF_TABLE_SOURCES, -1, -1, 5, -1, -1)
    _put_text(s, OFF_NOISE, INIT_NOISE if math.isinf(p.noise) else WHITE_NOISE, 512)
    _put_text(s, OFF_NAME, PRESET_NAME, 32)
    for i in range(4):
        _put_text(s, OFF_MACROS + 0x20 * i, f"Macro {i + 1}", 0x20)
    return bytes(s)


def to_fxp(patch: Patch) -> bytes:
    """A complete Serum 1 `.fxp` file for a patch (osc A, unison, filter, Env 1, LFO 1; version 2:
    resonance, Env 2 on the cutoff, osc B, noise, Env 3 on the pitch)."""
    state = zlib.compress(_state(patch), 9)
    osc_b = _init_saw() if patch.osc2_wave is None else _frame(patch.osc2_wave)
    frames = zlib.compress(np.concatenate([_frame(patch.waveform), osc_b]).tobytes(), 9)
    chunk = state + frames + struct.pack("<I", len(state))
    name = PRESET_NAME.encode("ascii").ljust(28, b"\0")
    head = struct.pack(">4sI4sI4sII", b"CcnK", HEADER + len(chunk), b"FPCh", 1, PLUGIN_ID, 1, 1)
    return head + name + struct.pack(">I", len(chunk)) + chunk


# ---------------------------------------------------------------- reading


def _open(data: bytes) -> tuple[bytes, bytes, dict]:
    """(state, embedded frames, header fields); SerumPresetError on anything else."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise SerumPresetError(f"expected the bytes of a .fxp file, got {type(data).__name__}")
    data = bytes(data)
    if len(data) < HEADER or data[:4] != b"CcnK":
        raise SerumPresetError("not a VST2 preset (no CcnK header)")
    fx_magic, version, plugin, plugin_version, programs = struct.unpack(">4sI4sII", data[8:28])
    if fx_magic != b"FPCh":
        raise SerumPresetError(f"not an opaque-chunk preset (fxMagic {fx_magic!r})")
    if plugin != PLUGIN_ID:
        raise SerumPresetError(f"a preset of another plugin (id {plugin.decode('latin-1')!r}), not Serum")
    size = struct.unpack(">I", data[56:60])[0]
    if size > len(data) - HEADER:
        raise SerumPresetError(f"truncated: the chunk says {size} bytes, the file holds {len(data) - HEADER}")
    chunk = data[HEADER : HEADER + size]
    try:
        first = zlib.decompressobj()
        state = first.decompress(chunk)
        second = zlib.decompressobj()
        frames = second.decompress(first.unused_data) if len(first.unused_data) > 4 else b""
    except zlib.error as e:
        raise SerumPresetError(f"the chunk is not Serum's zlib data ({e})") from None
    if not first.eof or len(state) < OFF_PARAMS_LOW + 4 * N_LOW:
        raise SerumPresetError(f"the state is incomplete ({len(state)} bytes)")
    name = data[28:56].split(b"\0", 1)[0].decode("latin-1")
    header = {"file_size_field": struct.unpack(">I", data[4:8])[0], "version": version,
              "plugin_version": plugin_version, "programs": programs, "program_name": name,
              "chunk_size": size, "state_size": len(state)}
    return state, frames, header


def _text(state: bytes, offset: int, size: int) -> str:
    return state[offset : offset + size].split(b"\0", 1)[0].decode("latin-1").strip()


def _stored_parameters(state: bytes) -> dict[str, float]:
    values = list(struct.unpack_from(f"<{N_LOW}f", state, OFF_PARAMS_LOW))
    high = len(NAMES) - N_LOW
    if len(state) >= OFF_PARAMS_HIGH + 4 * high:
        values += struct.unpack_from(f"<{high}f", state, OFF_PARAMS_HIGH)
    else:  # older builds end before the second block
        values += INIT[N_LOW:]
    return dict(zip(NAMES, (float(v) for v in values)))


def _mod_slots(state: bytes) -> list[dict]:
    slots = {}
    for m in re.finditer(rb"\x80\x80(.)\xff", state, re.S):
        base, slot = m.start() - 0x20, m.group(1)[0]
        if base < 0 or slot > 31 or slot in slots:
            continue
        amount = struct.unpack_from("<f", state, base + 4)[0]
        source, aux, menu, dest = struct.unpack_from("<4H", state, base + 0x14)
        slots[slot] = {"slot": slot + 1, "source": source, "aux": aux, "menu": menu,
                       "dest": NAMES[dest] if dest < len(NAMES) else None, "amount": float(amount)}
    return [slots[k] for k in sorted(slots)]


def _lfos(state: bytes) -> list[dict]:
    """LFO 1-4 of the classic layout: points (x, y with 0 at the bottom) and switches."""
    base, record, _ = LFO_BLOCKS[0]
    out = []
    for lfo in range(4):
        arrays = [np.array(struct.unpack_from(f"<{ARRAY}d", state, base + 8 * ARRAY * (k + lfo)))
                  for k in (0, 4, 8)]
        count = state[record + lfo] + 1
        flags = [state[record + off + lfo] for off in (0x14, 0x18, 0x1C, 0x20, 0x24, 0x28)]
        mode = "env" if flags[4] and flags[5] else "trig" if flags[4] else "off"
        out.append({"x": arrays[1][:count], "y": 1.0 - arrays[2][:count], "tension": arrays[0][: count - 1],
                    "anchor": bool(flags[0]), "hz_mode": bool(flags[1]), "dotted": bool(flags[2]),
                    "triplet": bool(flags[3]), "mode": mode})
    return out


def read_fxp(data: bytes) -> dict:
    """Read a Serum 1 `.fxp`: header fields, every stored parameter (name -> 0..1), the
    modulation slots, LFO 1-4, table/noise names and the embedded frames (k x 2048)."""
    state, frames, header = _open(data)
    try:
        info = dict(header)
        info.update(params=_stored_parameters(state), mod_slots=_mod_slots(state),
                    lfos=_lfos(state) if len(state) > LFO_BLOCKS[0][1] + 0x60 else [],
                    name=_text(state, OFF_NAME, 32), wavetable_a=_text(state, OFF_WT_A, 512),
                    wavetable_b=_text(state, OFF_WT_B, 512), noise=_text(state, OFF_NOISE, 512),
                    fx_order=list(struct.unpack_from("<10i", state, OFF_FX_ORDER)),
                    frames=np.frombuffer(frames[: len(frames) // (4 * FRAME) * 4 * FRAME], "<f4").reshape(-1, FRAME))
    except (struct.error, IndexError, ValueError) as e:
        raise SerumPresetError(f"the state does not have Serum's layout ({e})") from None
    return info


# ---------------------------------------------------------------- meaning: stored -> real units


def _waveform(info: dict, osc: int = 0) -> str | None:
    """Which basic shape osc A's (osc 1: B's) embedded frame is (None: an external table or another shape)."""
    if info["wavetable_b" if osc else "wavetable_a"] or len(info["frames"]) <= osc:
        return None
    frame = info["frames"][osc].astype(float)
    for name in ("Sine", "Triangle", "Saw", "Square"):
        ref = _frame(name).astype(float)
        if np.abs(frame - ref).max() < 1e-4:
            return name
    return "Saw" if np.array_equal(frame, _init_saw()) else None  # the init preset's ramp


def _lfo_values(info: dict) -> dict:
    p = info["params"]
    slot = next((s for s in info["mod_slots"] if s["source"] == SOURCE_LFO1 and s["amount"] != 0), None)
    target = {v: k for k, v in LFO_DEST.items()}.get(slot["dest"]) if slot else None
    if target is None:
        return {"lfo_target": None, "lfo_rate": None, "lfo_depth": None}
    lfo = info["lfos"][0]
    k = p[slot["dest"]] + slot["amount"] * np.interp([0.0, 0.25, 0.75], lfo["x"], lfo["y"])
    if target == "Volume":
        depth = knob_to_level_db(k[1]) - knob_to_level_db(k[2])
    else:
        span = 2 * COARSE_ST if target == "Pitch" else CUTOFF_SPAN_ST
        depth = max(k[1] - k[0], k[0] - k[2]) * span
    return {"lfo_target": target, "lfo_rate": knob_to_lfo_hz(p["LFO1 Rate"]), "lfo_depth": float(depth),
            "lfo_centre": float(k[0])}


def patch_values(info: dict) -> dict:
    """The patch fields a read preset means, in real units (unrounded; see docs/SERUM.md)."""
    p = info["params"]
    voices = knob_to_voices(p["A Unison"])
    kinds = {v: k for k, v in FILTER_INDEX.items()}
    on = p["Filter On"] >= 0.5
    out = {"waveform": _waveform(info), "voices": voices,
           "detune": knob_to_detune_st(p["A UniDet"]) if voices > 1 else None,
           "filter_type": kinds.get(knob_to_filter_index(p["Fil Type"]), "other") if on else None,
           "cutoff": knob_to_cutoff_hz(p["Fil Cutoff"]) if on else None,
           "attack": knob_to_seconds(p["Env1 Atk"]), "decay": knob_to_seconds(p["Env1 Dec"]),
           "sustain": knob_to_sustain_db(p["Env1 Sus"]), "release": knob_to_seconds(p["Env1 Rel"])}
    lfo = _lfo_values(info)
    if lfo["lfo_target"] == "Filter Cutoff":
        out["cutoff"] = knob_to_cutoff_hz(lfo["lfo_centre"])
    lfo.pop("lfo_centre", None)
    out.update(lfo)
    out.update(_version_2_values(info, on))
    return out


def _slot_amount(info: dict, source: int, dest: str) -> float | None:
    """The amount of the first slot from `source` to `dest`, None if there is none."""
    return next((s["amount"] for s in info["mod_slots"] if s["source"] == source and s["dest"] == dest), None)


def _version_2_values(info: dict, filter_on: bool) -> dict:
    """Format version 2's fields in real units; off where their oscillator or slot is absent."""
    p = info["params"]
    a_db = knob_to_level_db(p["A Vol"])  # levels are relative to osc A (the volume LFO lowers both alike)
    fenv, penv = _slot_amount(info, SOURCE_ENV2, "Fil Cutoff"), _slot_amount(info, SOURCE_ENV3, "A CoarsePit")
    osc_b, noise = p["Osc B On"] >= 0.5, p["Osc N On"] >= 0.5
    env2 = {k: knob_to_seconds(p[f"Env2 {k}"]) if fenv is not None else None for k in ("Atk", "Dec", "Rel")}
    return {"resonance": knob_to_resonance(p["Fil Reso"]) if filter_on else 0.0,
            "fenv_amount": None if fenv is None else fenv * CUTOFF_SPAN_ST,
            "fenv_attack": env2["Atk"], "fenv_decay": env2["Dec"], "fenv_release": env2["Rel"],
            "fenv_sustain": None if fenv is None else env_knob_to_level(p["Env2 Sus"]),
            "osc2_wave": _waveform(info, 1) if osc_b else None,
            "osc2_semitones": knobs_to_semitones(p["B Octave"], p["B Semi"]) if osc_b else None,
            "osc2_level": knob_to_level_db(p["B Vol"]) - a_db if osc_b else None,
            "noise": knob_to_level_db(p["Noise Level"]) - a_db if noise else -math.inf,
            "penv_amount": None if penv is None else penv * 2 * COARSE_ST,
            "penv_decay": None if penv is None else knob_to_seconds(p["Env3 Dec"])}
