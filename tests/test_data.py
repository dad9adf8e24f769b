import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from whispersynth import data, settings, synth
from whispersynth.data import DataError, DatasetSpec
from whispersynth.sampler import clip_rng, sample_patch

SPEC = DatasetSpec(n=12, seed=3, part_size=4, version=2)


def part_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("part-*.parquet"))}


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ref")
    assert data.generate(out, SPEC, workers=1, progress=False) == 12
    return out


def test_rows_are_labelled_standard_renders(reference):
    rows = list(data.iter_rows(reference))
    assert [r["index"] for r in rows] == list(range(12))
    for r in rows:
        patch = data.patch_from_row(r)
        assert settings.parse(r["text"]) == patch
        assert patch == sample_patch(clip_rng(3, r["index"]), version=SPEC.version) or r["draws"] > 1
        audio = np.asarray(r["audio"], np.int16)
        assert audio.shape == (48000,)
        assert abs(20 * np.log10(np.abs(audio).max() / 32767) + 1.0) < 0.01  # peak -1 dBFS
    # a stored clip is exactly the standard render of its own text
    first = np.asarray(rows[0]["audio"]) / 32767
    assert np.abs(first - synth.render(settings.parse(rows[0]["text"]))).max() < 1 / 32767


def test_same_seed_same_bytes_whatever_the_worker_count(reference, tmp_path):
    data.generate(tmp_path, SPEC, workers=2, progress=False)
    assert part_bytes(tmp_path) == part_bytes(reference)


def test_shards_make_disjoint_parts_of_one_dataset(reference, tmp_path):
    assert data.generate(tmp_path, SPEC, shard=(1, 2), progress=False) == 4  # parts 1
    assert sorted(part_bytes(tmp_path)) == ["part-00001.parquet"]
    data.generate(tmp_path, SPEC, shard=(0, 2), progress=False)
    assert part_bytes(tmp_path) == part_bytes(reference)


def test_different_seed_gives_different_clips(reference, tmp_path):
    data.generate(tmp_path, DatasetSpec(n=4, seed=4, part_size=4), progress=False)
    texts = [r["text"] for r in data.iter_rows(tmp_path)]
    assert not set(texts) & {r["text"] for r in data.iter_rows(reference)}


def test_killed_run_resumes_to_identical_bytes(reference, tmp_path):
    cmd = [sys.executable, "-m", "whispersynth", "data", "generate", "--out", str(tmp_path), "--n", "12",
           "--seed", "3", "--part-size", "4", "--workers", "1", "--format-version", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while not (tmp_path / "part-00000.parquet").exists():  # kill as soon as the first part lands
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert len(part_bytes(tmp_path)) < 3  # it really was interrupted
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert part_bytes(tmp_path) == part_bytes(reference)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left


class SilentFirst:
    """A renderer whose first `k` renders are silent, as a too-high highpass would be."""

    def __init__(self, k: int):
        self.k, self.inner = k, synth.Renderer()

    def render_vital(self, patch, seconds=synth.CLIP_SECONDS):
        self.k -= 1
        audio = self.inner.render_vital(patch, seconds)
        return audio * 1e-4 if self.k >= 0 else audio  # -80 dB: below the -60 dBFS line


def test_a_part_cut_short_is_made_again(reference, tmp_path):
    shutil.copytree(reference, tmp_path / "set")
    part = tmp_path / "set" / "part-00001.parquet"
    part.write_bytes(part.read_bytes()[: part.stat().st_size // 2])  # as a crash mid-copy would leave it
    assert data.pending_parts(tmp_path / "set", SPEC) == [1]
    assert data.generate(tmp_path / "set", SPEC, progress=False) == 4  # only that part is redone
    assert part_bytes(tmp_path / "set") == part_bytes(reference)


def test_silent_draws_are_rejected_and_redrawn():
    patch, audio, draws = data.draw_clip(SilentFirst(2), seed=5, index=9)
    rng = clip_rng(5, 9)
    expected = [sample_patch(rng) for _ in range(3)][-1]
    assert draws == 3 and patch == expected
    assert abs(np.abs(audio).max() - 10 ** (-1 / 20)) < 1e-4


def test_real_silent_patch_is_detected():
    p = settings.parse("Waveform: Sine\nVoices: 1\nOscillator Detune: None\nFilter Type: Highpass\n"
                       "Filter Cutoff: 20000Hz\nADSR Envelope: Attack: 0ms, Decay: 100ms, Sustain: 0 dB, "
                       "Release: 100ms\nLFO Modulation: None\nNote: C2, Length: 1.00s\n")
    raw = synth.finish(synth.Renderer().render_vital(p), sample_rate=16000, stereo=False, normalize=False)
    assert np.abs(raw).max() < 10 ** (-60 / 20)


def test_streaming_read_back_with_hf_datasets(reference):
    datasets = pytest.importorskip("datasets")
    files = sorted(str(p) for p in reference.glob("part-*.parquet"))
    stream = datasets.load_dataset("parquet", data_files=files, split="train", streaming=True)
    rows = list(data.iter_rows(reference))
    for got, want in zip(stream, rows, strict=True):
        assert got["text"] == want["text"] and got["audio"] == want["audio"]
    table = datasets.load_dataset("parquet", data_files=files, split="train")
    assert table.num_rows == 12 and table[5]["cutoff"] == rows[5]["cutoff"]


def test_refuses_when_disk_is_too_small_or_folder_holds_another_set(reference, tmp_path, monkeypatch):
    with pytest.raises(DataError, match="already holds a different dataset"):
        data.generate(reference, DatasetSpec(n=12, seed=99, part_size=4), progress=False)
    monkeypatch.setattr(shutil, "disk_usage", lambda p: shutil._ntuple_diskusage(10**9, 10**9 - 1000, 1000))
    with pytest.raises(DataError, match=r"12 clips need about 0\.0 GB"):
        data.generate(tmp_path, SPEC, progress=False)
    assert not list(tmp_path.glob("part-*"))


def test_loading_clips_from_a_folder_without_parts_names_it(tmp_path):
    with pytest.raises(DataError, match="no part-"):
        data.load_clips(tmp_path, 10)


def test_a_version_1_dataset_holds_version_1_patches_and_old_folders_resume_as_version_1(tmp_path):
    spec = DatasetSpec(n=3, seed=7, part_size=3, version=1)
    data.generate(tmp_path, spec, progress=False)
    rows = list(data.iter_rows(tmp_path))
    assert "noise" not in rows[0] and "length" in rows[0]  # version 1's columns only
    assert [data.patch_from_row(r) for r in rows] == [data.draw_clip(synth.Renderer(), 7, i, 1)[0] for i in range(3)]
    meta = json.loads((tmp_path / "dataset.json").read_text())
    (tmp_path / "dataset.json").write_text(json.dumps({k: v for k, v in meta.items() if k != "version"}))
    assert data.read_spec(tmp_path) == spec and data.generate(tmp_path, spec, progress=False) == 0
    with pytest.raises(DataError, match="different dataset"):
        data.generate(tmp_path, DatasetSpec(n=3, seed=7, part_size=3, version=2), progress=False)
