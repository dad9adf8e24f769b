"""How often `match` takes a single note for a phrase, and a phrase for a single note
(`phrase.notes_of`), as README "Phrases and loops" reports it.

Single notes: the first 80 clips of a version-3 uniform split (data/v3-val, `make v3-data`), 60
producer-sampler clips (seed 91), the other-synth sounds and the bundled examples, and every
fourth clip of the real-preset dev half (data/real-presets/all/dev). Phrases: 24 generated
6-note phrases (producer patches, seed 77; six of each style).

    .venv/bin/python tools/phrase_decision.py
"""

from __future__ import annotations

import collections
import glob

import numpy as np

from whispersynth import data, phrase, synth
from whispersynth.data import load_clips
from whispersynth.sampler import clip_rng, producer_patch


def main() -> None:
    taken, total, which = collections.Counter(), collections.Counter(), []

    def check(key: str, x: np.ndarray, name) -> None:
        total[key] += 1
        notes = phrase.notes_of(x)
        if notes is not None:
            taken[key] += 1
            which.append((key, name, phrase.describe(notes)))

    for i, x in enumerate(load_clips("data/v3-val", 80)[0]):
        check("version-3 uniform clips", x, i)
    renderer = synth.Renderer()
    for i in range(60):
        check("producer-sampler clips", data.draw_clip(renderer, 91, i, 3, "producer")[1], i)
    for f in sorted(glob.glob("evaluation/other-synths/*.flac")) + sorted(glob.glob("src/whispersynth/examples/*.flac")):
        check("other-synth sounds and examples", phrase.read_phrase(f), f)
    for f in sorted(glob.glob("data/real-presets/all/dev/*.flac"))[::4]:
        check("real-preset dev notes", phrase.read_phrase(f), f)
    print("single notes taken for phrases:", {k: f"{taken[k]} of {total[k]}" for k in total})
    for row in which:
        print("  ", row)
    found, styles = collections.Counter(), collections.Counter()
    for i in range(24):
        p, style = producer_patch(clip_rng(77, i)), phrase.STYLES[i % 4]
        truth = phrase.random_melody(np.random.default_rng([77, i]), p.note, style)
        styles[style] += 1
        found[style] += phrase.notes_of(phrase.render_phrase(p, truth)) is not None
    print("generated phrases taken for phrases:", {k: f"{found[k]} of {styles[k]}" for k in styles})


if __name__ == "__main__":
    main()
