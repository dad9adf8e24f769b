"""evaluation/real-presets: the groups its sounds.json gives each clip (the report's table by group),
and the random settings of real engines drawn for the harvest (scripts/random_settings.py)."""

import importlib.util
import sys
from pathlib import Path

import numpy as np

SCRIPTS = Path(__file__).parents[1] / "evaluation" / "real-presets" / "scripts"


def load(name):
    sys.path.insert(0, str(SCRIPTS))  # the scripts import their neighbours (common, dssi_engines)
    try:
        spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(SCRIPTS))


collect = load("collect")
random_settings = load("random_settings")


def meta(engine: str, name: str, variant: str = "", **preset) -> dict:
    return {"engine": engine, "variant": variant, "preset": {"name": name, **preset}}


def test_kinds_come_from_the_gm_family_or_the_presets_name():
    assert collect.kind_of(meta("soundfont", "FluidR3_GM Lead 1 (square)", gm_number=81)) == "lead"
    assert collect.kind_of(meta("soundfont", "FluidR3_GM Synth Bass 1", gm_number=39)) == "bass"
    assert collect.kind_of(meta("soundfont", "FluidR3_GM Electric Piano 2", gm_number=6)) == "keys"
    assert collect.kind_of(meta("hexter", "E.PIANO 1")) == "keys"
    assert collect.kind_of(meta("amsynth", "Fat Sub Bass", bank_name="Brian")) == "bass"
    assert collect.kind_of(meta("zynaddsubfx", "Tubular Bells")) == "bell"
    assert collect.kind_of(meta("whysynth", "Centipede")) == "other"


def test_groups_name_the_engine_the_kind_and_the_soundfonts_effects():
    assert collect.groups_of(meta("soundfont", "x Pad 2 (warm)", "fx", gm_number=90)) == [
        "engine:soundfont", "kind:pad", "soundfont effects:on"]
    assert collect.groups_of(meta("soundfont", "x Pad 2 (warm)", "dry", gm_number=90))[-1] == "soundfont effects:off"
    assert collect.groups_of(meta("xsynth", "Night Sweats")) == ["engine:xsynth", "kind:other"]


def test_random_dx7_voices_stay_within_the_formats_limits():
    voices = [random_settings.dx7_voice(np.random.default_rng(s)) for s in range(200)]
    assert voices[0] == random_settings.dx7_voice(np.random.default_rng(0)) and len(set(voices)) == 200
    for v in voices:
        assert len(v) == 128 and max(v) <= 127
        for op in range(6):
            o = v[17 * op: 17 * (op + 1)]
            assert max(o[:11]) <= 99 and o[14] <= 99 and o[16] <= 99  # rates, levels, scaling, output, fine
            assert o[11] <= 15 and (o[12] >> 3) <= 14 and o[13] <= 31 and (o[15] >> 1) <= 31
            assert o[4] >= 60  # every operator starts audible
        assert max(v[102:110]) <= 99 and v[110] <= 31 and v[111] <= 15 and max(v[112:116]) <= 99
        assert (v[116] >> 4) <= 7 and ((v[116] >> 1) & 7) <= 5 and v[117] == 24
    flat = sum(v[106:110] == bytes([50] * 4) for v in voices)
    assert 130 < flat < 190  # the pitch envelope flat four times in five


def test_random_amsynth_settings_stay_within_each_ports_bounds():
    ports = {"amp_attack": (0.0, 2.5), "filter_cutoff": (-0.5, 1.5), "osc2_pitch": (-12.0, 12.0),
             "osc1_waveform": (0.0, 4.0), "master_vol": (0.0, 1.0), "filter_env_amount": (-16.0, 16.0)}
    rng = np.random.default_rng(0)
    draws = [random_settings.port_settings(rng, ports, random_settings.PORT_RULES["amsynth"]) for _ in range(300)]
    for d in draws:
        assert d.keys() == ports.keys() and all(lo <= d[k] <= hi for k, (lo, hi) in ports.items())
        assert d["osc2_pitch"] == round(d["osc2_pitch"]) and d["osc1_waveform"] in (0, 1, 2, 3, 4)
        assert d["master_vol"] == 0.75
    attack = np.array([d["amp_attack"] for d in draws])
    assert 0.4 < np.mean(attack < 0.625) < 0.6  # the square of a uniform: half the times in the first quarter
    assert len({d["filter_cutoff"] for d in draws}) > 250
    assert not any(d["filter_env_amount"] == 0 for d in draws)  # amsynth has no sparse controls


def test_random_xsynth_and_whysynth_settings_follow_their_rules():
    xsynth = {"OSC1 Pitch": (0.25, 4.0), "OSC2 Pitch": (0.25, 4.0), "OSC1 Waveform": (0.0, 6.0),
              "EG1 Attack Rate": (1e-05, 0.1), "LFO Osc Pitch Mod": (0.0, 1.0), "VCF Cutoff": (0.0, 50.0),
              "Volume": (0.0, 1.0)}
    rng = np.random.default_rng(1)
    draws = [random_settings.port_settings(rng, xsynth, random_settings.PORT_RULES["xsynth"]) for _ in range(400)]
    for d in draws:
        assert all(lo <= d[k] <= hi for k, (lo, hi) in xsynth.items())
        assert d["OSC1 Pitch"] == 1.0 and d["Volume"] == 0.25 and d["OSC1 Waveform"] == round(d["OSC1 Waveform"])
    rate = np.log10([d["EG1 Attack Rate"] for d in draws])  # log-uniform over four decades
    assert 0.2 < np.mean(rate < -4) < 0.3 and 0.2 < np.mean(rate > -2) < 0.3
    pitch_mod = np.array([d["LFO Osc Pitch Mod"] for d in draws])
    assert 0.4 < np.mean(pitch_mod == 0) < 0.6 and len(set(pitch_mod[pitch_mod > 0])) > 150  # sparse: off half the time
    assert 0.4 < np.mean(np.array([d["VCF Cutoff"] for d in draws]) < 25) < 0.6  # the rest uniform

    whysynth = {"Osc1 Pitch": (-36.0, 36.0), "Osc2 Pitch": (-36.0, 36.0), "Osc2 Mode": (0.0, 11.0),
                "EG1 Time 3": (0.0, 50.0), "Filter1 Frequency": (0.0, 50.0), "Filter1 Frq Mod Amt": (-1.0, 1.0),
                "GLFO Frequency": (0.05, 20.0)}
    draws = [random_settings.port_settings(rng, whysynth, random_settings.PORT_RULES["whysynth"]) for _ in range(400)]
    for d in draws:
        assert all(lo <= d[k] <= hi for k, (lo, hi) in whysynth.items()) and d["Osc1 Pitch"] == 0
        assert d["Osc2 Pitch"] == round(d["Osc2 Pitch"]) and d["Osc2 Mode"] == round(d["Osc2 Mode"])
    assert 0.4 < np.mean([d["EG1 Time 3"] < 12.5 for d in draws]) < 0.6  # a time: the square of a uniform
    assert 0.4 < np.mean([d["Filter1 Frq Mod Amt"] == 0 for d in draws]) < 0.6
    assert 0.4 < np.mean([d["GLFO Frequency"] < 1 for d in draws]) < 0.6  # log-uniform: 1 Hz is the middle
    assert 0.4 < np.mean([d["Filter1 Frequency"] < 25 for d in draws]) < 0.6  # a lower bound of 0: uniform
