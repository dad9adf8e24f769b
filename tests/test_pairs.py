import numpy as np
import pytest
import soundfile as sf

from whispersynth import audio, data, pairs
from whispersynth.data import DataError, DatasetSpec


@pytest.fixture(scope="module")
def small_set(tmp_path_factory):
    out = tmp_path_factory.mktemp("set")
    data.generate(out, DatasetSpec(n=5, seed=11, part_size=3), progress=False)
    return out


def test_export_writes_numbered_pairs_that_import_back(small_set, tmp_path):
    assert pairs.export_pairs(small_set, tmp_path / "pairs", limit=4) == 4
    names = sorted(p.name for p in (tmp_path / "pairs").iterdir())
    assert names == [f"00000{i}.{ext}" for i in range(1, 5) for ext in ("txt", "wav")]
    rows = list(data.iter_rows(small_set))
    assert (tmp_path / "pairs" / "000002.txt").read_text() == rows[1]["text"]
    report = pairs.import_pairs(tmp_path / "pairs", tmp_path / "back", part_size=3)
    assert (report.imported, report.skipped) == (4, [])
    back = list(data.iter_rows(tmp_path / "back"))
    assert [r["text"] for r in back] == [r["text"] for r in rows[:4]]
    some = pairs.import_pairs(tmp_path / "pairs", tmp_path / "some", only={"000003", "000001", "nothing"})
    assert (some.imported, some.skipped) == (2, [])  # only the pairs named, none of the others reported
    assert [r["text"] for r in data.iter_rows(tmp_path / "some")] == [rows[0]["text"], rows[2]["text"]]
    for i, row in enumerate(back, 1):  # imported = the exported file brought to the standard convention
        want = audio.load(tmp_path / "pairs" / f"{i:06d}.wav")
        assert np.abs(np.asarray(row["audio"]) / 32767 - want).max() < 1 / 32767
    fast = [i for i, r in enumerate(rows[:4]) if r["attack"] < 0.003]
    for i in fast:  # only the exact digital silence before the attack is trimmed
        orig = np.asarray(rows[i]["audio"], float)
        lead = int(np.argmax(orig != 0))
        assert lead < 16  # under 1 ms
        got = np.asarray(back[i]["audio"], float)[: orig.size - lead]
        assert np.abs(got - orig[lead:]).max() <= 3


def test_import_skips_each_bad_pair_with_a_reason(small_set, tmp_path):
    src = tmp_path / "pairs"
    pairs.export_pairs(small_set, src, limit=2)
    (src / "000003.txt").write_text("Waveform: Kazoo\n")
    sf.write(src / "000003.wav", np.zeros(1600), 16000)
    (src / "000004.txt").write_text((src / "000001.txt").read_text())
    sf.write(src / "000004.wav", np.zeros(16000), 16000)  # silent
    (src / "000005.txt").write_text((src / "000001.txt").read_text())
    (src / "000005.wav").write_bytes(b"this is not audio")
    (src / "000006.wav").write_bytes((src / "000001.wav").read_bytes())  # no .txt
    (src / "000007.txt").write_text((src / "000001.txt").read_text())  # no audio
    report = pairs.import_pairs(src, tmp_path / "out")
    assert report.imported == 2
    reasons = "\n".join(report.skipped)
    assert len(report.skipped) == 5
    for expected in ["000003.txt: missing line 'Voices'", "000004.wav: silent",
                     "000005.wav: not a readable audio file", "000006.wav: no matching .txt",
                     "000007.txt: no matching audio file"]:
        assert expected in reasons
    assert data.read_spec(tmp_path / "out").n == 2


def test_import_refuses_an_empty_result_and_an_existing_set(small_set, tmp_path):
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "a.txt").write_text("nope")
    with pytest.raises(DataError, match="no usable pairs"):
        pairs.import_pairs(tmp_path / "junk", tmp_path / "out")
    with pytest.raises(DataError, match="already holds a dataset"):
        pairs.import_pairs(tmp_path / "junk", small_set)
