"""Serum 1's facts as data, for `whispersynth.serum`'s writer and reader: the 299 VST parameters
in order with the init preset's stored values (`NAMES`, `INIT`, `INDEX`), the `.fxp` container's
constants, the offsets of the 28,232-byte "classic" state layout, the modulation matrix's source,
destination and menu ids, the filter menu indices and the noise samples. They were measured on
470 real Serum-saved presets (458 with a 20,704-byte state, 12 with a 28,232-byte state, among
them an init preset and four "basic shape" presets; the public christhetree/serum_rnn
repository) and checked against the notes and reader of the public btesser/serum2vital
converter; no file of either is in this repository. The comments say how each fact was
established; docs/SERUM.md gives the method and what stays unverified without Serum itself.
"""

# INIT: every stored parameter value 0-272 is the init preset's (`INIT`); 273-298 are not stored
# by that build (its slots hold garbage) and are written as Serum's documented defaults (0).
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

# Container: big-endian header; the size field at byte 4 is the whole file length (not
# length - 8); fxVersion 1, plugin version 1, program count 1; chunk size = file - 60. The chunk
# is zlib(state) + zlib(wavetable frames) + uint32 little-endian length of the first zlib stream
# (all 470 files).
PLUGIN_ID = b"XfsX"
PRESET_NAME = "whispersynth"
HEADER = 60
# State layout (this writer uses the 28,232-byte "classic" layout): modulation slots 1-16 at
# 0x0000 and 17-32 at 0x50E0 (40 bytes each, `80 80 <slot> FF` at +0x20), LFO 1-4 shapes at
# 0x0280 (65 float64 tension/x/y arrays) with their switches at 0x1AE0, parameters 0-227 as
# float32 at 0x3460 and 228-298 at 0x4AE0, FX rack order at 0x3BE0, table and noise names at
# 0x3C08/0x3E08/0x4008, preset name at 0x4972, macro names at 0x4A60.
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

# Modulation: source id 5 is LFO 1, 3 is Env 2 and 4 is Env 3 (every one of the 223 presets that
# routes source 3 has moved an Env 2 knob off INIT, 90 of the 91 that route source 4 an Env 3
# knob); the destination is the parameter index, and the u16 at +0x18 is the menu id that real
# presets pair with it (Fil Cutoff 47, A CoarsePit 4, B CoarsePit 5, A Vol 0, B Vol 1, Noise Level 24).
SOURCE_LFO1, SOURCE_ENV2, SOURCE_ENV3 = 5, 3, 4
DEST_NONE, MENU_NONE = 273, 147  # what unused slots hold in the init state
MENU_ID = {"Fil Cutoff": 47, "A CoarsePit": 4, "B CoarsePit": 5, "A Vol": 0, "B Vol": 1, "Noise Level": 24}
LFO_DEST = {"Filter Cutoff": "Fil Cutoff", "Pitch": "A CoarsePit", "Volume": "A Vol"}
FILTER_INDEX = {"Lowpass": 5, "Highpass": 9, "Bandpass": 12}  # Low 12 / High 12 / Band 12
FILTER_COUNT = 96  # stored as index / (count - 1)
LFO_POINTS = 33  # 32 linear segments: a sine within 0.5 % of its swing
WHITE_NOISE = "Analog/BrightWhite.wav"  # the factory white noise most used in the corpus (15 presets)
