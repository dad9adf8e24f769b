"""Learn from the search: where `match --refine` finds a patch far closer to a sound than the
network's own guess, that (sound, patch) pair is a training example no sampler draws.

`harvest` runs the refined match on each sound of a folder (sounds from outside the training
distribution: other engines with random settings, the other-synth generators; never factory
presets, which are for evaluation only), logs every result in `harvest.jsonl`, and keeps a pair
when the search closed at least `min_gain` of the network's distance (MSS): the sound as analysed
(`NAME.wav`, the standard clip) with the patch found (`NAME.txt`), and the patch's own Vital render
with the same patch (`NAME.render.wav`/`.txt`), in `pairs/`, the original project's layout. The
pairs are then read into a training set (`set/`, see pairs.import_pairs). A killed run resumes: a
sound already in the log is not matched again.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from . import audio, settings
from .errors import AudioError
from .files import append_line, write_text
from .match import MatchOptions, find
from .pairs import ImportReport, import_pairs

LOG = "harvest.jsonl"


@dataclass(frozen=True)
class Harvested:
    """One sound's result: the network's distance, the search's, and whether the pair was kept."""

    name: str
    guess: float  # MSS of the network's best candidate (the default match's answer)
    found: float  # MSS of the refined patch
    kept: bool
    text: str = ""  # the patch found (kept pairs only)

    @property
    def gain(self) -> float:
        """The share of the network's distance the search closed."""
        return 1 - self.found / self.guess if self.guess > 0 else 0.0


def read_log(out: Path) -> dict[str, Harvested]:
    """The sounds already harvested into `out` (a half-written last line, from a killed run, is ignored)."""
    done = {}
    path = Path(out) / LOG
    if path.exists():
        for line in path.read_text().splitlines():
            try:
                h = Harvested(**json.loads(line))
            except (json.JSONDecodeError, TypeError):
                continue
            done[h.name] = h
    return done


def harvest_one(path: Path, out: Path, net, vocab, options: MatchOptions, pool, min_gain: float) -> Harvested:
    """Match one sound with the search; keep its pair (and the patch's render) when the search
    closed at least `min_gain` of the network's distance."""
    clip = audio.load(path)
    found, guess = find(clip, net, vocab, replace(options, refine=True), pool)
    best = found[0]
    h = Harvested(path.stem, round(guess.distance, 5), round(best.distance, 5), False)
    if h.gain >= min_gain:
        pairs = out / "pairs"
        pairs.mkdir(parents=True, exist_ok=True)
        text = settings.format(best.patch)
        for stem, sound in ((path.stem, clip), (f"{path.stem}.render", best.render)):
            audio.write_wav(pairs / f"{stem}.wav", sound, audio.SAMPLE_RATE)
            write_text(pairs / f"{stem}.txt", text)  # the .txt last: a pair is whole once it exists
        h = replace(h, kept=True, text=text)
    append_line(out / LOG, json.dumps(asdict(h)))
    return h


def harvest(files: list[Path], out: Path, net, vocab, options: MatchOptions, pool=None, min_gain: float = 0.25,
            on_error=print, progress=None) -> tuple[list[Harvested], int]:
    """Harvest every sound of `files` not yet in `out`'s log; returns the results of those files
    (old and new) and how many could not be read (each reported through `on_error`)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    done, failed = read_log(out), 0
    for path in files:
        if path.stem in done:
            continue
        try:
            done[path.stem] = harvest_one(path, out, net, vocab, options, pool, min_gain)
        except AudioError as e:
            on_error(str(e))
            failed += 1
        if progress is not None:
            progress(done.get(path.stem))
    return [done[f.stem] for f in files if f.stem in done], failed


def to_dataset(out: Path, results: list[Harvested]) -> ImportReport:
    """Read the kept pairs of `results` (not any other file in `out/pairs`) into `out/set`, a
    training set made afresh each time."""
    out = Path(out)
    shutil.rmtree(out / "set", ignore_errors=True)
    kept = {stem for h in results if h.kept for stem in (h.name, f"{h.name}.render")}
    return import_pairs(out / "pairs", out / "set", only=kept)


def summary(results: list[Harvested]) -> str:
    kept = [h for h in results if h.kept]
    if not results:
        return "no sounds harvested"
    gains = sorted(h.gain for h in results)
    return (f"{len(results)} sound{'s' * (len(results) != 1)}, {len(kept)} pairs kept; the search closed a median "
            f"{100 * gains[len(gains) // 2]:.0f} % of the network's distance (MSS)")
