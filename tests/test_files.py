import pytest

from whispersynth.files import atomic_path, write_text


def test_failed_write_leaves_previous_content_and_no_temp(tmp_path):
    target = tmp_path / "a.txt"
    write_text(target, "old\n")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed mid-write")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_successful_write_replaces_and_creates_parents(tmp_path):
    target = tmp_path / "sub" / "b.txt"
    write_text(target, "new\n")
    write_text(target, "newer\n")
    assert target.read_text() == "newer\n"
    assert [p.name for p in target.parent.iterdir()] == ["b.txt"]
