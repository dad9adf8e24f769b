"""Search on top of the network: CMA-ES over the continuous fields, listening to its own renders.

The network's beams give the categorical choices (waveform, voices, filter type, LFO target)
and a starting point; CMA-ES (the `cma` package) then moves the continuous fields (times,
sustain, held length, cutoff, detune, LFO rate and depth) in a normalised space, each
candidate snapped to the format's grid before it is rendered, so the text returned renders
exactly what was scored. The objective is MSS between the input and the standard render.
One run per distinct categorical choice among the starts shares the budget. The start is
scored first, so a refinement never returns anything worse than where it began.
"""

from __future__ import annotations

import functools
import math
import multiprocessing as mp
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import metrics, synth
from .errors import AudioError
from .spec import FIELD, FIELDS, LFO_DEPTH_RANGE, Patch, off_value

FLOOR_DB = -60.0  # the search keeps sustain above this: lower is silence to the MSS as well
SIGMA0 = 0.07  # initial step in the unit cube: 0.28 decade of time, 8 semitones of cutoff


def _bounds(name: str, p: Patch) -> tuple[float, float, bool]:
    """(low, high, log?) of a searched field: its token range from the spec (0..1 spans it)."""
    f = FIELD[name]
    lo, hi = f.bins[0], f.bins[1]
    if name in ("sustain", "fenv_sustain"):
        lo = FLOOR_DB
    if name == "lfo_depth":
        hi = LFO_DEPTH_RANGE[p.lfo_target][1]
    return float(lo), float(hi), f.curve == "log"


SEARCHED = tuple(f.name for f in FIELDS if f.searched)


def free_fields(p: Patch) -> list[str]:
    """The continuous fields this patch's categorical choices leave open to search: those it
    has a value for (spec.null_rule makes the others absent) and that are on (turning a
    version-2 line on or off, e.g. noise at -inf dB, is a choice the search keeps)."""
    return [n for n in SEARCHED if getattr(p, n) is not None and getattr(p, n) != off_value(FIELD[n])]


def to_unit(p: Patch, names: list[str]) -> np.ndarray:
    out = []
    for n in names:
        lo, hi, log = _bounds(n, p)
        v = min(max(float(getattr(p, n)), lo), hi)  # -inf dB sustain starts at the floor
        out.append((math.log(v / lo) / math.log(hi / lo)) if log else (v - lo) / (hi - lo))
    return np.array(out)


def from_unit(base: Patch, names: list[str], x: np.ndarray) -> Patch:
    """A point of the unit cube -> a valid patch on the format's grid."""
    changes = {}
    for n, u in zip(names, np.clip(x, 0.0, 1.0)):
        lo, hi, log = _bounds(n, base)
        changes[n] = lo * (hi / lo) ** u if log else lo + (hi - lo) * u
    return base.replace(**changes)  # Patch snaps every value to the grid


# ---------------------------------------------------------------- scoring in worker processes


@functools.lru_cache(maxsize=2)
def _scorer(target: bytes) -> metrics.MssTo:
    return metrics.MssTo(np.frombuffer(target, np.float32).copy())  # one per input: its spectrograms once


def render_scored(job: tuple[np.ndarray, Patch]) -> tuple[np.ndarray | None, float]:
    """The standard render of a patch and its MSS to the target (None, inf for a silent render)."""
    target, p = job
    try:
        rendered = synth.render(p)
    except AudioError:
        return None, math.inf  # a silent render is as far as it gets
    return rendered, _scorer(np.asarray(target, np.float32).tobytes())(rendered)


def _distance(job: tuple[np.ndarray, Patch]) -> float:
    return render_scored(job)[1]


def _one_thread() -> None:
    import torch

    torch.set_num_threads(1)  # one process per core: threads inside them only contend


def render_pool(workers: int):
    """Worker processes that render and score (one synth each); None for in-process scoring."""
    return mp.get_context("spawn").Pool(workers, initializer=_one_thread) if workers > 1 else None


class Scorer:
    """MSS of patches to one target, rendered by a pool's processes (or in this process)."""

    def __init__(self, target: np.ndarray, pool=None) -> None:
        self.target, self.pool, self.renders = target, pool, 0

    def __call__(self, patches: list[Patch]) -> list[float]:
        self.renders += len(patches)
        jobs = [(self.target, p) for p in patches]
        if self.pool is None:
            return [_distance(j) for j in jobs]
        return self.pool.map(_distance, jobs, chunksize=1)  # one at a time: no worker waits on a slow chunk


# ---------------------------------------------------------------- the search


@dataclass
class Refined:
    patch: Patch
    distance: float
    start: Patch
    start_distance: float
    renders: int
    seconds: float
    history: list[tuple[float, int, float]]  # (seconds, renders, best distance so far)
    runs: dict[tuple, int]  # renders spent by the CMA-ES run of each categorical choice (categorical_key)


def categorical_key(p: Patch) -> tuple:
    """What the search keeps fixed: the choices, the voice count and the note."""
    return (p.waveform, p.voices, p.filter_type, p.lfo_target, p.note)


def refine(target: np.ndarray | None, starts: list[Patch], renders: int | None = None, seconds: float | None = None,
           pool=None, seed: int = 0, progress: Callable[[float, int], None] | None = None,
           scorer: Callable[[list[Patch]], list[float]] | None = None) -> Refined:
    """CMA-ES from each distinct categorical choice among `starts` (best first), within a budget
    of `renders` renders and/or `seconds` (match.MatchOptions has the defaults), rendering in
    `pool` (see render_pool) or in this process; returns the best patch found, never worse
    than the best start. `scorer` (with a `renders` count, as `Scorer`) replaces the MSS to
    `target`: a phrase scores a patch over several notes (phrase.PhraseScorer)."""
    import cma

    if renders is None and seconds is None:
        raise ValueError("refine needs a budget: renders or seconds")

    t0 = time.perf_counter()
    scorer = scorer if scorer is not None else Scorer(target, pool)
    workers = getattr(pool, "_processes", 1) if pool is not None else 1
    runs: dict[tuple, Patch] = {}
    for p in starts:
        runs.setdefault(categorical_key(p), p)
    first = list(runs.values())
    scores = scorer(first)
    best_i = int(np.argmin(scores))
    best, best_d = first[best_i], scores[best_i]
    start, start_d = best, best_d
    history = [(time.perf_counter() - t0, scorer.renders, best_d)]
    share_r = None if renders is None else max(0, renders - scorer.renders) / len(first)
    share_s = None if seconds is None else max(0.0, seconds - (time.perf_counter() - t0)) / len(first)
    runs: dict[tuple, int] = {}
    for k, base in enumerate(first):
        names = free_fields(base)
        run_t0, run_r0 = time.perf_counter(), scorer.renders
        es = cma.CMAEvolutionStrategy(
            to_unit(base, names), SIGMA0,
            {"bounds": [0.0, 1.0], "seed": seed + k + 1, "verbose": -9,
             "popsize": max(4 + int(3 * math.log(len(names))), 2 * workers)},
        )
        while not es.stop():
            if share_r is not None and scorer.renders - run_r0 >= share_r:
                break
            if share_s is not None and time.perf_counter() - run_t0 >= share_s:
                break
            xs = es.ask()
            patches = [from_unit(base, names, x) for x in xs]
            ds = scorer(patches)
            es.tell(xs, [d if math.isfinite(d) else 1e6 for d in ds])
            i = int(np.argmin(ds))
            if ds[i] < best_d:
                best, best_d = patches[i], ds[i]
            history.append((time.perf_counter() - t0, scorer.renders, best_d))
            if progress:
                progress(best_d, scorer.renders)
        runs[categorical_key(base)] = scorer.renders - run_r0
    return Refined(best, best_d, start, start_d, scorer.renders, time.perf_counter() - t0, history, runs)
