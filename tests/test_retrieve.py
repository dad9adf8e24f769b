"""The bank of rendered patches: built from a dataset, read back, looked up by sound and note."""

from __future__ import annotations

import gzip
import subprocess
import sys

import numpy as np
import pytest

from whispersynth import data, retrieve, synth
from whispersynth.data import DatasetSpec, read_part


@pytest.fixture(scope="module")
def bank_dir(tmp_path_factory):
    """A bank of 12 producer-sampler patches, built the way `data bank` builds one."""
    root = tmp_path_factory.mktemp("bank")
    data.generate(root / "set", DatasetSpec(n=12, seed=7, part_size=5, version=3, sampler="producer"), progress=False)
    retrieve.build(root / "set", root / "bank")
    return root


def test_a_bank_reads_back_as_built(bank_dir):
    bank = retrieve.load(bank_dir / "bank")
    audio, patches = zip(*(read_part(p) for p in sorted((bank_dir / "set").glob("part-*.parquet"))))
    patches = [p for part in patches for p in part]
    assert len(bank.texts) == 12 and bank.codes.shape == (12, 800) and bank.codes.dtype == np.uint8
    assert [bank.patch(i) for i in range(12)] == patches  # every text parses back to its patch
    assert list(bank.notes) == [p.note for p in patches]
    clips = np.concatenate(audio).astype(np.float32) / 32767
    assert np.array_equal(bank.codes, retrieve.quantize(retrieve.features(clips)))


def test_quantized_features_keep_the_log_mel_within_half_a_step():
    f = np.random.default_rng(0).uniform(-1.25, 1.6, (3, 800)).astype(np.float32)
    back = retrieve.LOW + retrieve.quantize(f) * retrieve.STEP
    assert np.abs(back - f).max() <= retrieve.STEP / 2 + 1e-6


def test_a_bank_clip_finds_its_own_patch_first_moved_to_the_note_asked(bank_dir):
    bank = retrieve.load(bank_dir / "bank")
    for i in (0, 5, 11):
        p = bank.patch(i)
        clip = synth.render(p)
        assert retrieve.nearest(bank, clip, p.note, 1, width=0)[0] == p
        moved = retrieve.nearest(bank, clip, p.note + 1, 1, width=1)[0]
        assert moved == p.replace(note=p.note + 1)  # still itself, at the note asked
        assert p not in retrieve.nearest(bank, clip, p.note, 3, width=24, skip={p})


def test_only_patches_near_the_note_are_retrieved(bank_dir):
    bank = retrieve.load(bank_dir / "bank")
    note = int(bank.notes[0])
    clip = synth.render(bank.patch(0))
    far = 200  # no MIDI note is this far from any of the bank's
    assert retrieve.nearest(bank, clip, note + far, 4) == []
    near = {i for i in range(12) if abs(int(bank.notes[i]) - note) <= 2}
    got = retrieve.nearest(bank, clip, note, 12)
    assert len(got) == len(near) and all(p.note == note for p in got)
    assert retrieve.nearest(bank, clip, note, 0) == []


def test_a_missing_or_damaged_bank_is_one_clear_error(bank_dir, tmp_path):
    with pytest.raises(retrieve.BankError, match="not a readable bank"):
        retrieve.load(tmp_path / "none")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "bank.safetensors").write_bytes((bank_dir / "bank" / "bank.safetensors").read_bytes())
    texts = gzip.decompress((bank_dir / "bank" / "patches.txt.gz").read_bytes()).decode().split(retrieve.SEPARATOR)
    (broken / "patches.txt.gz").write_bytes(gzip.compress(retrieve.SEPARATOR.join(texts[:-1]).encode()))
    with pytest.raises(retrieve.BankError, match="12 feature rows, 12 notes, 11 patches"):
        retrieve.load(broken)



def test_a_bank_of_several_datasets_reads_as_one_and_a_rebuild_drops_stale_shards(bank_dir, tmp_path):
    data.generate(tmp_path / "more", DatasetSpec(n=3, seed=8, part_size=5, version=3, sampler="producer"), progress=False)
    one = retrieve.load(bank_dir / "bank")
    r = subprocess.run([sys.executable, "-m", "whispersynth", "data", "bank", str(bank_dir / "set"), str(tmp_path / "more"),
                        "--out", str(tmp_path / "two")], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and "a bank of 15 patches (2 shards)" in r.stdout, r.stderr
    assert sorted(f.name for f in (tmp_path / "two").iterdir()) == [
        "bank-2.safetensors", "bank.safetensors", "patches-2.txt.gz", "patches.txt.gz"]
    for name in retrieve.shard_names(0):  # the first shard: the same files as a bank of that dataset alone
        assert (tmp_path / "two" / name).read_bytes() == (bank_dir / "bank" / name).read_bytes()
    two = retrieve.load(tmp_path / "two")
    more = [p for part in sorted((tmp_path / "more").glob("part-*.parquet")) for p in read_part(part)[1]]
    assert two.texts[:12] == one.texts and [two.patch(12 + i) for i in range(3)] == more
    assert np.array_equal(two.codes[:12], one.codes) and list(two.notes[12:]) == [p.note for p in more]
    assert retrieve.nearest(two, synth.render(more[1]), more[1].note, 1, width=0)[0] == more[1]
    retrieve.build([tmp_path / "more"], tmp_path / "two")  # one dataset now: shard 2 goes
    assert sorted(f.name for f in (tmp_path / "two").iterdir()) == ["bank.safetensors", "patches.txt.gz"]
    assert retrieve.load.__wrapped__(tmp_path / "two").texts == two.texts[12:]


def test_shards_of_different_features_are_refused(bank_dir, tmp_path):
    from safetensors.numpy import save

    mixed = tmp_path / "mixed"
    mixed.mkdir()
    for name in retrieve.shard_names(0):
        (mixed / name).write_bytes((bank_dir / "bank" / name).read_bytes())
    arrays, texts = retrieve.shard_names(1)
    (mixed / arrays).write_bytes(save({"codes": np.zeros((1, 10), np.uint8), "notes": np.zeros(1, np.int16)}))
    (mixed / texts).write_bytes(gzip.compress(b"Waveform: Saw\n"))
    with pytest.raises(retrieve.BankError, match=r"its shards have \[10, 800\] features"):
        retrieve.load(mixed)
    (mixed / texts).unlink()  # a shard without its texts
    with pytest.raises(retrieve.BankError, match="not a readable bank"):
        retrieve.load(mixed)

def test_the_bundled_bank_reads():
    bank = retrieve.load()
    assert len(bank.texts) == len(bank.codes) == len(bank.notes) >= 10000
    assert bank.patch(0).note == int(bank.notes[0])


def test_match_with_retrieval_ranks_the_bank_patch_that_is_the_clip(bank_dir, monkeypatch):
    """The network's only guess (Vital's init at the clip's note) is far off; with the bank searched,
    the bank patch that made the clip comes first, exactly."""
    from whispersynth import match as M
    from whispersynth.model import Guess

    bank = retrieve.load(bank_dir / "bank")
    p = bank.patch(3)
    clip = synth.render(p)
    monkeypatch.setattr(M, "guesses", lambda *a: [Guess(synth.VITAL_INIT.replace(note=p.note), 0.0)])
    alone = M.find(clip, None, None, M.MatchOptions(workers=1, floor=False, retrieve=0))[0][0]
    found = M.find(clip, None, None, M.MatchOptions(workers=1, floor=False, retrieve=2, top_k=3,
                                                    bank=str(bank_dir / "bank")))[0]
    assert alone.patch == synth.VITAL_INIT.replace(note=p.note) and alone.distance > 0.5
    assert found[0].patch == p and found[0].distance < 1e-3
    assert len(found) == 3 and found[-1].distance >= found[1].distance  # the init guess ranked with them


def test_evaluate_scores_a_bank_of_its_own_beside_the_match_without_one(bank_dir, model_dir, tmp_path):
    """`evaluate --retrieve 0,2 --bank DIR`: one system each, the bank named by its folder; without
    the floor, the bank's patches only add candidates, so no clip is further by MSS."""
    import json

    from typer.testing import CliRunner

    from whispersynth import audio
    from whispersynth.cli import app

    bank = retrieve.load(bank_dir / "bank")
    (tmp_path / "in").mkdir()
    for i in (3, 5):
        audio.write_wav(tmp_path / "in" / f"bank{i}.wav", synth.render(bank.patch(i)), 16000)
    r = CliRunner().invoke(app, ["evaluate", "--sounds", str(tmp_path / "in"), "--model", str(model_dir), "--out",
                                 str(tmp_path / "rep"), "--candidates", "2", "--rank-by", "mss", "--retrieve", "0,2",
                                 "--bank", str(bank_dir / "bank"), "--no-floor", "--workers", "1"])
    assert r.exit_code == 0, r.output
    per = json.loads((tmp_path / "rep" / "report.json").read_text())["per_clip"]
    alone, banked = (per[f"match (both, 2 candidates, no floor{more} ranked by MSS)"]["mss"] for more in ("", ", 2 from bank"))
    assert len(alone) == len(banked) == 2
    assert all(b <= a * 1.001 for a, b in zip(alone, banked)), (alone, banked)
