import collections

from whispersynth import data, stats
from whispersynth.data import DatasetSpec


def test_report_counts_match_the_rows_and_plot_is_written(tmp_path):
    data.generate(tmp_path, DatasetSpec(n=6, seed=2, part_size=6), progress=False)
    rows = list(data.iter_rows(tmp_path, columns=["waveform", "filter_type", "cutoff"]))
    text = stats.report(tmp_path)
    assert text.startswith(f"{tmp_path}: 6 clips")
    waves = collections.Counter(r["waveform"] for r in rows)
    line = next(ln for ln in text.splitlines() if ln.strip().startswith("waveform"))
    for name, count in waves.items():
        assert f"{name}: {count}" in line
    na = sum(r["filter_type"] is None for r in rows)
    cutoff_line = next(ln for ln in text.splitlines() if ln.strip().startswith("cutoff"))
    assert f"N/A: {na}" in cutoff_line
    png = tmp_path / "card.png"
    stats.plot(tmp_path, png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
