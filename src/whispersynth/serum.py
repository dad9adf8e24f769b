"""Serum 1 presets: `to_fxp(patch)` writes a Serum 1 `.fxp` (`serum_read.read_fxp` reads one back).

The file is a VST2 opaque-chunk preset (`CcnK`, `FPCh`, plugin id `XfsX`). docs/SERUM.md
says how each fact below was established and what stays unverified without Serum itself.

Measured on real Serum-saved presets (470 files: 458 with a 20,704-byte state, 12 with a
28,232-byte state, among them an init preset and four "basic shape" presets):

- Container, state layout, INIT values and modulation ids: `serum_table`, each with how it
  was measured. Filter type is stored as index / 95 (init: 1/95, "MG Low 12"); unison voices
  as (voices - 1) / 15 (corpus values are multiples of 1/15).
- Knob curves (Serum's own display read-back, published with the serum2vital converter and
  checked here at their end points): envelope times 32 s * n^5; Env 1 sustain 40 log10(n) dB
  (0 is -inf); filter cutoff 8 Hz * (22050 / 8)^n; LFO rate in Hz mode 100 Hz * n^4; unison
  detune display n^2; oscillator level 40 log10(n) dB; coarse pitch -64 + 128 n semitones.
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
import struct
import zlib

import numpy as np

from .serum_table import (
    INIT, INDEX, PLUGIN_ID, PRESET_NAME, HEADER, STATE_SIZE, FRAME, OFF_PARAMS_LOW, N_LOW,
    OFF_PARAMS_HIGH, OFF_MODS, OFF_FX_ORDER, FX_ORDER, OFF_NOISE, OFF_NAME, OFF_MACROS,
    OFF_TABLE_SOURCES, OFF_MINUS_ONES, N_MINUS_ONES, LFO_BLOCKS, ARRAY, INIT_TENSION, INIT_NOISE, SOURCE_LFO1,
    SOURCE_ENV2, SOURCE_ENV3, DEST_NONE, MENU_NONE, MENU_ID, LFO_DEST, FILTER_INDEX, FILTER_COUNT, LFO_POINTS,
    WHITE_NOISE,
)
from .serum_fx import put_version_3
from .spec import Patch
from .synth import RESONANCE_DB, RESONANCE_RAW, WAVEFORMS, resonance_raw, wavetable_frames


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
    travel = (resonance_raw(_unit(r)) - RESONANCE_RAW[0]) / (1.0 - RESONANCE_RAW[0])
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


def _level_over_a(db: float) -> float:
    """A level knob (B Vol, Noise Level) db dB relative to osc A's INIT level (so at most +5.0 dB
    over it); the noise sample is taken at a sine's RMS."""
    return level_db_to_knob(knob_to_level_db(INIT[INDEX["A Vol"]]) + db)


def _lfo_targets(p: Patch) -> list[tuple[str, float, float]]:
    """(destination, base knob, amount) of LFO 1's slots: osc A's (version 1's), then copies
    for osc B and noise, which the Vital render's LFO moves too (pitch: both oscillators; volume:
    the whole voice). Volume knobs share A Vol's curve, so one shape scaled by level fits all."""
    dest, base, amount, _ = _lfo_plan(p)
    out = [(dest, base, amount)]
    if p.lfo_target == "Pitch" and p.osc2_wave is not None:
        out.append(("B CoarsePit", base, amount))
    if p.lfo_target == "Volume":
        tops = [("B Vol", _level_over_a(p.osc2_level))] if p.osc2_wave is not None else []
        tops += [("Noise Level", _level_over_a(p.noise))] if not math.isinf(p.noise) else []
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
                            ("B Vol", _level_over_a(p.osc2_level)), ("A RandPhase", 0.0), ("B RandPhase", 0.0)):
            put(name, value)  # random phase off: it would change the two oscillators' sum note by note
    if not math.isinf(p.noise):
        for name, value in (("Osc N On", 1.0), ("OscN>Fil", 1.0), ("Noise Level", _level_over_a(p.noise))):
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
    put_version_3(p, put)
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
