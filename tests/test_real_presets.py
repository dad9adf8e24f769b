"""evaluation/real-presets: the groups its sounds.json gives each clip (the report's table by group)."""

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).parents[1] / "evaluation" / "real-presets" / "scripts" / "collect.py"
spec = importlib.util.spec_from_file_location("collect", SCRIPT)
collect = importlib.util.module_from_spec(spec)
spec.loader.exec_module(collect)


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
