"""editor: every line of the format as a control; every move gives a valid patch; heard at once."""

import math

import numpy as np
import pytest
from hypothesis import given, settings as hyp_settings, strategies as st
from strategies import patches

from whispersynth import editor, settings, synth
from whispersynth.errors import AudioError, SettingsError
from whispersynth.spec import FIELDS, LFO_DEPTH_RANGE, off_value

PLUCK = settings.parse(
    "Waveform: Saw\nVoices: 3\nOscillator Detune: 0.10\nFilter Type: Lowpass\nFilter Cutoff: 1200Hz\n"
    "ADSR Envelope: Attack: 5ms, Decay: 600ms, Sustain: -18 dB, Release: 300ms\n"
    "LFO Modulation: Filter Cutoff, Rate: 3Hz, Depth: 7 st\nNote: A3, Length: 1.20s\n"
    "Filter Envelope: Amount: 24 st, Attack: 0ms, Decay: 200ms, Sustain: -inf dB, Release: 100ms\n"
    "Oscillator 2: Square, Semitones: -12, Level: -6 dB\nFM: Amount: 0.20\n")


def test_every_field_has_a_control_and_every_optional_line_a_switch():
    keys = {c.key: c for c in editor.CONTROLS}
    for f in FIELDS:
        assert keys[f.name].kind == ("dropdown" if f.kind == "choice" else "slider")
        if keys[f.name].kind == "slider":  # on the format's grid: a step the writer keeps
            assert keys[f.name].step == editor.GRID[f.kind] and keys[f.name].lo == f.lo
    switches = [c.line for c in editor.CONTROLS if c.kind == "switch"]
    assert switches == ["Filter Type", "LFO Modulation", "Filter Envelope", "Oscillator 2", "Noise", "Pitch Envelope",
                        "FM", "Distortion", "Chorus", "Delay", "Reverb"]
    assert {c.kind for c in editor.CONTROLS} == {"switch", "dropdown", "slider"}


def test_moves_follow_the_formats_rules():
    memory = editor.remember({}, PLUCK)
    one = editor.edit(PLUCK, "voices", 1)
    assert one.detune is None and not editor.enabled(one, editor.CONTROL["detune"])
    assert editor.edit(one, "detune", 0.5) == one  # a control of a line that is off does not move
    assert editor.edit(one, "voices", 4, memory).detune == 0.10  # the detune comes back as it was
    dry = editor.edit(PLUCK, "Filter Type on", False, memory)
    assert (dry.filter_type, dry.cutoff, dry.resonance, dry.fenv_amount, dry.lfo_target) == (None, None, 0.0, None, None)
    shown = editor.view(dry, memory)
    assert "Filter Cutoff" not in shown["lfo_target"]["choices"] and not shown["cutoff"]["enabled"]
    assert not shown["Filter Envelope on"]["enabled"] and not shown["resonance"]["enabled"]
    back = editor.edit(dry, "Filter Type on", True, memory)
    assert (back.filter_type, back.cutoff) == ("Lowpass", 1200)  # remembered, not reset
    no_osc2 = editor.edit(PLUCK, "Oscillator 2 on", False, memory)
    assert no_osc2.fm_amount is None and not editor.view(no_osc2)["FM on"]["enabled"]
    with pytest.raises(SettingsError, match="FM: needs Oscillator 2 first"):
        editor.edit(no_osc2, "FM on", True)
    fresh = editor.edit(PLUCK, "Reverb on", True)  # a line never on before starts mid-range
    assert fresh.reverb_decay is not None and fresh.reverb_mix is not None
    assert editor.edit(fresh, "Reverb on", False).reverb_decay is None


def test_numbers_are_snapped_and_kept_in_range():
    assert editor.edit(PLUCK, "cutoff", 1234.56).cutoff == 1235
    assert editor.edit(PLUCK, "cutoff", 1e9).cutoff == 20000 and editor.edit(PLUCK, "cutoff", -5).cutoff == 20
    assert editor.edit(PLUCK, "attack", 0.01234).attack == 0.012
    volume = editor.edit(PLUCK, "lfo_target", "Volume")
    deep = editor.edit(volume, "lfo_depth", 50)
    assert deep.lfo_depth == 50
    pitch = editor.edit(deep, "lfo_target", "Pitch")  # the depth follows the new target's range
    assert pitch.lfo_depth == LFO_DEPTH_RANGE["Pitch"][1] and editor.view(pitch)["lfo_depth"]["hi"] == 24
    for bad, message in (("loud", "expected a number"), (math.nan, "finite"), (None, "expected a number")):
        with pytest.raises(SettingsError, match=message):
            editor.edit(PLUCK, "cutoff", bad)
    with pytest.raises(SettingsError, match="expected one of"):
        editor.edit(PLUCK, "waveform", "Supersaw")
    with pytest.raises(SettingsError, match="no such control"):
        editor.edit(PLUCK, "volume knob", 1)


@hyp_settings(max_examples=25, deadline=None)
@given(patches(), st.lists(st.tuples(st.sampled_from([c.key for c in editor.CONTROLS]),
                                     st.integers(0, 1000).map(lambda k: k / 1000)),  # not st.floats: Vital leaves
                           min_size=1, max_size=12))                                  # flush-to-zero on after a render
def test_any_sequence_of_moves_gives_valid_patches_and_controls_in_range(p, moves):
    memory = editor.remember({}, p)
    for key, u in moves:
        c = editor.CONTROL[key]
        shown = editor.view(p, memory)[key]
        if not shown["enabled"]:
            continue  # the page does not let it move
        if c.kind == "switch":
            value = not shown["value"]
        elif c.kind == "dropdown":
            value = shown["choices"][int(u * (len(shown["choices"]) - 1))]
        else:
            value = shown["lo"] + u * (shown["hi"] - shown["lo"])
        p = editor.edit(p, key, value, memory)  # a Patch: valid by construction, or it raises
        memory = editor.remember(memory, p)
        for k, v in editor.view(p, memory).items():
            if editor.CONTROL[k].kind == "slider":
                assert v["lo"] <= v["value"] <= v["hi"], k
            elif editor.CONTROL[k].kind == "dropdown":
                assert v["value"] in v["choices"], k
    assert settings.parse(settings.format(p)) == p


def test_audition_renders_pictures_and_measures():
    a = editor.Audition()
    reference = synth.render(PLUCK)
    same = a.hear(PLUCK, reference)
    np.testing.assert_allclose(same.standard, reference, atol=1e-6)  # the standard render, from its own synth
    assert same.distance < 1e-3 and same.listening.shape == (2, synth.VITAL_RATE * 3)
    darker = a.hear(editor.edit(PLUCK, "cutoff", 300), reference)
    assert darker.distance > 0.1
    image = editor.picture(reference, darker.standard)
    assert image.dtype == np.uint8 and image.shape[2] == 3 and image.shape[1] > 2 * image.shape[0]
    half = image.shape[1] // 2
    assert image[:40, half + 10:].mean() < image[:40, :half - 10].mean()  # the top octaves darker in the edit
    assert (editor.picture(reference, None)[:, half + 10:] == 0).all()  # a silent edit is drawn black
    silent = PLUCK.replace(sustain=-math.inf, decay=0.001, attack=0.0, release=0.001, fenv_amount=None,
                           fenv_attack=None, fenv_decay=None, fenv_sustain=None, fenv_release=None, note=0,
                           filter_type="Highpass", cutoff=20000, lfo_target=None, lfo_rate=None, lfo_depth=None,
                           osc2_wave=None, osc2_semitones=None, osc2_level=None, fm_amount=None)
    with pytest.raises(AudioError, match="silent"):
        a.hear(silent, reference)
    assert "silent" in editor.describe(None, "x") and "0.123" in editor.describe(0.123, "your sound")
    assert editor.describe(0.1, "your sound", start=0.3).endswith("closer than where you started (0.300)")
    assert "not closer" in editor.describe(0.4, "your sound", start=0.3) and "(sounds the same)" in editor.describe(0.01, "x")


def test_the_edited_patch_is_written_as_match_writes_it(tmp_path):
    heard = editor.Audition().hear(PLUCK, synth.render(PLUCK))
    files = editor.write_edit(tmp_path, PLUCK, heard, "pluck.edit")
    assert [p.name for p in files["downloads"]] == ["pluck.edit.txt", "pluck.edit.vital", "pluck.edit.fxp"]
    assert settings.load(files["downloads"][0]) == PLUCK
    assert files["audio"].stat().st_size > 400_000  # 3 s of 44.1 kHz stereo
    (tmp_path / "q").mkdir()
    quiet = editor.write_edit(tmp_path / "q", PLUCK, None)
    assert "audio" not in quiet and len(quiet["downloads"]) == 3


def test_off_values_are_what_switches_read():
    for c in editor.CONTROLS:
        if c.kind == "switch":
            f = editor.head(c.line)
            off = editor.edit(PLUCK, c.key, False)
            assert getattr(off, f.name) == off_value(f) and editor.view(off)[c.key]["value"] is False
