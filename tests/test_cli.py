import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

EXAMPLE = Path(__file__).parents[1] / "src" / "whispersynth" / "examples" / "pluck.txt"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "whispersynth", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_render_writes_the_standard_render(tmp_path):
    r = run("render", str(EXAMPLE), "-o", "clip.wav", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    audio, rate = sf.read(tmp_path / "clip.wav")
    assert rate == 16000 and audio.shape == (48000,)
    assert 20 * np.log10(np.abs(audio).max()) == pytest.approx(-1.0, abs=0.05)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.wav"]  # no temp file left behind


def test_render_preview_is_full_band_stereo(tmp_path):
    r = run("render", str(EXAMPLE), "--preview", "-o", "p.wav", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    info = sf.info(tmp_path / "p.wav")
    assert (info.samplerate, info.channels) == (44100, 2)


def test_preset_writes_vital_json(tmp_path):
    r = run("preset", str(EXAMPLE), cwd=tmp_path)  # default name: <stem>.vital here
    assert r.returncode == 0, r.stderr
    preset = json.loads((tmp_path / "pluck.vital").read_text())
    assert preset["synth_version"] == "1.5.5"
    assert preset["settings"]["osc_1_unison_voices"] == 3


@pytest.mark.parametrize("command", ["render", "preset"])
def test_help_lists_options(command, tmp_path):
    r = run(command, "--help", cwd=tmp_path)
    assert r.returncode == 0 and "--out" in r.stdout


BAD_INPUTS = {
    "malformed": ("Waveform: Sine\nVoices: 1\n", "missing line 'Oscillator Detune'"),
    "out_of_range": (EXAMPLE.read_text().replace("Voices: 3", "Voices: 40"), "out of range 1..16"),
    "binary": (b"\x00\xff\xfe\x00RIFF....WAVEfmt ", "not UTF-8 text"),
    "empty": ("", "empty settings"),
}


@pytest.mark.parametrize("command", ["render", "preset"])
@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_settings_give_one_line_exit_2_and_no_output(command, case, tmp_path):
    content, message = BAD_INPUTS[case]
    src = tmp_path / "in.txt"
    src.write_bytes(content if isinstance(content, bytes) else content.encode())
    r = run(command, str(src), "-o", str(tmp_path / "out.file"), cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("error: ") and message in r.stderr
    assert "Traceback" not in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.txt"]


def test_missing_file_and_unwritable_output(tmp_path):
    r = run("render", "nope.txt", cwd=tmp_path)
    assert r.returncode == 2 and "nope.txt: cannot read" in r.stderr and "Traceback" not in r.stderr
    (tmp_path / "afile").write_text("x")
    r = run("render", str(EXAMPLE), "-o", str(tmp_path / "afile" / "out.wav"), cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.startswith("error: cannot access") and "Traceback" not in r.stderr
