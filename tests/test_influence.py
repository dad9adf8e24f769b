"""influence: the settings of a patch ranked by how much a step of each changes its render."""

import math

from typer.testing import CliRunner

from whispersynth import influence, settings
from whispersynth.cli import app
from whispersynth.errors import SettingsError

BRIGHT = settings.parse(
    "Waveform: Saw\nVoices: 1\nOscillator Detune: None\nFilter Type: Lowpass\nFilter Cutoff: 15000Hz\n"
    "ADSR Envelope: Attack: 5ms, Decay: 300ms, Sustain: -6 dB, Release: 200ms\nLFO Modulation: None\n"
    "Note: A3, Length: 1.50s\n")


def test_moves_are_one_step_valid_and_each_line_turns_off():
    moves = {(f.name, name): p for f, name, p in influence.moves(BRIGHT)}
    assert moves["attack", "up"].attack == 0.006 and moves["attack", "down"].attack == 0.004  # the 1 ms grid
    assert moves["cutoff", "up"].cutoff == round(15000 * 1.03) and moves["sustain", "down"].sustain == -6.5
    assert moves["filter_type", "off"].cutoff is None and moves["filter_type", "off"].resonance == 0.0
    assert moves["voices", "up"].detune is not None  # a second voice brings a detune
    assert {name for f, name in moves if f == "waveform"} == {"Sine", "Triangle", "Square"}
    wide = {(f.name, name): p for f, name, p in influence.moves(BRIGHT.replace(voices=3, detune=0.1, noise=-20.0))}
    assert ("detune", "up") in wide and ("detune", "off") not in wide  # three voices keep a detune
    assert wide["noise", "off"].noise == -math.inf  # noise is a line of its own, turned off at -inf dB


def test_an_inaudible_cutoff_ranks_low_and_the_waveform_of_a_bright_note_high():
    ranked = influence.rank(BRIGHT)
    by = {i.label: i for i in ranked}
    assert ranked[0].label in ("Waveform", "Note") and by["Waveform"].word == "large"
    assert by["Filter Cutoff"].word == "inaudible in this clip"  # far above a 16 kHz clip's 8 kHz band
    assert [i.mss for i in ranked] == sorted((i.mss for i in ranked), reverse=True)
    assert all(math.isfinite(i.mss) for i in ranked)


def test_explain_prints_the_ranking(tmp_path):
    (tmp_path / "s.txt").write_text(settings.format(BRIGHT))
    r = CliRunner().invoke(app, ["explain", str(tmp_path / "s.txt")])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0].startswith(("Waveform: large", "Note: large")) and "Filter Cutoff: inaudible in this clip" in r.output
    bad = CliRunner().invoke(app, ["explain", str(tmp_path / "missing.txt")])  # main() makes it one line, exit 2
    assert isinstance(bad.exception, SettingsError) and "cannot read" in str(bad.exception)
