"""Reading Serum 1 presets back: `read_fxp(data)` opens a `.fxp` (any Serum 1 preset, not
only this package's) into its stored values, and `patch_values(info)` says which patch fields
they mean, in real units, through the knob curves `serum` writes with (docs/SERUM.md)."""

from __future__ import annotations

import math
import re
import struct
import zlib

import numpy as np

from .errors import WhisperSynthError
from .serum import (
    COARSE_ST, CUTOFF_SPAN_ST, _frame, _init_saw, env_knob_to_level, knob_to_cutoff_hz, knob_to_detune_st,
    knob_to_filter_index, knob_to_level_db, knob_to_lfo_hz, knob_to_resonance, knob_to_seconds,
    knob_to_sustain_db, knob_to_voices, knobs_to_semitones,
)
from .serum_fx import version_3_values
from .serum_table import (
    ARRAY, FILTER_INDEX, FRAME, HEADER, INIT, LFO_BLOCKS, LFO_DEST, N_LOW, NAMES, OFF_FX_ORDER, OFF_NAME, OFF_NOISE,
    OFF_PARAMS_HIGH, OFF_PARAMS_LOW, OFF_WT_A, OFF_WT_B, PLUGIN_ID, SOURCE_ENV2, SOURCE_ENV3, SOURCE_LFO1,
)


class SerumPresetError(WhisperSynthError, ValueError):
    """Bytes that are not a Serum 1 preset this module can read."""


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
    out.update(version_3_values(p, out["osc2_wave"] is not None))
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
