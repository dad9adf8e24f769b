import json
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

EXAMPLE = Path(__file__).parents[1] / "src" / "whispersynth" / "examples" / "pluck.txt"


def run(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "whispersynth", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout
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


# ---------------------------------------------------------------- bad input, one of each class, end to end


def assert_refused(r: subprocess.CompletedProcess, message: str, out: Path) -> None:
    """Exit 2, one line on stderr naming the fault, no traceback, nothing written (no temp file either)."""
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("error: ") and message in r.stderr, r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    assert not out.exists() or not list(out.iterdir())


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _folder(path: Path) -> None:
    path.mkdir()


BAD_SETTINGS_FILES = {  # name: (how the input is made, what the error says)
    "random text": (lambda p: p.write_text("ȸ≈ :: Voices,,, 3\n\tHz"), "unknown line"),
    "random bytes": (lambda p: p.write_bytes(bytes(range(255, -1, -3))), "not UTF-8 text"),
    "one line mutated": (lambda p: p.write_text(EXAMPLE.read_text().replace("1200Hz", "9" * 400 + "Hz")),
                         "expected a frequency"),
    "folder": (_folder, "a folder"),
    "fifo": (_fifo, "not a regular file"),
}


@pytest.mark.parametrize("command", ["render", "preset"])
@pytest.mark.parametrize("case", list(BAD_SETTINGS_FILES))
def test_each_class_of_bad_settings_file_is_refused_end_to_end(command, case, tmp_path):
    make, message = BAD_SETTINGS_FILES[case]
    make(tmp_path / "in.txt")
    out = tmp_path / "out"
    # a short timeout: reading a FIFO must not hang
    r = run(command, str(tmp_path / "in.txt"), "-o", str(out / "x.file"), cwd=tmp_path, timeout=30)
    assert_refused(r, message, out)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
@pytest.mark.parametrize("command", ["render", "preset"])
def test_an_unreadable_settings_file_is_refused_end_to_end(command, tmp_path):
    (tmp_path / "in.txt").write_text(EXAMPLE.read_text())
    (tmp_path / "in.txt").chmod(0)
    r = run(command, str(tmp_path / "in.txt"), "-o", str(tmp_path / "out" / "x.file"), cwd=tmp_path)
    assert_refused(r, "Permission denied", tmp_path / "out")


@pytest.fixture(scope="module")
def sound(tmp_path_factory) -> Path:
    """A valid input: the bundled pluck's standard render."""
    from whispersynth import audio, settings, synth

    path = tmp_path_factory.mktemp("sound") / "good.wav"
    audio.write_wav(path, synth.render(settings.load(EXAMPLE)), synth.SAMPLE_RATE)
    return path


def _damaged(offset: int, fmt: str, value: int, cut: int | None = None):
    """Make the input a copy of the good sound (cut to `cut` bytes) with one header field set."""
    def make(path: Path, good: Path) -> None:
        data = bytearray(good.read_bytes()[:cut])
        data[offset : offset + struct.calcsize(fmt)] = struct.pack(fmt, value)
        path.write_bytes(bytes(data))
    return make


def _flac(cut_to: float = 1.0, frames: int | None = None):
    """Make the input the good sound as FLAC, cut to a fraction, or claiming `frames` samples."""
    def make(path: Path, good: Path) -> None:
        sf.write(path, sf.read(good)[0], 16000, format="FLAC")
        data = path.read_bytes()
        if frames is not None:  # STREAMINFO's total samples: the low 36 bits of bytes 18..25
            field = int.from_bytes(data[18:26], "big") & ~(2**36 - 1) | frames
            data = data[:18] + field.to_bytes(8, "big") + data[26:]
        path.write_bytes(data[: int(len(data) * cut_to)])
    return make


def _float_wav(samples):
    return lambda path, good: sf.write(path, samples, 16000, subtype="FLOAT", format="WAV")


NAN = np.full(16000, 0.1, np.float32)
NAN[400] = np.nan
BAD_SOUNDS = {  # name: (input suffix, how it is made from the good sound, what the error says)
    "truncated wav": (".wav", lambda p, good: p.write_bytes(good.read_bytes()[:30]), "not a readable audio file"),
    "truncated flac": (".flac", _flac(cut_to=0.5), "not a readable audio file"),
    "data size 0xFFFFFFFF, no data": (".wav", _damaged(40, "<I", 0xFFFFFFFF, cut=44), "contains no audio samples"),
    "huge frame count": (".flac", _flac(frames=2**36 - 1), "longer than the 600 s limit"),
    "zero channels": (".wav", _damaged(22, "<H", 0), "Channel count is zero"),
    "random bytes": (".mp3", lambda p, good: p.write_bytes(np.random.default_rng(0).bytes(3000)),
                     "not a readable audio file"),
    "folder": (".wav", lambda p, good: p.mkdir(), "no audio files in this folder"),
    "folder inside the input folder": (".wav", lambda p, good: (p / "x.wav").mkdir(parents=True),
                                       "a folder, not a sound file"),
    "fifo": (".wav", lambda p, good: os.mkfifo(p), "not a regular file"),
    "nan samples": (".wav", _float_wav(NAN), "NaN or infinite"),
    "silent": (".wav", _float_wav(np.zeros(16000, np.float32)), "silent"),
}


@pytest.mark.parametrize("case", list(BAD_SOUNDS))
def test_each_class_of_bad_sound_is_refused_by_match(case, sound, tmp_path):
    suffix, make, message = BAD_SOUNDS[case]
    make(tmp_path / f"in{suffix}", sound)
    out = tmp_path / "out"
    r = run("match", str(tmp_path / f"in{suffix}"), "-o", str(out), cwd=tmp_path, timeout=30)  # fails before the model
    assert_refused(r, message, out)


def test_a_start_that_is_no_time_is_refused_by_match(sound, tmp_path):
    r = run("match", str(sound), "--start", "inf", "-o", str(tmp_path / "out"), cwd=tmp_path, timeout=30)
    assert_refused(r, "start inf s is not a time", tmp_path / "out")


BAD_MODELS = {  # name: (the damage, what the error says)
    "missing model.safetensors": (lambda f: (f / "model.safetensors").unlink(), "no model.safetensors"),
    "corrupt safetensors": (lambda f: (f / "model.safetensors").write_bytes(np.random.default_rng(0).bytes(4000)),
                            "cannot load model.safetensors"),
    "config not JSON": (lambda f: (f / "config.json").write_text("{oops"), "config.json is not readable JSON"),
    "config not Whisper": (lambda f: (f / "config.json").write_text('{"model_type": "bert"}'), "not a Whisper config"),
    "vocab of another version": (lambda f: (f / "vocab.json").write_text('["<pad>", "<bos>", "<eos>"]'),
                                 "other settings tokens"),
}


@pytest.mark.parametrize("case", list(BAD_MODELS))
def test_each_class_of_bad_model_folder_is_refused_by_match(case, sound, model_dir, tmp_path):
    damage, message = BAD_MODELS[case]
    folder = tmp_path / "model"
    shutil.copytree(model_dir, folder)
    damage(folder)
    r = run("match", str(sound), "--model", str(folder), "-o", str(tmp_path / "out"), cwd=tmp_path)
    assert_refused(r, message, tmp_path / "out")


def test_the_undamaged_model_dir_matches(sound, model_dir, tmp_path):
    """The control for the test above: the same sound and model folder, undamaged, are matched."""
    r = run("match", str(sound), "--model", str(model_dir), "--beams", "1", "-o", str(tmp_path / "out"),
            cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "out" / "good.txt").is_file() and "Traceback" not in r.stderr


@pytest.mark.parametrize("option, message", [
    (["--sigma", "1,cutoff=wide"], "'cutoff=wide' is not a width"),
    (["--sigma", "colour=3"], "no field 'colour'"),
    (["--sigma", "cutoff=-1"], "0 or more"),
    (["--sigma", "nan"], "0 or more"),
    (["--front-end", "mfcc"], "--front-end: expected one of logmel, fine, pitch, cqt, envelope"),
])
def test_bad_training_options_are_refused_before_training(option, message, tmp_path):
    r = run("train", "--data", str(tmp_path), "--out", str(tmp_path / "run"), *option, cwd=tmp_path)
    assert_refused(r, message, tmp_path / "run")


def test_a_pooled_training_folder_that_is_not_a_dataset_is_refused(tmp_path):
    assert run("data", "generate", "--out", str(tmp_path / "ds"), "--n", "2", "--workers", "1",
               cwd=tmp_path).returncode == 0
    (tmp_path / "empty").mkdir()
    r = run("train", "--data", str(tmp_path / "ds"), "--data", str(tmp_path / "empty"), "--out", str(tmp_path / "run"),
            "--size", "debug", "--steps", "1", cwd=tmp_path)
    assert_refused(r, "empty: not a dataset folder", tmp_path / "run")


@pytest.mark.parametrize("command", ["match", "evaluate"])
def test_an_unknown_ranking_is_refused_before_anything_is_read(command, tmp_path):
    (tmp_path / "in").mkdir()
    audio_args = [str(tmp_path / "in"), "-o", str(tmp_path / "out")] if command == "match" else \
        ["--sounds", str(tmp_path / "in"), "--out", str(tmp_path / "out")]
    r = run(command, *audio_args, "--rank-by", "mss,loudness" if command == "evaluate" else "loudness", cwd=tmp_path)
    assert_refused(r, "rank by: expected one of mss, mss-logmel, auto, got 'loudness'", tmp_path / "out")


def test_a_bad_bank_or_retrieve_count_is_refused_before_anything_is_read(tmp_path):
    (tmp_path / "in").mkdir()
    r = run("match", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--retrieve", "2", "--bank",
            str(tmp_path / "nobank"), cwd=tmp_path)
    assert_refused(r, "nobank: not a readable bank", tmp_path / "out")
    r = run("evaluate", "--sounds", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--retrieve", "0,four",
            cwd=tmp_path)
    assert_refused(r, "--retrieve: expected counts separated by commas (e.g. 0,4), got '0,four'", tmp_path / "out")
    r = run("evaluate", "--sounds", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--retrieve", "0,4",
            "--bank", str(tmp_path / "nobank"), cwd=tmp_path)
    assert_refused(r, "nobank: not a readable bank", tmp_path / "out")
