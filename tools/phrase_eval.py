"""Measure phrase matching (docs: README "Phrases and loops"): note detection against the truth,
and the matched preset's distance on held-out notes when matched on the phrase vs on its first
note only (today's one-note match: the 3 s after the first onset).

Two sets of generated monophonic phrases, each of 8 notes in one of four styles (legato,
staccato, repeated notes, release tails overlapping the next note):
- vital: Vital renders of the producer sampler's patches (seed 90) playing random melodies;
- other: the pitched other-synth sounds (evaluation/make_other_synths.py) played as a sampler
  would, each note the sound transposed by resampling and gated at its length (10 ms fade).
Held-out notes are the true notes the phrase match neither listened to nor scored on; each is
compared within its own window (to the next onset) by MSS, as `phrase.note_distance`.

    .venv/bin/python tools/phrase_eval.py --n 12 --out runs/phrase-eval [--model DIR] [--workers 2] [--retrieve K] [--rank-by R]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import soxr

from whispersynth import audio, match, phrase
from whispersynth.sampler import clip_rng, producer_patch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "evaluation"))
import make_other_synths as other  # noqa: E402

PITCHED = {"moog-bass": 36, "fm-bell": 72, "fm-epiano": 60, "organ": 55, "pwm-lead": 67, "supersaw": 57,
           "acid-bass": 45, "filter-pluck": 59, "fifth-lead": 69, "ks-pluck": 64}  # each sound's MIDI note
NOTES = 8


def sampled(name: str, notes: list[phrase.Note]) -> np.ndarray:
    """A phrase from one other-synth sound: each note the sound moved by resampling to its pitch, gated."""
    base = other.SOUNDS[name]().astype(np.float64)
    centre = PITCHED[name]
    total = max(m.offset for m in notes) + 0.3
    out = np.zeros(int(total * audio.SAMPLE_RATE))
    for m in notes:
        ratio = 2 ** ((m.pitch - centre) / 12)  # played faster: higher
        note = soxr.resample(base, other.RATE * ratio, audio.SAMPLE_RATE, quality="HQ")
        n = min(int(m.length * audio.SAMPLE_RATE), note.size)
        fade = min(160, n)
        piece = note[:n].copy()
        piece[n - fade :] *= np.linspace(1, 0, fade)
        a = int(m.onset * audio.SAMPLE_RATE)
        out[a : a + n] += piece[: out.size - a] * 10 ** (m.level_db / 20)
    return (out * (audio.PEAK / np.abs(out).max())).astype(np.float32)


def nearest(truth: list[phrase.Note], m: phrase.Note) -> phrase.Note:
    return min(truth, key=lambda t: abs(t.onset - m.onset))


def held_out(truth: list[phrase.Note], found: list[phrase.Note], used: list[int]) -> list[int]:
    """True notes that no note the phrase match used (listened to or scored on) lies on (50 ms)."""
    onsets = [found[i].onset for i in used]
    return [i for i, m in enumerate(truth) if all(abs(m.onset - o) > 0.05 for o in onsets)]


def distance_on(x: np.ndarray, truth: list[phrase.Note], indices: list[int], p, ref: int) -> float:
    """Mean MSS of patch p on the true notes `indices`, p's Note line playing the true pitch `ref`."""
    ts = phrase.targets(x, truth, indices, ref)
    return float(np.mean([phrase.note_distance((t, p)) for t in ts]))


def one(x: np.ndarray, truth: list[phrase.Note], net, vocab, options, pool) -> dict:
    found = phrase.find_notes(x)
    row = {"truth": len(truth), "found": len(found), **phrase.note_scores(found, truth),
           **{f"octave_{k}": v for k, v in phrase.note_scores(found, truth, octave=True).items()}}
    if not phrase.is_phrase(found):
        return {**row, "phrase_match": False}
    t0 = time.perf_counter()
    pm = phrase.match_phrase(x, found, net, vocab, options, pool)
    row["phrase_seconds"] = time.perf_counter() - t0
    first = match.find(audio.standardize(x, audio.SAMPLE_RATE), net, vocab, options, pool)[0][0].patch
    hold = held_out(truth, found, sorted(set(pm.listened) | set(pm.scored)))
    if not hold:
        return {**row, "phrase_match": True, "held_out": 0}
    return {**row, "phrase_match": True, "held_out": len(hold),
            "phrase_distance": distance_on(x, truth, hold, pm.patch, nearest(truth, found[pm.scored[0]]).pitch),
            "first_note_distance": distance_on(x, truth, hold, first, truth[0].pitch)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=12, help="phrases per set")
    ap.add_argument("--out", type=Path, default=Path("runs/phrase-eval"))
    ap.add_argument("--model", default=None)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--retrieve", type=int, default=match.MatchOptions.retrieve,
                    help="the one-note match's bank patches (as match --retrieve; a phrase's match uses none)")
    ap.add_argument("--rank-by", default=match.MatchOptions.ranking, help="the one-note match's ranking (as match --rank-by)")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    options = match.MatchOptions(workers=args.workers, retrieve=args.retrieve, ranking=args.rank_by)
    net, vocab = match.load_model(args.model)
    rows = []
    with match.search_pool(options) as pool:
        for i in range(args.n):
            style = phrase.STYLES[i % len(phrase.STYLES)]
            rng = np.random.default_rng([90, i])
            p = producer_patch(clip_rng(90, i))
            truth = phrase.random_melody(rng, p.note, style, NOTES)
            rows.append({"set": "vital", "style": style, "i": i,
                         **one(phrase.render_phrase(p, truth), truth, net, vocab, options, pool)})
            name = list(PITCHED)[i % len(PITCHED)]
            truth = phrase.random_melody(rng, PITCHED[name], style, NOTES)
            rows.append({"set": "other", "sound": name, "style": style, "i": i,
                         **one(sampled(name, truth), truth, net, vocab, options, pool)})
            print(json.dumps(rows[-2]), json.dumps(rows[-1]), flush=True)
    (args.out / "rows.json").write_text(json.dumps(rows, indent=1) + "\n")
    lines = ["| set | style | phrases | note F1 | octave-tolerant F1 | precision | recall | held-out notes | "
             "phrase match closer | mean held-out MSS: phrase / first note |", "|" + "---|" * 10]
    for s in ("vital", "other"):
        for style in (*phrase.STYLES, "all"):
            rs = [r for r in rows if r["set"] == s and (style == "all" or r["style"] == style)]
            scored = [r for r in rs if r.get("held_out")]
            closer = sum(r["phrase_distance"] < r["first_note_distance"] for r in scored)
            lines.append(
                f"| {s} | {style} | {len(rs)} | {np.mean([r['f1'] for r in rs]):.2f} | "
                f"{np.mean([r['octave_f1'] for r in rs]):.2f} | {np.mean([r['precision'] for r in rs]):.2f} | "
                f"{np.mean([r['recall'] for r in rs]):.2f} | {sum(r.get('held_out', 0) for r in rs)} | "
                f"{closer} of {len(scored)} | "
                + (f"{np.mean([r['phrase_distance'] for r in scored]):.3f} / "
                   f"{np.mean([r['first_note_distance'] for r in scored]):.3f} |" if scored else "- |"))
    (args.out / "report.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
