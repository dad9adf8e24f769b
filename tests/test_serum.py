"""Serum 1 .fxp writer and reader (src/whispersynth/serum.py); fixtures are built on the fly."""

from __future__ import annotations

import math
import struct
from pathlib import Path
import zlib

import numpy as np
import pytest

from whispersynth import serum, serum_fx, serum_read, serum_table, settings, spec, synth
from whispersynth.errors import WhisperSynthError
from whispersynth.sampler import clip_rng, sample_patch
from whispersynth.spec import Patch

PLUCK = Patch("Saw", 3, 0.10, "Lowpass", 1200, 0.005, 0.6, -18.0, 0.3, "Filter Cutoff", 3.0, 7.0, 57, 1.2)
PLAIN = Patch("Sine", 1, None, None, None, 0.0, 0.9, -math.inf, 0.6, None, None, None)
VOLUME = Patch("Square", 1, None, "Bandpass", 368, 0.244, 0.583, -0.6, 0.894, "Volume", 2.5, 12.0)
PITCH = Patch("Triangle", 16, 1.0, "Highpass", 3000, 0.4, 0.9, -12.0, 0.6, "Pitch", 5.0, 24.0)
# Format version 2: each line on at least once, beside a version-1 LFO of each target.
ACID = Patch("Saw", 1, None, "Lowpass", 250, 0.0, 0.3, -6.0, 0.12, "Filter Cutoff", 2.0, 3.0, 36, 0.25,
             resonance=0.7, fenv_amount=24.0, fenv_attack=0.005, fenv_decay=0.25, fenv_sustain=-12.0,
             fenv_release=0.2)
KICK = Patch("Sine", 1, None, None, None, 0.0, 0.35, -math.inf, 0.05, None, None, None, 36, 0.3,
             noise=-30.0, penv_amount=36.0, penv_decay=0.04)
LAYER = Patch("Saw", 3, 0.1, "Lowpass", 2000, 0.01, 0.8, -9.0, 0.3, "Pitch", 5.0, 0.5,
              osc2_wave="Square", osc2_semitones=-19, osc2_level=-6.0, penv_amount=-12.0, penv_decay=0.1)
TREMOLO = Patch("Triangle", 1, None, None, None, 0.01, 0.5, -3.0, 0.3, "Volume", 6.0, 9.0,
                osc2_wave="Sine", osc2_semitones=12, osc2_level=-3.0, noise=-20.0)
V2_PATCHES = [ACID, KICK, LAYER, TREMOLO]
FIELDS = tuple(f.name for f in spec.FIELDS if f.name not in ("note", "length"))  # played, not stored


def _streams(data: bytes) -> tuple[bytes, bytes, bytes, bytes]:
    chunk = data[60:]
    first = zlib.decompressobj()
    state = first.decompress(chunk)
    second = zlib.decompressobj()
    frames = second.decompress(first.unused_data)
    return chunk, state, frames, second.unused_data


@pytest.mark.parametrize("patch", [PLUCK, PLAIN, VOLUME, PITCH])
def test_container_layout(patch):
    data = serum.to_fxp(patch)
    magic, size, fx_magic, version, plugin, plugin_version, programs = struct.unpack(">4sI4sI4sII", data[:28])
    assert (magic, fx_magic, plugin) == (b"CcnK", b"FPCh", b"XfsX")
    assert size == len(data)  # Serum writes the whole file length here (measured on 470 presets)
    assert (version, plugin_version, programs) == (1, 1, 1)
    assert data[28:56] == b"whispersynth".ljust(28, b"\0")
    chunk_size = struct.unpack(">I", data[56:60])[0]
    assert chunk_size == len(data) - 60
    chunk, state, frames, tail = _streams(data)
    z1 = zlib.decompressobj()
    z1.decompress(chunk)
    first_len = len(chunk) - len(z1.unused_data)
    assert tail == struct.pack("<I", first_len)  # trailer: length of the first zlib stream, little-endian
    assert len(state) == serum.STATE_SIZE == 28232
    assert len(frames) == 2 * serum.FRAME * 4  # osc A and osc B frames, float32


def test_parses_with_the_fxp_package(tmp_path):
    import fxp  # a test dependency: an independent parser of VST2 presets
    path = tmp_path / "pluck.fxp"
    path.write_bytes(serum.to_fxp(PLUCK))
    preset = fxp.FXP(path)
    assert preset.plugin_id == "XfsX" and preset.is_opaque() and preset.name == "whispersynth"
    assert preset.plugin_version == 1
    assert bytes(preset.data) == path.read_bytes()[60:]


def _set_by(patch) -> set[str]:
    names = {"A Unison", "Env1 Atk", "Env1 Dec", "Env1 Sus", "Env1 Rel"}
    osc_b, noise = patch.osc2_wave is not None, not math.isinf(patch.noise)
    if patch.voices > 1:
        names.add("A UniDet")
    if patch.filter_type:
        names |= {"Filter On", "Fil Type", "Fil Cutoff", "Fil Reso"}
    if patch.lfo_target:
        names |= {"LFO1 Rate", serum.LFO_DEST[patch.lfo_target]} | ({"B CoarsePit"} if osc_b else set())
    if patch.fenv_amount is not None:
        names |= {"Env2 Atk", "Env2 Dec", "Env2 Sus", "Env2 Rel"}
    if osc_b:
        names |= {"Osc B On", "OscB>Fil", "B Octave", "B Semi", "B Vol", "A RandPhase", "B RandPhase"}
    if noise:
        names |= {"Osc N On", "OscN>Fil", "Noise Level"}
    if patch.penv_amount is not None:
        names |= {"Env3 Atk", "Env3 Dec", "Env3 Sus", "Env3 Rel"} | ({"B CoarsePit"} if osc_b else set())
    # one slot per route: the LFO (and its copies for osc B / noise), Env 2, Env 3 per oscillator
    copies = (patch.lfo_target == "Pitch" and osc_b) + (patch.lfo_target == "Volume") * (osc_b + noise)
    slots = (patch.lfo_target is not None) * (1 + copies) + (patch.fenv_amount is not None) + \
        (patch.penv_amount is not None) * (1 + osc_b)
    return names | {f"Mod{k:2d} amt" for k in range(1, slots + 1)}


@pytest.mark.parametrize("patch", [PLUCK, PLAIN, VOLUME, PITCH, *V2_PATCHES])
def test_unset_parameters_keep_serum_init(patch):
    params = serum_read.read_fxp(serum.to_fxp(patch))["params"]
    assert len(params) == 299
    for name, init in zip(serum_table.NAMES, serum.INIT):
        if name not in _set_by(patch):
            assert params[name] == np.float32(init), name


def test_init_values_are_the_measured_ones():
    """Spot checks of the measured init preset (docs/SERUM.md): also what the gist table documents."""
    init = dict(zip(serum_table.NAMES, serum.INIT))
    assert init["MasterVol"] == 0.7 and init["A Vol"] == 0.75 and init["A Unison"] == 0
    assert init["Env1 Atk"] == 0.11 and init["Env1 Dec"] == 0.5 and init["Env1 Sus"] == 1 and init["Env1 Rel"] == 0.215
    assert init["Fil Type"] == pytest.approx(1 / 95) and init["Fil Cutoff"] == 0.5 and init["Filter On"] == 0
    assert init["Bend U"] == pytest.approx(13 / 24) and init["Mod 1 out"] == 1 and init["Mod 1 amt"] == 0.5
    assert sum(1 for v in serum.INIT[273:] if v != 0) == 0


def test_other_modules_untouched():
    info = serum_read.read_fxp(serum.to_fxp(PLUCK))
    assert info["fx_order"] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 0]
    assert info["name"] == "whispersynth" and info["wavetable_a"] == "" and info["noise"] == "Organics/AC hum1.wav"
    assert [s["slot"] for s in info["mod_slots"]] == list(range(1, 33))
    assert [s for s in info["mod_slots"] if s["amount"] != 0][0]["dest"] == "Fil Cutoff"
    assert all(s["source"] == 0 for s in info["mod_slots"][1:])


@pytest.mark.parametrize("forward, backward, points", [
    (serum.knob_to_seconds, serum.seconds_to_knob, [(0, 0.0), (0.5, 1.0), (1, 32.0), (0.75, 7.59375)]),
    (serum.knob_to_sustain_db, serum.sustain_db_to_knob, [(0, -math.inf), (1, 0.0), (0.5, 40 * math.log10(0.5))]),
    (serum.knob_to_cutoff_hz, serum.cutoff_hz_to_knob, [(0, 8.0), (1, 22050.0), (0.5, math.sqrt(8 * 22050))]),
    (serum.knob_to_lfo_hz, serum.lfo_hz_to_knob, [(0, 0.0), (1, 100.0), (0.5, 6.25)]),
    (serum.knob_to_coarse_st, serum.coarse_st_to_knob, [(0, -64.0), (0.5, 0.0), (1, 64.0)]),
    (serum.knob_to_detune_st, serum.detune_st_to_knob, [(0, 0.0), (1, 2.0), (0.5, 0.5)]),
    (serum.knob_to_level_db, serum.level_db_to_knob, [(0.75, 40 * math.log10(0.75)), (1, 0.0)]),
])
def test_knob_curves_at_documented_points(forward, backward, points):
    for n, real in points:
        assert forward(n) == pytest.approx(real, rel=1e-9, abs=1e-12)
        if math.isfinite(real):
            assert backward(real) == pytest.approx(n, abs=1e-9)
    assert backward(forward(0.3)) == pytest.approx(0.3)


def test_voices_and_filter_indices():
    assert [serum.voices_to_knob(v) for v in (1, 2, 16)] == [0.0, 1 / 15, 1.0]
    assert all(serum.knob_to_voices(serum.voices_to_knob(v)) == v for v in range(1, 17))
    assert serum.knob_to_filter_index(serum.INIT[serum.INDEX["Fil Type"]]) == 1  # MG Low 12


def _close(read, want, field):
    kind = spec.FIELD[field].kind
    if want is None or isinstance(want, str) or kind == "int":
        assert read == want, field
    elif math.isinf(want):  # -inf dB sustain, noise off
        assert read == want, field
    elif kind == "hz":
        assert abs(12 * math.log2(read / want)) < 0.01, field  # 1/100 semitone
    elif kind == "time":
        assert abs(read - want) <= 1e-4 * max(want, 1e-3), field
    else:
        assert read == pytest.approx(want, abs=1e-3), field  # grids: 0.01, 0.1 dB, 0.01 Hz, 0.1 st


@pytest.mark.parametrize("i", range(60))
def test_round_trip_in_real_units(i):
    p = sample_patch(clip_rng(3, i))  # version 3: the later lines on in a quarter to half of the patches each
    values = serum_read.patch_values(serum_read.read_fxp(serum.to_fxp(p)))
    for field in FIELDS:
        want = getattr(p, field)
        if field in serum_fx.LIMITS and want is not None:  # what Serum's knobs cannot reach comes back clipped
            want = min(max(want, serum_fx.LIMITS[field][0]), serum_fx.LIMITS[field][1])
        _close(values[field], want, field)


def _slots(info: dict) -> list[tuple[int, str, int, float]]:
    """The slots in use: (source, destination, menu id, amount)."""
    return [(s["source"], s["dest"], s["menu"], s["amount"]) for s in info["mod_slots"] if s["source"]]


def test_oscillator_2_is_osc_b_with_its_own_frame():
    info = serum_read.read_fxp(serum.to_fxp(LAYER))
    p = info["params"]
    assert p["Osc B On"] == 1 and p["OscB>Fil"] == 1 and p["B Unison"] == 0  # one voice, through the filter
    assert (8 * p["B Octave"] - 4, 24 * p["B Semi"] - 12) == pytest.approx((-1, -7), abs=1e-6)  # -19 st
    assert serum.knobs_to_semitones(p["B Octave"], p["B Semi"]) == -19
    assert serum.knob_to_level_db(p["B Vol"]) - serum.knob_to_level_db(p["A Vol"]) == pytest.approx(-6.0, abs=1e-4)
    assert np.array_equal(info["frames"][0], serum._frame("Saw"))
    assert np.array_equal(info["frames"][1], serum._frame("Square"))  # the same band-limited frames as osc A's
    assert p["A RandPhase"] == 0 and p["B RandPhase"] == 0  # equal start phases, as in the Vital render
    off = serum_read.read_fxp(serum.to_fxp(PLAIN))
    assert off["params"]["Osc B On"] == 0 and np.array_equal(off["frames"][1], serum._init_saw())


@pytest.mark.parametrize("semitones", range(-48, 49))
def test_osc_b_octave_and_semi_knobs_cover_the_range(semitones):
    octave, semi = serum.semitones_to_knobs(semitones)
    assert 0 <= octave <= 1 and 0 <= semi <= 1
    assert 8 * np.float32(octave) - 4 == int(semitones / 12)  # whole octaves and semitones in float32
    assert serum.knobs_to_semitones(np.float32(octave), np.float32(semi)) == semitones


def test_osc_b_level_tops_out_five_db_over_osc_a():
    info = serum_read.read_fxp(serum.to_fxp(LAYER.replace(osc2_level=6.0)))
    assert info["params"]["B Vol"] == 1.0  # A Vol stays at INIT 75 % (-5.0 dB)
    assert serum_read.patch_values(info)["osc2_level"] == pytest.approx(-serum.knob_to_level_db(0.75))


def test_filter_envelope_is_env_2_on_the_cutoff():
    info = serum_read.read_fxp(serum.to_fxp(ACID))
    p = info["params"]
    lfo, env = _slots(info)
    assert lfo[:3] == (serum.SOURCE_LFO1, "Fil Cutoff", 47)  # the LFO keeps slot 1
    assert env[:3] == (3, "Fil Cutoff", 47) and env[3] == pytest.approx(24 / 137.14189, rel=1e-6)  # +24 st
    assert p["Mod 2 amt"] == pytest.approx((env[3] + 1) / 2)
    assert [serum.knob_to_seconds(p[f"Env2 {k}"]) for k in ("Atk", "Hld", "Dec", "Rel")] == \
        pytest.approx([0.005, 0.0, 0.25, 0.2], rel=1e-5)
    assert p["Env2 Sus"] == pytest.approx(10 ** (-12 / 20))  # linear in level: 25 % for -12 dB


def test_pitch_envelope_is_env_3_on_both_oscillators():
    info = serum_read.read_fxp(serum.to_fxp(LAYER))
    env = [s for s in _slots(info) if s[0] == 4]
    assert [s[1:3] for s in env] == [("A CoarsePit", 4), ("B CoarsePit", 5)]
    assert [128 * s[3] for s in env] == pytest.approx([-12.0, -12.0], abs=1e-5)  # A CoarsePit spans 128 st
    p = info["params"]
    assert (p["Env3 Atk"], p["Env3 Hld"], p["Env3 Sus"], p["Env3 Rel"]) == (0, 0, 0, 0)  # a pure decay
    assert serum.knob_to_seconds(p["Env3 Dec"]) == pytest.approx(0.1, rel=1e-5)
    kick = _slots(serum_read.read_fxp(serum.to_fxp(KICK)))
    assert [(s[:3], round(128 * s[3], 4)) for s in kick] == [((4, "A CoarsePit", 4), 36.0)]  # no osc B


def test_the_pitch_lfo_moves_osc_b_like_osc_a():
    info = serum_read.read_fxp(serum.to_fxp(LAYER))
    lfo = [s for s in _slots(info) if s[0] == serum.SOURCE_LFO1]
    assert [s[1:3] for s in lfo] == [("A CoarsePit", 4), ("B CoarsePit", 5)] and lfo[0][3] == lfo[1][3]
    assert info["params"]["A CoarsePit"] == info["params"]["B CoarsePit"] == pytest.approx(0.5 - 0.5 / 128)


def test_the_volume_lfo_moves_osc_b_and_noise_in_db_like_osc_a():
    info = serum_read.read_fxp(serum.to_fxp(TREMOLO))
    lfo, p = info["lfos"][0], info["params"]
    want = -9.0 * (1 - np.sin(2 * np.pi * lfo["x"])) / 2 + serum.knob_to_level_db(0.75)
    slots = {s[1]: s for s in _slots(info)}
    assert [s[2] for s in slots.values()] == [0, 1, 24]  # A Vol, B Vol, Noise Level
    for dest, level in (("A Vol", 0.0), ("B Vol", -3.0), ("Noise Level", -20.0)):
        gain = [serum.knob_to_level_db(p[dest] + slots[dest][3] * y) for y in lfo["y"]]
        assert np.allclose(gain, want + level, atol=1e-4), dest


def test_noise_is_the_noise_oscillator_with_a_white_sample():
    info = serum_read.read_fxp(serum.to_fxp(KICK))
    p = info["params"]
    assert p["Osc N On"] == 1 and p["OscN>Fil"] == 1 and info["noise"] == "Analog/BrightWhite.wav"
    assert serum.knob_to_level_db(p["Noise Level"]) - serum.knob_to_level_db(p["A Vol"]) == pytest.approx(-30, abs=1e-4)
    off = serum_read.read_fxp(serum.to_fxp(PLAIN))
    assert off["params"]["Osc N On"] == 0 and off["noise"] == serum.INIT_NOISE


def test_resonance_knob_follows_vitals_control_travel():
    p = serum_read.read_fxp(serum.to_fxp(PLUCK))["params"]
    assert p["Fil Reso"] == np.float32(0.1)  # resonance 0 keeps INIT, as version 1 wrote
    assert serum.resonance_to_knob(0.0) == 0.1 and serum.resonance_to_knob(1.0) == 1.0
    grid = np.linspace(0.0, 1.0, 101)
    knobs = [serum.resonance_to_knob(r) for r in grid]
    assert np.all(np.diff(knobs) > 0)
    for r, knob in zip(grid, knobs):
        raw = synth.controls(ACID.replace(resonance=float(r)))["filter_1_resonance"]  # Vital's control
        assert knob == pytest.approx(0.1 + 0.9 * (raw - 0.2373) / (1 - 0.2373), abs=1e-9)
        assert serum.knob_to_resonance(knob) == pytest.approx(r, abs=1e-9)
    assert serum_read.read_fxp(serum.to_fxp(ACID))["params"]["Fil Reso"] == pytest.approx(serum.resonance_to_knob(0.7))


def test_lfo_shape_and_switches():
    info = serum_read.read_fxp(serum.to_fxp(VOLUME))
    lfo = info["lfos"][0]
    assert lfo["hz_mode"] and lfo["mode"] == "trig" and len(lfo["x"]) == serum.LFO_POINTS
    slot = info["mod_slots"][0]
    assert slot["source"] == serum.SOURCE_LFO1 and slot["dest"] == "A Vol" and slot["menu"] == 0
    gain = [serum.knob_to_level_db(info["params"]["A Vol"] + slot["amount"] * y) for y in lfo["y"]]
    want = -12.0 * (1 - np.sin(2 * np.pi * lfo["x"])) / 2 + serum.knob_to_level_db(0.75)
    assert np.allclose(gain, want, atol=1e-4)  # exact at the points, a sine in dB
    untouched = serum_read.read_fxp(serum.to_fxp(PLAIN))["lfos"][0]
    assert not untouched["hz_mode"] and untouched["mode"] == "off" and list(untouched["x"]) == [0, 0.5, 1]


# What btesser/serum2vital's Serum 1 reading rules (serum2vital/serum1.py, its unit curves in
# serum_tables.py and mapping.py) returned for these two patches' .fxp files at development time
# (run outside this repository; docs/SERUM.md): kept here so CI keeps the check without network.
CONVERTER_READ = {
    "pluck": {"voices": 2, "detune_st": 0.1, "filter": "Low 12", "attack": 0.005, "decay": 0.6,
              "sustain_db": -18.0, "release": 0.3, "lfo_hz": 3.0, "source": "lfo_1", "dest": 45},
    "seed1": {"voices": 1, "filter": "High 12", "cutoff": 3000.0, "attack": 0.4, "decay": 0.9,
              "sustain_db": -12.0, "release": 0.6},
}


def _as_converter_reads(data: bytes) -> dict:
    p = serum_read.read_fxp(data)["params"]
    return {"voices": max(1, round(16 * p["A Unison"])), "detune_st": 2 * p["A UniDet"] ** 2,
            "filter": {5: "Low 12", 9: "High 12", 12: "Band 12"}.get(round(p["Fil Type"] * 95)),
            "cutoff": 8 * (22050 / 8) ** p["Fil Cutoff"], "attack": 32 * p["Env1 Atk"] ** 5,
            "decay": 32 * p["Env1 Dec"] ** 5, "sustain_db": 40 * math.log10(p["Env1 Sus"]),
            "release": 32 * p["Env1 Rel"] ** 5, "lfo_hz": 100 * p["LFO1 Rate"] ** 4}


@pytest.mark.parametrize("key, patch", [
    ("pluck", PLUCK), ("seed1", Patch("Sine", 1, None, "Highpass", 3000, 0.4, 0.9, -12.0, 0.6, None, None, None))])
def test_independent_reader_figures(key, patch):
    data = serum.to_fxp(patch)
    ours = _as_converter_reads(data)
    for field, value in CONVERTER_READ[key].items():
        if field == "source":
            assert serum_read.read_fxp(data)["mod_slots"][0]["source"] == 5  # the converter's "lfo_1"
        elif field == "dest":
            assert serum.INDEX[serum_read.read_fxp(data)["mod_slots"][0]["dest"]] == value
        elif isinstance(value, str):
            assert ours[field] == value
        else:
            assert ours[field] == pytest.approx(value, rel=1e-5), field
    # the converter decodes voices as round(16 n); the presets' grid is (voices - 1) / 15
    assert serum_read.patch_values(serum_read.read_fxp(data))["voices"] == patch.voices


@pytest.mark.parametrize("data", [b"", b"junk", b"CcnK" + bytes(70), b"CcnK" + bytes(4) + b"FxCk" + bytes(60),
                                  serum.to_fxp(PLAIN)[:100], serum.to_fxp(PLAIN)[:60] + b"x" * 500,
                                  b"CcnK\0\0\0\0FPCh\0\0\0\1VstX" + bytes(60), "text", None])
def test_garbage_raises_a_typed_one_line_error(data):
    with pytest.raises(WhisperSynthError) as e:
        serum_read.read_fxp(data)
    assert "\n" not in str(e.value) and str(e.value)


def test_small_state_is_an_error():
    tiny = zlib.compress(bytes(1000))
    chunk = tiny + zlib.compress(b"") + struct.pack("<I", len(tiny))
    data = struct.pack(">4sI4sI4sII", b"CcnK", 60 + len(chunk), b"FPCh", 1, b"XfsX", 1, 1) + bytes(28) + \
        struct.pack(">I", len(chunk)) + chunk
    with pytest.raises(serum_read.SerumPresetError, match="incomplete"):
        serum_read.read_fxp(data)



ROOT = Path(__file__).parents[1]
BLOCKS = [b.split("```")[0] for b in (ROOT / "docs" / "FORMAT.md").read_text().split("```settings\n")[1:]]
SEED_EXAMPLES = BLOCKS[1:5]
V2_LABELS = {f.line for f in spec.FIELDS if f.version == 2}
V2_EXAMPLES = [b for b in BLOCKS if any(f"\n{label}:" in b for label in V2_LABELS)]
EXAMPLES = [*SEED_EXAMPLES, (ROOT / "src/whispersynth/examples/pluck.txt").read_text(), *V2_EXAMPLES]


@pytest.mark.parametrize("text", EXAMPLES)
def test_preset_command_writes_fxp_for_the_seed_examples(tmp_path, monkeypatch, text):
    from typer.testing import CliRunner

    from whispersynth import settings
    from whispersynth.cli import app

    monkeypatch.chdir(tmp_path)
    Path("s.txt").write_text(text)
    want = settings.parse(text)
    for args, target in ((["-o", "out/s.fxp"], "out/s.fxp"), (["--format", "fxp"], "s.fxp")):
        r = CliRunner().invoke(app, ["preset", "s.txt", *args], catch_exceptions=False)
        assert r.exit_code == 0 and f"wrote {target}" in r.output, r.output
        values = serum_read.patch_values(serum_read.read_fxp(Path(target).read_bytes()))
        for field in FIELDS:
            _close(values[field], getattr(want, field), field)
    bad = CliRunner().invoke(app, ["preset", "s.txt", "-o", "s.fxb"])
    assert bad.exit_code != 0 and "unknown preset suffix" in str(bad.exception)


def test_version_3_lines_go_to_osc_a_warp_and_the_fx_rack():
    p = settings.parse(
        "Waveform: Sine\nVoices: 1\nOscillator Detune: None\nFilter Type: N/A\nFilter Cutoff: N/A\n"
        "ADSR Envelope: Attack: 0ms, Decay: 1.80s, Sustain: -inf dB, Release: 400ms\nLFO Modulation: None\n"
        "Oscillator 2: Sine, Semitones: 19, Level: -60 dB\nFM: Amount: 0.30\n"
        "Distortion: Hard Clip, Drive: 15 dB, Mix: 50%\nChorus: Rate: 1.25Hz, Depth: 25%, Mix: 50%\n"
        "Delay: Time: 2.00s, Feedback: 40%, Mix: 25%\nReverb: Decay: 2.50s, Size: 60%, Damping: 40%, Mix: 30%\n")
    k = serum_read.read_fxp(serum.to_fxp(p))["params"]
    assert k["WarpOscA"] == pytest.approx(18 / 23) and k["A Warp"] ** 0.8 == pytest.approx(0.3, abs=1e-6)
    assert (k["Dist Enable"], k["Cho Enable"], k["Dly Enable"], k["Rev Enable"]) == (1, 1, 1, 1)
    assert k["Dist_Mode"] == pytest.approx(2 / 12) and k["Dist_Drv"] == pytest.approx(0.5)  # Hard Clip; +15 of 30 dB
    assert math.sin(math.pi * k["Dist_Wet"] / 2) ** 2 == pytest.approx(0.5, abs=1e-6)  # the wet knob's sin^2 gain
    assert 20 * k["Cho_Rate"] ** 4 == pytest.approx(1.25, rel=1e-5) and k["Cho_BPM_Sync"] == 0
    assert k["Dly_BPM_Sync"] == 0 and k["Dly_TimL"] == k["Dly_TimR"] == 1.0  # 2 s is past Serum's 501 ms: clipped
    assert 0.8 + 11.2 * k["Decay"] == pytest.approx(2.5, rel=1e-5) and k["VerbSize"] == pytest.approx(0.6)
    dry = serum_read.read_fxp(serum.to_fxp(p.replace(fm_amount=None, dist_type=None, dist_drive=None, dist_mix=None)))
    assert dry["params"]["WarpOscA"] == 0 and dry["params"]["Dist Enable"] == 0  # off lines leave the init's knobs
