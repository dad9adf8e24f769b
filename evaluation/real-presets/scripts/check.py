"""Check every clip: WhisperSynth's own loader reads it back (run with /work/main/.venv/bin/python), and summarise."""
import hashlib, json, sys
from collections import defaultdict
from pathlib import Path
import numpy as np, soundfile as sf
sys.path.insert(0, "/work/main/src")
from whispersynth import audio  # noqa: E402

root = Path(sys.argv[1] if len(sys.argv) > 1 else "out")
stats = defaultdict(lambda: defaultdict(list))
hashes = defaultdict(list)
for j in (j for j in sorted(root.glob("*/*/*.json")) if j.parts[-3] != "all"):
    m = json.loads(j.read_text()); f = j.with_suffix(".flac")
    x, r = sf.read(f, dtype="float32")
    y = audio.load(f)  # the project's loader: mono, 16 kHz, trimmed at its onset, peak -1 dBFS
    s = stats[m["engine"]]; me = m["measures"]
    s["n"].append(1); s["bytes"].append(f.stat().st_size)
    s["loader_trim_ms"].append(1000 * audio.onset_index(x, window=256) / r)
    s["same_as_loader"].append(float(np.abs(x - y).max() < 2e-4))
    s["ok_format"].append(float(r == 16000 and x.ndim == 1 and len(x) == 48000 and abs(20*np.log10(np.abs(x).max()) + 1) < 0.05))
    s["ended_before_off"].append(float(me["rms_before_note_off_db_re_peak"] < -40))
    s["sounding_at_end"].append(float(me["rms_clip_end_db_re_peak"] > -40))
    s["slow_onset_gt_10ms"].append(float(me["onset_ms"] > 10))
    s["native_peak_dbfs"].append(me["native_peak_dbfs"])
    if "side_to_mid_db" in me:
        s["wide_side_gt_-10dB"].append(float(me["side_to_mid_db"] > -10))
    hashes[hashlib.sha1(np.round(x, 3).tobytes()).hexdigest()].append(f.name)
for e, s in stats.items():
    print(f"{e:12s} n={len(s['n']):3d} {sum(s['bytes'])/1e6:5.2f} MB (mean {np.mean(s['bytes'])/1e3:.0f} KB) "
          f"format ok {np.mean(s['ok_format']):.0%}, loader==file {np.mean(s['same_as_loader']):.0%}, "
          f"loader trim median {np.median(s['loader_trim_ms']):.2f} ms max {np.max(s['loader_trim_ms']):.1f} ms; "
          f"slow onset>10ms {np.mean(s['slow_onset_gt_10ms']):.0%}; ended before note-off {np.mean(s['ended_before_off']):.0%}; "
          f"still sounding at 3 s {np.mean(s['sounding_at_end']):.0%}; "
          + (f"wide stereo {np.mean(s['wide_side_gt_-10dB']):.0%}; " if s['wide_side_gt_-10dB'] else "")
          + f"native peak {np.min(s['native_peak_dbfs'])}..{np.max(s['native_peak_dbfs'])} dBFS")
dup = [v for v in hashes.values() if len(v) > 1]
print("identical clips:", len(dup), dup[:5])
