"""Honest evaluation: how a system's matches *sound* next to the input, and how close each field is.

A system turns standard clips into patches: the network alone (greedy), `match` (the network's
candidates ranked by audio distance, with the options the CLI uses), and the baselines a
network must beat: a random patch, the training set's mean/mode patch, and the nearest
training clip in log-mel space. Each match is rendered the
standard way and compared with the input by every audio distance of `metrics` (MSS first);
where the truth is known (a generated test split), per-field errors are given overall and on
the audible subset. The report is JSON + Markdown + a plot.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from . import audio, metrics, synth
from . import model as M
from .data import DataError, iter_rows, load_clips, read_spec
from .errors import AudioError, SettingsError, WhisperSynthError
from .features import front_end
from .files import atomic_path, write_text
from .match import FAR, MatchOptions, collect_inputs, find, load_model
from .sampler import clip_rng, sample_patch
from .spec import FIELDS, Field, Patch, null_rule, off_value, table
from .synth import VITAL_INIT

System = Callable[[np.ndarray], list]  # clips (n, 48000) -> one Patch (or None if invalid) per clip


# ---------------------------------------------------------------- systems


def network(model, vocab, batch: int = 32) -> System:
    """The network alone: greedy constrained decoding, batched (None where a sequence does not decode)."""

    def run(clips: np.ndarray) -> list:
        out = []
        for i in range(0, len(clips), batch):
            for seq in M.generate_ids(model, vocab, clips[i : i + batch])[0]:
                try:
                    out.append(vocab.decode(seq))
                except WhisperSynthError:  # counted as invalid output
                    out.append(None)
        return out

    return run


def matched(model, vocab, options: MatchOptions, pool=None, progress: bool = False) -> System:
    """What `match` writes as NAME.txt with these options (match.find's best candidate)."""
    from tqdm import tqdm

    def run(clips: np.ndarray) -> list:
        return [find(c, model, vocab, options, pool)[0][0].patch
                for c in tqdm(clips, desc="match", unit="clip", disable=not progress)]

    return run


def search_only(renders: int | None, seconds: float | None = None, seed: int = 54321, pool=None,
                progress: bool = False) -> System:
    """CMA-ES alone: from a random patch (its choices fixed), with the same budget."""
    from tqdm import tqdm

    from .refine import refine

    def run(clips: np.ndarray) -> list:
        return [refine(c, [sample_patch(clip_rng(seed, i))], renders=renders, seconds=seconds, pool=pool).patch
                for i, c in enumerate(tqdm(clips, desc="search only", unit="clip", disable=not progress))]

    return run


def init_patch(notes: list[int]) -> System:
    """Vital's init patch at each clip's played note (a folder's sounds.json says it)."""
    return lambda clips: [VITAL_INIT.replace(note=int(n)) for n in notes[: len(clips)]]


def random_patch(seed: int = 12345) -> System:
    """A random patch from the training sampler per clip (its own seed, not the data's)."""
    return lambda clips: [sample_patch(clip_rng(seed, i)) for i in range(len(clips))]


def typical_patch(train: str | Path, limit: int = 20000) -> Patch:
    """The training set's mode (categories) / median (numbers) patch, applicable fields only."""
    rows = list(_label_rows(train, limit))
    values: dict = {}
    for f in FIELDS:
        seen = [r.get(f.name, off_value(f)) for r in rows if _applies(f, values, r)]
        rule = null_rule(f, values)
        if f.error == "exact":
            values[f.name] = Counter(seen).most_common(1)[0][0]
        elif rule is True or (f.version > 1 and 2 * seen.count(off_value(f)) > len(seen)):
            values[f.name] = off_value(f)  # absent, or a version-2 line off in most clips
        else:
            finite = [v for v in seen if v is not None and not math.isinf(v)]
            values[f.name] = float(np.median(finite)) if f.kind not in ("int", "hz", "note") else int(np.median(finite))
    return Patch(**values)


def _label_rows(folder, limit):
    columns = [f.name for f in table(read_spec(folder).version)]
    for i, row in enumerate(iter_rows(Path(folder), columns=columns)):
        if i >= limit:
            break
        yield row


def _applies(f: Field, values: dict, row: dict) -> bool:
    """Rows that agree with the choice a field's value depends on (spec.Field.given)."""
    return f.given is None or values.get(f.given) is None or row[f.given] == values[f.given]


def mean_mode(train: str | Path) -> System:
    p = typical_patch(train)
    return lambda clips: [p] * len(clips)


class NearestNeighbour:
    """The training clip nearest in log-mel space (L2 over the pooled log-mel the model sees)."""

    def __init__(self, train: str | Path, limit: int = 20000, pool: int = 2, chunk: int = 512) -> None:
        self.logmel = front_end(pool)
        clips, self.patches = load_clips(train, limit)
        feats = [self._features(clips[i : i + chunk]) for i in range(0, len(clips), chunk)]
        self.bank = torch.cat(feats)
        self.norms = (self.bank.float() ** 2).sum(1)

    @torch.inference_mode()
    def _features(self, clips: np.ndarray) -> torch.Tensor:
        return self.logmel(torch.from_numpy(np.asarray(clips, np.float32))).flatten(1).half()

    @torch.inference_mode()
    def __call__(self, clips: np.ndarray) -> list:
        q = self._features(clips).float()
        d = self.norms[None] - 2 * q @ self.bank.float().T  # + |q|^2, the same for every candidate
        return [self.patches[int(i)] for i in d.argmin(1)]


# ---------------------------------------------------------------- scoring


@dataclass
class Result:
    """One system's figures on one set of clips."""

    name: str
    valid_rate: float
    audio: dict[str, dict[str, float]]  # metric -> {median, mean}
    fields: dict[str, float] = field(default_factory=dict)  # overall
    fields_audible: dict[str, float] = field(default_factory=dict)
    fields_by_ear: dict[str, float] = field(default_factory=dict)  # see by_ear
    mss: list[float] = field(default_factory=list)  # per clip, for plots
    logmel: list[float] = field(default_factory=list)  # per clip, for the groups of a folder of sounds


def render_all(patches: list, n: int) -> np.ndarray:
    """Standard renders of the patches (silence for an invalid or silent one)."""
    out = np.zeros((len(patches), n), np.float32)
    for i, p in enumerate(patches):
        if p is None:
            continue
        try:
            out[i] = synth.render(p)[:n]
        except AudioError:
            pass  # renders silent: it stays zeros and scores as the poor match it is
    return out


# "By ear": a field counts as right when putting the true value into the match changes the
# match's render by less than this MSS. 0.02 is a fifth of the default match's median distance
# to its input (0.097 on the test split): a change that small is lost in the rest of the
# mismatch, while every field that is wrong in a way a listener can hear moves the render more.
EAR_MSS = 0.02


def with_true(pred: Patch, true: Patch, f: Field) -> Patch:
    """`pred` with `f` set to the true value, and the fields the rules tie to it (detune to
    voices, cutoff to filter, the LFO's rate and depth to its target) following as needed."""
    values = pred.values()
    values[f.name] = getattr(true, f.name)
    for g in pred.FIELDS:
        rule, value = null_rule(g, values), values[g.name]
        if g.given == f.name or (rule is True and value != off_value(g)) or (rule is False and value is None):
            values[g.name] = getattr(true, g.name)
    return type(pred)(**values)


def by_ear(pred: Patch, rendered: np.ndarray, true: Patch, threshold: float = EAR_MSS) -> dict[str, float]:
    """Per field, 1 if the match has the true value or fixing it is inaudible (see EAR_MSS), else 0;
    NaN for a value one of the two patches does not have (its choice field is scored instead)."""
    out = {}
    for f in pred.FIELDS:
        p, t = getattr(pred, f.name), getattr(true, f.name)
        if p == t:
            out[f.name] = 1.0
            continue
        if f.error != "exact" and (p is None or t is None):
            out[f.name] = math.nan
            continue
        try:
            distance = float(metrics.mss(rendered, synth.render(with_true(pred, true, f)))[0])
        except (AudioError, SettingsError):  # silent, or a combination the rules forbid: a real change
            distance = math.inf
        out[f.name] = float(distance < threshold)
    return out


def split_fields(truth: list) -> tuple[Field, ...]:
    """The fields a split uses: version 1's, and each later one on in some clip (a version-1
    split's reports leave the version-2 lines out)."""
    return tuple(f for f in FIELDS if f.version == 1 or any(getattr(t, f.name) != off_value(f) for t in truth))


def score(name: str, clips: np.ndarray, patches: list, truth: list | None, batch: int = 64,
          ear: bool = False) -> Result:
    valid = [p is not None for p in patches]
    renders = render_all(patches, clips.shape[1])
    per_clip: dict[str, list] = {}
    for i in range(0, len(clips), batch):
        for k, v in metrics.audio_distances(clips[i : i + batch], renders[i : i + batch]).items():
            per_clip.setdefault(k, []).extend(np.asarray(v, float).tolist())
    summary = {k: {"median": float(np.median(v)), "mean": float(np.mean(v))} for k, v in per_clip.items()}
    result = Result(name, float(np.mean(valid)), summary, mss=per_clip["mss"], logmel=per_clip["logmel_l1"])
    if truth is not None:
        pairs = [(p, t) for p, t in zip(patches, truth) if p is not None]
        rows = [metrics.field_errors(p, t) for p, t in pairs]
        heard = [metrics.audible_only(errors, t) for errors, (_, t) in zip(rows, pairs)]
        used = split_fields(truth)
        result.fields, result.fields_audible = metrics.summarize(rows, used), metrics.summarize(heard, used)
        if ear:
            ears = [by_ear(p, r, t) for p, r, t in zip(patches, renders, truth) if p is not None]
            result.fields_by_ear = {f"{k}_by_ear": float(np.nanmean([e[k] for e in ears])) for k in ears[0]
                                    if not all(math.isnan(e[k]) for e in ears)}
    return result


@dataclass
class Report:
    source: str
    clips: int
    results: list[Result]
    extra: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"source": self.source, "clips": self.clips, **self.extra,
                "systems": {r.name: {k: v for k, v in r.__dict__.items() if k not in ("name", "mss", "logmel")}
                            for r in self.results},
                "per_clip": {r.name: {"mss": r.mss, "logmel_l1": r.logmel} for r in self.results}}

    def markdown(self) -> str:
        names = list(metrics.AUDIO_METRICS)
        lines = [f"# Evaluation on {self.source} ({self.clips} clips)", "",
                 "Audio distances between each input and the standard render of its match (median over "
                 "clips; lower is better except rms_cosine). MSS is the primary figure.", "",
                 "| system | valid | " + " | ".join(names) + " |", "|---" * (len(names) + 2) + "|"]
        for r in self.results:
            lines.append(f"| {r.name} | {r.valid_rate:.1%} | "
                         + " | ".join(f"{r.audio[k]['median']:.3f}" for k in names) + " |")
        if self.results and self.results[0].fields:
            keys = list(self.results[0].fields)
            for title, attr in (("Per field, all clips", "fields"), ("Per field, audible subset", "fields_audible")):
                lines += ["", f"## {title}", "", "Accuracy (`_acc`, `note_*`: higher is better) or median "
                          "error (`_median_err`: st for note/cutoff/detune, % for times and LFO rate, dB for "
                          "sustain; lower is better).", "",
                          "| field | " + " | ".join(r.name for r in self.results) + " |",
                          "|---" * (len(self.results) + 1) + "|"]
                lines += self._field_rows(keys, attr)
        if self.extra.get("groups"):
            lines += self._group_rows(self.extra["groups"])
        if self.results and self.results[0].fields_by_ear:
            lines += ["", "## Per field, by ear", "", f"Share of clips where the field is right or fixing it changes "
                      f"the match's render by less than {EAR_MSS} MSS (`evaluate.by_ear`).", "",
                      "| field | " + " | ".join(r.name for r in self.results) + " |",
                      "|---" * (len(self.results) + 1) + "|"]
            lines += self._field_rows(list(self.results[0].fields_by_ear), "fields_by_ear")
        return "\n".join(lines) + "\n"

    def _group_rows(self, groups: dict[str, list[int]]) -> list[str]:
        """Per group of clips (a folder's sounds.json): mean log-mel L1 and median MSS of each system."""
        lines = ["", "## By group", "", "Mean log-mel L1 / median MSS over the clips of each group (sounds.json).", "",
                 "| group | clips | " + " | ".join(r.name for r in self.results) + " |",
                 "|---" * (len(self.results) + 2) + "|"]
        for label, idx in sorted(groups.items()):
            cells = [f"{np.mean([r.logmel[i] for i in idx]):.3f} / {np.median([r.mss[i] for i in idx]):.3f}"
                     for r in self.results]
            lines.append(f"| {label} | {len(idx)} | " + " | ".join(cells) + " |")
        return lines

    def _field_rows(self, keys: list[str], attr: str) -> list[str]:
        rows = []
        for k in keys:
            cells = [getattr(r, attr).get(k) for r in self.results]
            rows.append(f"| {k} | " + " | ".join("–" if c is None else f"{c:.3g}" for c in cells) + " |")
        return rows


def evaluate(clips: np.ndarray, truth: list | None, systems: dict[str, System], source: str,
             progress: bool = True, ear: bool = False, groups: dict[str, list[int]] | None = None) -> Report:
    from tqdm import tqdm

    results = []
    for name, system in tqdm(systems.items(), desc="systems", unit="system", disable=not progress):
        results.append(score(name, clips, system(clips), truth, ear=ear))
    return Report(source, len(clips), results, {"groups": groups} if groups else {})


def load_test_set(folder: str | Path, limit: int) -> tuple[np.ndarray, list]:
    """A generated split: its clips and true patches (DataError if it is not a dataset)."""
    if not (Path(folder) / "dataset.json").is_file():
        raise DataError(f"{folder}: not a dataset folder (no dataset.json)")
    return load_clips(folder, limit)


def load_sounds(folder: str | Path, limit: int) -> tuple[np.ndarray, list[str]]:
    """Every readable sound of a folder as standard clips (unreadable ones are skipped, named)."""
    clips, names = [], []
    for f in collect_inputs([Path(folder)])[:limit]:
        try:
            clips.append(audio.load(f))
            names.append(f.name)
        except AudioError as e:
            print(f"skipped: {e}")
    if not clips:
        raise AudioError(f"{folder}: no readable sounds")
    return np.stack(clips), names


def sound_info(folder: str | Path, names: list[str]) -> list[dict]:
    """Each sound's entry in the folder's sounds.json ({file name: {"note": MIDI, "groups": [...]}},
    optional); DataError if it is there but unreadable."""
    path = Path(folder) / "sounds.json"
    if not path.is_file():
        return [{} for _ in names]
    try:
        info = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise DataError(f"{path}: not a readable sounds.json ({e})") from None
    if not isinstance(info, dict) or not all(isinstance(v, dict) for v in info.values()):
        raise DataError(f"{path}: expected {{file name: {{\"note\": ..., \"groups\": [...]}}}}")
    return [info.get(n, {}) for n in names]


def groups_of(info: list[dict]) -> dict[str, list[int]]:
    """Clip indices by each group label the sounds name."""
    out: dict[str, list[int]] = {}
    for i, entry in enumerate(info):
        for label in entry.get("groups", []):
            out.setdefault(label, []).append(i)
    return out


def write_report(report: Report, out: str | Path) -> list[Path]:
    """report.json, report.md and mss.png (the per-clip MSS of every system) in `out`."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_text(out / "report.json", json.dumps(report.to_json(), indent=1) + "\n")
    write_text(out / "report.md", report.markdown())
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(1.6 + 1.4 * len(report.results), 3.6))
    ax.boxplot([r.mss for r in report.results], showfliers=False)
    ax.set_xticks(range(1, len(report.results) + 1), [r.name for r in report.results], rotation=20)
    ax.set_ylabel("MSS to the input (lower is better)")
    ax.set_title(f"{report.source}: {report.clips} clips")
    fig.tight_layout()
    with atomic_path(out / "mss.png") as tmp:
        fig.savefig(tmp, dpi=90, format="png")
    plt.close(fig)
    return [out / "report.json", out / "report.md", out / "mss.png"]


def systems_for(model_dir, train: str | Path | None, baselines: bool, searches: list[MatchOptions], nn_limit: int,
                pool=None) -> dict[str, System]:
    """The systems to score: the network alone, `match` with each of `searches` (and, for the
    first, with its refinement if it refines, beside search alone at the same budget), and the
    baselines."""
    net, vocab = load_model(model_dir)
    found: dict[str, System] = {"network": network(net, vocab)}  # greedy
    for options in searches:
        if options.candidates > 1:
            by = {"mss": "MSS", "mss-logmel": "MSS x log-mel", "auto": f"MSS, x log-mel past {FAR}"}[options.ranking]
            bank = "the bank" if options.bank is None else Path(options.bank).name
            more = ("" if options.floor else ", no floor") + (f", {options.retrieve} from {bank}" if options.retrieve else "")
            name = f"match ({options.search}, {options.candidates} candidates{more} ranked by {by})"
            found[name] = matched(net, vocab, replace(options, refine=False), pool)
    if searches[0].refine:
        found["match --refine"] = matched(net, vocab, searches[0], pool, progress=True)
        found["search only"] = search_only(searches[0].renders, searches[0].seconds, pool=pool, progress=True)
    if baselines:
        found["random"] = random_patch()
        if train is not None:  # the training set's own baselines
            found["mean/mode"] = mean_mode(train)
            found["nearest neighbour"] = NearestNeighbour(train, nn_limit)
    return found
