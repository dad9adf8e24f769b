"""tools/compare_evals.py: the model card's side-by-side figures, one report or several joined."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "tools"))
import compare_evals  # noqa: E402

MATCH = "match (both, 8 candidates ranked by MSS)"


def report(path: Path, mss: list[float], logmel: list[float], init: list[float] | None = None) -> str:
    per_clip = {"network": {"mss": mss, "logmel_l1": logmel}, MATCH: {"mss": mss, "logmel_l1": logmel}}
    if init is not None:
        per_clip[compare_evals.INIT] = {"mss": init, "logmel_l1": init}
    path.write_text(json.dumps({"source": "x", "clips": len(mss), "per_clip": per_clip}))
    return str(path)


def test_figures_of_one_report_and_of_several_joined(tmp_path, capsys):
    a = report(tmp_path / "a.json", [1.0, 3.0], [0.1, 0.3], init=[0.2, 0.2])
    b = report(tmp_path / "b.json", [2.0, 10.0, 20.0], [0.5, 0.6, 0.7])
    assert compare_evals.figures(compare_evals.joined(a)) == (0.2, 2.0, 1)  # 0.3 > 0.2: one further than init
    both = compare_evals.joined(f"{a}+{b}")
    assert set(both["per_clip"]) == {"network", MATCH}  # init: only one of them scored it
    lm, ms, further = compare_evals.figures(both)
    assert abs(lm - 2.2 / 5) < 1e-12 and ms == 3.0 and further is None
    compare_evals.main([f"one={a}", f"two={a}+{b}"])
    out = capsys.readouterr().out
    assert "| all | 2 | 0.200 / 2.000 / 1 | 0.440 / 3.000 |" in out
    assert "two against one: no clip-by-clip comparison (2 clips against 5: not the same set)" in out


def test_a_missing_report_is_one_line_and_exit_code_2(tmp_path):
    import subprocess

    r = subprocess.run([sys.executable, str(Path(compare_evals.__file__)), f"a={tmp_path / 'none.json'}"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "none.json" in r.stderr
    assert r.stderr.count("\n") == 1


def test_paired_counts_clips_and_brackets_the_median_ratio(tmp_path, capsys):
    base = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
    other = [v * 1.1 for v in base[:6]] + [7.0, 4.0]  # six clips 10 % further, one the same, one closer
    a = compare_evals.joined(report(tmp_path / "a.json", base, base))
    b = compare_evals.joined(report(tmp_path / "b.json", other, other))
    d = compare_evals.paired(a, b)
    assert d["mss"] == (1, 6) and d["logmel_l1"] == (1, 6)
    ratio, lo, hi = d["median_mss_ratio"]
    assert abs(ratio - np.median(other) / 4.5) < 1e-12 and lo <= ratio <= hi and lo < hi
    assert compare_evals.paired(a, a)["median_mss_ratio"] == (1.0, 1.0, 1.0)
    compare_evals.main([f"a={tmp_path / 'a.json'}", f"b={tmp_path / 'b.json'}"])
    assert "b against a, clip by clip: closer on 1 and further on 6 by MSS" in capsys.readouterr().out
    short = compare_evals.joined(report(tmp_path / "c.json", base[:3], base[:3]))
    with pytest.raises(ValueError, match="not the same set"):
        compare_evals.paired(a, short)
