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


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_outputs_get_the_permissions_the_umask_gives_any_new_file(tmp_path, umask):
    import os

    old = os.umask(umask)
    try:
        write_text(tmp_path / "a.txt", "x\n")
        (tmp_path / "plain.txt").write_text("x\n")  # how any program's new file comes out
    finally:
        os.umask(old)
    mode = (tmp_path / "a.txt").stat().st_mode & 0o777
    assert mode == 0o666 & ~umask == (tmp_path / "plain.txt").stat().st_mode & 0o777


def test_content_and_rename_are_flushed_to_disk(tmp_path, monkeypatch):
    import os
    import stat

    synced = []
    real = os.fsync

    def spy(fd):
        synced.append(stat.S_ISDIR(os.fstat(fd).st_mode))
        real(fd)

    monkeypatch.setattr(os, "fsync", spy)
    write_text(tmp_path / "a.txt", "x\n")
    assert synced == [False, True]  # the file before the rename, then its folder after it
