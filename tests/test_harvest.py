"""harvest.py and `data harvest`: learn from the search; and the random other-synth draws it
is meant for (evaluation/make_other_synths.py --random)."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from whispersynth import audio, harvest, metrics, settings, synth
from whispersynth.cli import app
from whispersynth.data import load_clips, read_spec
from whispersynth.files import append_line

ROOT = Path(__file__).parents[1]
SCRIPT = ROOT / "evaluation" / "make_other_synths.py"
PATCH = settings.parse(
    "Waveform: Square\nVoices: 1\nOscillator Detune: None\nFilter Type: Lowpass\nFilter Cutoff: 1200 Hz\n"
    "ADSR Envelope: Attack: 5ms, Decay: 400ms, Sustain: -10 dB, Release: 300ms\nLFO Modulation: None\n"
)


def other_synths():
    spec = importlib.util.spec_from_file_location("make_other_synths", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_random_draws_are_seeded_single_notes_of_every_family():
    gen = other_synths()
    a, b = gen.random_sound(5, 3), gen.random_sound(5, 3)
    assert a[0] == b[0] and a[1] == b[1] and np.array_equal(a[2], b[2])  # the same draw anywhere
    assert not np.array_equal(gen.random_sound(5, 4)[2], a[2])
    assert not np.array_equal(gen.random_sound(6, 3)[2], a[2])
    rng = np.random.default_rng(0)
    for family, make in gen.RANDOM_FAMILIES.items():
        x = make(rng, 50.0)
        assert x.shape == gen.t().shape and np.isfinite(x).all(), family
        assert np.abs(x).max() > 1e-3, family  # not silent
    names = {gen.random_sound(1, i)[0] for i in range(60)}
    assert names == set(gen.RANDOM_FAMILIES)  # every family is drawn


def test_random_mode_writes_named_files_and_resumes(tmp_path):
    run = [sys.executable, str(SCRIPT), "--random", "3", "--seed", "9", str(tmp_path)]
    assert subprocess.run(run, capture_output=True, text=True).returncode == 0
    files = sorted(tmp_path.glob("*.flac"))
    assert [f.name.split("-")[0] for f in files] == ["00000", "00001", "00002"]
    assert all(f.stem.split("-", 1)[1] in other_synths().RANDOM_FAMILIES for f in files)
    x, rate = audio.read(files[0])
    assert rate == 32000 and abs(np.abs(x).max() - 0.5) < 1e-3
    before = files[1].stat().st_mtime_ns
    files[0].unlink()
    r = subprocess.run(run, capture_output=True, text=True)
    assert r.stdout.count(".flac") == 1 and files[0].exists()  # only the missing one is made again
    assert files[1].stat().st_mtime_ns == before


def test_the_log_survives_a_line_cut_short(tmp_path):
    log = tmp_path / harvest.LOG
    log.write_text('{"name": "a", "guess": 1.0, "found": 0.5, "kept": true, "text": "x"}\n{"name": "b", "gu')
    append_line(log, json.dumps({"name": "c", "guess": 1.0, "found": 0.9, "kept": False, "text": ""}))
    done = harvest.read_log(tmp_path)
    assert set(done) == {"a", "c"}  # the cut line spoils only itself
    assert done["a"].gain == 0.5 and done["a"].kept and abs(done["c"].gain - 0.1) < 1e-9
    assert harvest.Harvested("z", 0.0, 0.0, False).gain == 0.0


def test_harvest_keeps_pairs_the_search_found_and_resumes(model_dir, tmp_path):
    sounds = tmp_path / "sounds"
    sounds.mkdir()
    audio.write_wav(sounds / "lead.wav", synth.render(PATCH), 16000)
    audio.write_wav(sounds / "draw.wav", other_synths().random_sound(3, 0)[2], 32000)
    (sounds / "empty.wav").write_bytes(b"")
    out = tmp_path / "harvest"
    args = ["data", "harvest", str(sounds), "--out", str(out), "--model", str(model_dir), "--renders", "24",
            "--workers", "1", "--min-gain", "0"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output  # the empty file: named, the others harvested
    assert "empty.wav" in result.output and "Traceback" not in result.output
    done = harvest.read_log(out)
    assert set(done) == {"lead", "draw"} and all(h.kept for h in done.values())
    for name, h in done.items():
        assert h.found <= h.guess  # the search starts from the network's candidates: never further
        clip = audio.load(out / "pairs" / f"{name}.wav")
        patch = settings.load(out / "pairs" / f"{name}.txt")
        assert settings.format(patch) == h.text
        assert settings.load(out / "pairs" / f"{name}.render.txt") == patch
        assert abs(metrics.mss(clip, synth.render(patch))[0] - h.found) < 0.02  # the pair is what was scored
    clips, patches = load_clips(out / "set", 10)
    assert read_spec(out / "set").n == 4 and len(patches) == 4 and clips.shape == (4, 48000)
    assert sorted(settings.format(p) for p in patches) == sorted(2 * [h.text for h in done.values()])

    log = (out / harvest.LOG).read_text()
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 2 and (out / harvest.LOG).read_text() == log  # resumed: nothing matched again
    assert read_spec(out / "set").n == 4
    first = CliRunner().invoke(app, args + ["--limit", "1"])  # the first sound in name order: draw.wav
    assert first.exit_code == 0, first.output
    assert (out / harvest.LOG).read_text() == log and "1 sound, 1 pairs kept" in first.output
    _, patches = load_clips(out / "set", 10)  # only its pairs, though lead's are still in pairs/
    assert [settings.format(p) for p in patches] == 2 * [done["draw"].text]


def test_a_gain_too_small_keeps_nothing_and_limit_takes_the_first_sounds(model_dir, tmp_path):
    sounds = tmp_path / "sounds"
    sounds.mkdir()
    audio.write_wav(sounds / "a-lead.wav", synth.render(PATCH), 16000)
    audio.write_wav(sounds / "b-lead.wav", synth.render(PATCH.replace(waveform="Saw")), 16000)
    out = tmp_path / "harvest"
    result = CliRunner().invoke(app, ["data", "harvest", str(sounds), "--out", str(out), "--model", str(model_dir),
                                      "--renders", "12", "--workers", "1", "--min-gain", "1", "--limit", "1"])
    assert result.exit_code == 0, result.output
    assert "1 sound, 0 pairs kept" in result.output
    assert not (out / "pairs").exists() and not (out / "set").exists()
    assert list(harvest.read_log(out)) == ["a-lead"] and not harvest.read_log(out)["a-lead"].kept
