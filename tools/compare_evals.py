"""Compare the default match of several `evaluate` reports on the same set, side by side: mean
log-mel L1 and median MSS overall and per group (sounds.json), and the clips where the match is
further from the input than Vital's init patch at the played note (by log-mel), as the model
card reports them.

    .venv/bin/python tools/compare_evals.py NAME=runs/eval-a/report.json NAME2=runs/eval-b/report.json

A report given as A+B (several joined by "+") is the sets scored as one (e.g. the other-synth sounds
and random draws of the same generators); its groups are dropped.

Below the table, each report against the first, clip by clip (the same clips in the same order):
on how many clips it is closer and further by MSS and by log-mel, and the ratio of the median MSS
with a bootstrap 90 % interval (2 000 resamples of the clips, seed 0), which says how far a
"no more than 5 % worse by median MSS" guard on that many clips can be trusted.
"""

from __future__ import annotations

import json
import sys

import numpy as np

INIT = "Vital init (played note)"


def match_system(report: dict) -> str:
    return next(s for s in report["per_clip"] if s.startswith("match"))


def figures(report: dict, clips: list[int] | None = None) -> tuple[float, float, int | None]:
    per = report["per_clip"][match_system(report)]
    idx = list(range(len(per["mss"]))) if clips is None else clips
    logmel, mss = np.asarray(per["logmel_l1"])[idx], np.asarray(per["mss"])[idx]
    further = None
    if INIT in report["per_clip"]:
        further = int(np.sum(logmel > np.asarray(report["per_clip"][INIT]["logmel_l1"])[idx]))
    return float(np.mean(logmel)), float(np.median(mss)), further


def joined(paths: str) -> dict:
    """One report, or several (A+B+...) joined clip after clip: the systems all of them scored."""
    parts = [json.load(open(p)) for p in paths.split("+")]
    if len(parts) == 1:
        return parts[0]
    per_clip = {s: {m: sum((r["per_clip"][s][m] for r in parts), []) for m in parts[0]["per_clip"][s]}
                for s in parts[0]["per_clip"] if all(s in r["per_clip"] for r in parts)}
    return {"source": paths, "per_clip": per_clip}


def paired(base: dict, other: dict, resamples: int = 2000) -> dict:
    """`other`'s match against `base`'s on the same clips: clips closer / further by each distance, the
    median MSS ratio and its bootstrap 90 % interval (the clips resampled together, seed 0)."""
    a, b = (report["per_clip"][match_system(report)] for report in (base, other))
    if len(a["mss"]) != len(b["mss"]):
        raise ValueError(f"{len(a['mss'])} clips against {len(b['mss'])}: not the same set")
    out = {}
    for metric in ("mss", "logmel_l1"):
        x, y = np.asarray(a[metric]), np.asarray(b[metric])
        out[metric] = (int(np.sum(y < x)), int(np.sum(y > x)))
    x, y = np.asarray(a["mss"]), np.asarray(b["mss"])
    idx = np.random.default_rng(0).integers(0, len(x), (resamples, len(x)))
    boot = np.median(y[idx], axis=1) / np.median(x[idx], axis=1)
    out["median_mss_ratio"] = (float(np.median(y) / np.median(x)), *map(float, np.percentile(boot, [5, 95])))
    return out


def main(args: list[str]) -> None:
    reports = {name: joined(path) for name, path in (a.split("=", 1) for a in args)}
    names = list(reports)
    first = reports[names[0]]
    print("| group | clips | " + " | ".join(f"{n}: mean log-mel / median MSS / further than init" for n in names) + " |")
    print("|---|---|" + "---|" * len(names))
    rows = [("all", None)] + sorted(first.get("groups", {}).items())
    for group, clips in rows:
        cells = []
        for n in names:
            lm, ms, fu = figures(reports[n], clips)
            cells.append(f"{lm:.3f} / {ms:.3f}" + (f" / {fu}" if fu is not None else ""))
        count = len(clips) if clips is not None else len(first["per_clip"][match_system(first)]["mss"])
        print(f"| {group} | {count} | " + " | ".join(cells) + " |")
    for n in names[1:]:
        try:
            d = paired(first, reports[n])
        except ValueError as e:
            print(f"\n{n} against {names[0]}: no clip-by-clip comparison ({e})")
            continue
        (mc, mf), (lc, lf), (r, lo, hi) = d["mss"], d["logmel_l1"], d["median_mss_ratio"]
        print(f"\n{n} against {names[0]}, clip by clip: closer on {mc} and further on {mf} by MSS, closer on {lc} "
              f"and further on {lf} by log-mel; median MSS x{r:.3f} (bootstrap 90 % interval x{lo:.3f} to x{hi:.3f})")


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except (OSError, ValueError, KeyError, StopIteration) as e:  # a missing, unreadable or foreign report
        print(f"compare_evals: {type(e).__name__}: {e} (give NAME=report.json[+report.json] of `whispersynth evaluate`)",
              file=sys.stderr)
        sys.exit(2)
