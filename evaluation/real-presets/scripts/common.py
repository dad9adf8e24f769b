"""Shared by every engine's script: a seeded draw of (preset, note), the standard clip, FLAC + JSON, a dev/test split.

The standard clip follows WhisperSynth's convention (src/whispersynth/audio.py): mono (mean of the
channels), 16 kHz (soxr HQ), 3.0 s from note-on, peak -1 dBFS. Every render here starts its note-on
at sample 0, so the clip is cut at 0 (not at a detected onset); the onset WhisperSynth's loader would
find is recorded in the sidecar as a check.
"""
from __future__ import annotations

import json
import os
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

SAMPLE_RATE, CLIP_SECONDS, PEAK_DB, SILENT_DB = 16000, 3.0, -1.0, -60.0
CLIP_SAMPLES = int(SAMPLE_RATE * CLIP_SECONDS)
HOLD, TOTAL, RENDER_TOTAL, VELOCITY = 2.0, 3.0, 3.1, 100  # the render runs 0.1 s past the clip (resampler edge)
ROOT = Path(__file__).resolve().parent.parent
OUT = Path(os.environ.get("REAL_PRESETS_OUT", ROOT.parents[1] / "data" / "real-presets"))  # generated: data/ is ignored


def onset_index(x: np.ndarray, window: int = 256) -> int:
    """WhisperSynth's audio.onset_index (copied): where its loader would say the note starts."""
    a = np.abs(np.asarray(x, dtype=np.float64))
    peak = a.max()
    c = np.concatenate([[0.0], np.cumsum(a * a)])
    stop = np.minimum(np.arange(a.size) + window, a.size)
    rms = np.sqrt(np.maximum(c[stop] - c[:-1], 0.0) / (stop - np.arange(a.size)))
    coarse = int(np.argmax(rms >= peak * 10 ** (-40 / 20)))
    lead = rms[: max(coarse - window, 0)]
    floor = min(max(peak * 10 ** (-80 / 20), 4.0 * lead.min() if lead.size else 0.0), peak * 10 ** (-40 / 20))
    quiet = np.nonzero(rms[:coarse] < floor)[0]
    start = int(quiet[-1]) + 1 if quiet.size else 0
    return start + int(np.argmax(a[start:] >= floor))


def _db(v: float) -> float:
    return round(20 * float(np.log10(max(v, 1e-12))), 1)


def to_clip(audio: np.ndarray, rate: int) -> tuple[np.ndarray | None, dict]:
    """(frames, channels) float audio with note-on at 0 -> (standard clip or None if silent, measurements)."""
    audio = np.asarray(audio, np.float64)
    audio = audio[:, None] if audio.ndim == 1 else audio
    mono = audio.mean(axis=1)
    peak = float(np.abs(mono).max()) if mono.size else 0.0
    rms = lambda x: float(np.sqrt(np.mean(np.square(x)))) if x.size else 0.0
    info = {"native_rate": rate, "native_channels": audio.shape[1], "native_peak_dbfs": _db(peak)}
    if audio.shape[1] == 2:
        mid, side = rms(mono), rms((audio[:, 0] - audio[:, 1]) / 2)
        info["side_to_mid_db"] = round(_db(side) - _db(mid), 1)  # stereo width that the mono fold-down drops
        info["mono_loss_db"] = round(_db(mid) - _db(rms(audio)), 1)  # mono RMS vs the channels' RMS
    if peak < 10 ** (SILENT_DB / 20):
        return None, info
    seg = lambda t0, t1: _db(rms(mono[int(t0 * rate): int(t1 * rate)]) / peak)
    info["onset_ms"] = round(1000 * onset_index(mono, window=max(16, round(256 * rate / SAMPLE_RATE))) / rate, 2)
    info["rms_first_10ms_db_re_peak"] = seg(0, 0.01)
    info["rms_before_note_off_db_re_peak"] = seg(HOLD - 0.1, HOLD)  # < -40: the sound ended before note-off
    info["rms_clip_end_db_re_peak"] = seg(TOTAL - 0.1, TOTAL)  # > -40: still sounding when the clip ends
    x = soxr.resample(mono[: int(RENDER_TOTAL * rate)], rate, SAMPLE_RATE, quality="HQ") if rate != SAMPLE_RATE else mono
    clip = np.pad(x[:CLIP_SAMPLES], (0, max(0, CLIP_SAMPLES - x.size)))
    clip = clip * (10 ** (PEAK_DB / 20) / np.abs(clip).max())
    return clip.astype(np.float32), info


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "x"


def run(engine: str, candidates: list[dict], render, n: int, seed: int, out: Path, common_meta: dict,
        workers: int = 2, group_key=None) -> dict:
    """Render candidates in order (in parallel), keep the first n that are not silent, split dev/test.

    candidates: dicts with at least preset (a dict), note; render(c) -> list of (variant, audio, rate, extra).
    group_key(c): clips of one candidate (e.g. effects on/off) always land in the same split."""
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    kept, rejected = [], []

    def job(c):
        t = time.time()
        try:
            return c, render(c), time.time() - t, None
        except Exception as e:  # a preset that fails to render is reported, not fatal
            return c, None, time.time() - t, repr(e)

    with ThreadPoolExecutor(workers) as pool:
        i = 0
        while len(kept) < n and i < len(candidates):
            batch = candidates[i: i + max(workers * 4, n - len(kept))]
            i += len(batch)
            for c, variants, secs, err in pool.map(job, batch):
                if len(kept) >= n:
                    break
                if err:
                    rejected.append({**c, "why": err})
                    continue
                clips = [(v, *to_clip(a, r), extra) for v, a, r, extra in variants]
                if any(clip is None for _, clip, _, _ in clips):
                    rejected.append({**c, "why": "silent", "measures": [m for _, _, m, _ in clips]})
                    continue
                kept.append((c, clips, secs))
    order = np.random.default_rng(seed + 1).permutation(len(kept))
    split = {int(k): ("dev" if j < len(kept) // 2 else "test") for j, k in enumerate(order)}
    rows = []
    for k, (c, clips, secs) in enumerate(kept):
        for variant, clip, measures, extra in clips:
            name = f"{engine}-{k:03d}-{slug(c['preset']['name'])}" + (f"-{variant}" if variant else "")
            folder = out / split[k]
            folder.mkdir(exist_ok=True)
            sf.write(folder / f"{name}.flac", clip, SAMPLE_RATE, subtype="PCM_16", format="FLAC")
            meta = {"file": f"{name}.flac", "split": split[k], "engine": engine, **common_meta,
                    "preset": c["preset"], "note": c["note"], "velocity": VELOCITY,
                    "note_length_s": HOLD, "clip_seconds": TOTAL, "variant": variant, **extra,
                    "seed": seed, "draw_index": c["draw_index"], "measures": measures,
                    "render_seconds": round(secs, 3)}
            (folder / f"{name}.json").write_text(json.dumps(meta, indent=1) + "\n")
            rows.append(meta)
    summary = {"engine": engine, "seed": seed, "kept": len(kept), "clips": len(rows),
               "dev": sum(r["split"] == "dev" for r in rows), "test": sum(r["split"] == "test" for r in rows),
               "candidates_tried": len(kept) + len(rejected), "rejected": rejected,
               "seconds": round(time.time() - t0, 1),
               "bytes_flac": sum((out / r["split"] / r["file"]).stat().st_size for r in rows), **common_meta}
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(f"{engine}: {summary['clips']} clips ({summary['dev']} dev / {summary['test']} test) from "
          f"{summary['candidates_tried']} candidates, {len(rejected)} rejected, {summary['seconds']} s, "
          f"{summary['bytes_flac'] / 1e6:.2f} MB", file=sys.stderr)
    return summary


def draw(pool: list[dict], note_range, seed: int, limit: int | None = None) -> list[dict]:
    """A seeded order of the presets, each with a note drawn from its range."""
    rng = np.random.default_rng(seed)
    out = []
    for j, k in enumerate(rng.permutation(len(pool))[: limit or len(pool)]):
        lo, hi = note_range(pool[k])
        out.append({"preset": pool[k], "note": int(rng.integers(lo, hi + 1)), "draw_index": j})
    return out


def note_range_from_name(name: str, default=(36, 84)) -> tuple[int, int]:
    n = name.lower()
    if re.search(r"bass|sub|808|low", n):
        return (28, 55)
    if re.search(r"bell|glock|celest|chime|music ?box|marimba|vib|xylo|kalimba", n):
        return (55, 88)
    if re.search(r"pad|string|choir|vox|voice|organ|brass|horn", n):
        return (43, 79)
    if re.search(r"lead|flute|whistle|solo|sax|trump|clarinet|oboe", n):
        return (52, 84)
    return default
