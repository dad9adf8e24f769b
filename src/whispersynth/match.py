"""The main job: a sound in, the settings that make it out, ranked by how they sound.

`find` listens (the network's candidates), renders each one, ranks them by the
multi-resolution STFT distance to the input (or by its product with the log-mel L1) and
optionally refines the best by search;
`write_match` writes what a producer takes away. `MatchOptions` is the one set of choices
(and defaults) the CLI, the app and `evaluate` pass to `find`, so a measured figure is a
figure of what a user runs.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import audio, settings, synth
from .errors import AudioError, WhisperSynthError
from .files import atomic_path, write_bytes, write_text
from .spec import FIELD, Patch

BUNDLED = Path(__file__).parent / "models" / "default"
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".oga", ".aiff", ".aif", ".mp3", ".au", ".caf")


SEARCHES = ("doubts", "beams", "both")
RANKINGS = ("mss", "mss-logmel", "auto")  # by MSS; by MSS x log-mel L1 (Candidate.key); by MSS unless far (FAR)
FAR = 0.4  # "auto": past this MSS even the closest candidate is unlike the sound, and the product ranks
RETRIEVE_MAX = 32  # the most bank patches one match ranks (each is one more render)


@dataclass(frozen=True)
class MatchOptions:
    """How one clip is matched: `candidates` distinct patches from the network (`search`
    "doubts": the greedy patch and the rest decoded again after each alternative it doubts
    between at a categorical field or the note; "beams": beam search; "both": half from each),
    all rendered and ranked (`ranking`: by MSS; by MSS x log-mel L1; "auto": by MSS unless even
    the closest by it is further than `FAR`, then by the product), the best `top_k` kept;
    with `floor`, plain patches at the network's note (`plain_patches`) go first when closer by
    MSS and by log-mel (`closer_by_both`), or, ranked by the product, join the ranking, in which a
    candidate further by log-mel than the closest plain one comes after them (`by_product`);
    `retrieve` more come from the bank of rendered patches (`whispersynth.retrieve`: those that
    look most like the clip, at the best network candidate's note and at the pitch the clip is
    heard at, `bank_patches`) and join the network's in
    the ranking; with `refine`, CMA-ES (by MSS) from the ranked candidates within `renders`
    renders or `seconds` (renders win when both are given), in `workers` processes. A phrase's
    match (`whispersynth.phrase`) ranks by its own summed distance and does not use the bank (the model card)."""

    search: str = "both"
    candidates: int = 8
    top_k: int = 1
    floor: bool = True
    retrieve: int = 4  # measured with ranking "auto" on every set (the model card, 2026-12-07, tenth session)
    bank: str | None = None  # a bank folder (retrieve.build); None: the bundled one
    ranking: str = "auto"
    refine: bool = False
    phrase: bool = True  # an input with several notes is matched on them (whispersynth.phrase)
    renders: int | None = None
    seconds: float | None = 12.0
    workers: int = os.cpu_count() or 1

    def __post_init__(self) -> None:
        if self.search not in SEARCHES:
            raise WhisperSynthError(f"search: expected one of {', '.join(SEARCHES)}, got {self.search!r}")
        if self.ranking not in RANKINGS:
            raise WhisperSynthError(f"rank by: expected one of {', '.join(RANKINGS)}, got {self.ranking!r}")
        if not 0 <= self.retrieve <= RETRIEVE_MAX:
            raise WhisperSynthError(f"retrieve: expected 0 to {RETRIEVE_MAX} bank patches, got {self.retrieve}")
        object.__setattr__(self, "candidates", max(self.candidates, self.top_k))
        if self.renders is not None:
            object.__setattr__(self, "seconds", None)


@dataclass(frozen=True)
class Candidate:
    """One guess: the patch, the network's score for it, its render, its distance (MSS) and its
    log-mel L1 to the clip."""

    patch: Patch
    score: float
    render: np.ndarray
    distance: float
    logmel: float = float("nan")

    def key(self, ranking: str = "mss") -> float:
        """What `rank` sorts by (lower is closer): MSS ("mss", and "auto" before `find` looks at how
        far the closest is), or MSS x log-mel L1 ("mss-logmel")."""
        return self.distance * self.logmel if ranking == "mss-logmel" else self.distance


def load_model(folder: str | Path | None = None):
    """The bundled model unless a folder is given; ModelError if it is not a model folder."""
    from . import model as M  # torch and transformers load only when a model is wanted

    return M.load(Path(folder) if folder else BUNDLED)


def rank(clip: np.ndarray, guesses: list, pool=None, ranking: str = "mss") -> list[Candidate]:
    """Render every guess (in `pool`'s processes if given), measure its MSS and log-mel L1 to the
    clip and sort by `ranking` (Candidate.key; a silent render ranks last)."""
    from .metrics import logmel_l1
    from .refine import render_scored

    if not guesses:
        return []
    jobs = [(clip, g.patch) for g in guesses]
    scored = pool.map(render_scored, jobs, chunksize=1) if pool is not None else [render_scored(j) for j in jobs]
    renders = [np.zeros_like(clip) if r is None else r for r, _ in scored]
    logmel = logmel_l1(clip[None], np.stack(renders))
    out = [Candidate(g.patch, g.score, r, d, float(lm)) for g, r, (_, d), lm in zip(guesses, renders, scored, logmel)]
    return sorted(out, key=lambda c: c.key(ranking))


def refine_match(clip: np.ndarray, candidates: list[Candidate], options: MatchOptions, pool=None,
                 progress=None) -> Candidate:
    """CMA-ES refinement (see refine.py) from the ranked candidates; the refined candidate."""
    from .metrics import logmel_l1
    from .refine import refine

    found = refine(clip, [c.patch for c in candidates], renders=options.renders, seconds=options.seconds,
                   pool=pool, progress=progress)
    render = synth.render(found.patch)
    return Candidate(found.patch, candidates[0].score, render, found.distance,
                     float(logmel_l1(clip[None], render[None])[0]))


@contextlib.contextmanager
def search_pool(options: MatchOptions):
    """The render processes that rank candidates and run the search (None with one worker)."""
    from .refine import render_pool

    pool = render_pool(options.workers)
    try:
        yield pool
    finally:
        if pool is not None:
            pool.terminate()


def guesses(clip: np.ndarray, model, vocab, options: MatchOptions) -> list:
    """The network's distinct candidates for one clip (model.Guess), by the options' search."""
    from . import model as M

    n = options.candidates
    if options.search == "doubts":
        return M.doubts(model, vocab, clip, n)
    if options.search == "beams":
        return M.predict(model, vocab, clip, beams=n, top_k=n)[0]
    found = {g.patch: g for g in M.doubts(model, vocab, clip, (n + 1) // 2)}  # "both": half each, distinct
    for g in M.predict(model, vocab, clip, beams=n, top_k=n)[0]:
        if len(found) < n:
            found.setdefault(g.patch, g)
    return list(found.values())


FLOOR_WAVES = ("Saw", "Sine")  # the plain patches: one voice of each, nothing else on
FRAME_S = 0.01  # the level contour's frame


def level_contour(clip: np.ndarray) -> np.ndarray:
    """The clip's level in dB re its loudest 10 ms frame, frame by frame."""
    n = int(round(FRAME_S * audio.SAMPLE_RATE))
    frames = clip[: len(clip) // n * n].reshape(-1, n).astype(np.float64)
    rms = np.sqrt(np.mean(frames**2, axis=1)) + 1e-12
    return 20 * np.log10(rms / rms.max())


def estimate_note(clip: np.ndarray, fmin: float = 30.0, fmax: float = 1500.0, frame: int = 2048,
                  hop: int = 512, threshold: float = 0.15) -> int | None:
    """The clip's pitch as a MIDI note (YIN over its first 1.5 s, the median of the confident
    frames), None if it has none. On the real-preset dev half (80 clips): the played note in 44,
    an octave below it in 18, two octaves below in 3, an octave above in 3, another note in 6,
    none in 6."""
    sr, x = audio.SAMPLE_RATE, clip[: int(1.5 * audio.SAMPLE_RATE)].astype(np.float64)
    lo, hi = int(sr / fmax), int(sr / fmin)
    w = x[np.arange(0, max(len(x) - frame - hi, 0), hop)[:, None] + np.arange(frame + hi)]  # each frame and its lags
    w = w[np.sqrt(np.mean(w[:, :frame] ** 2, axis=1)) >= 1e-3]  # the frames that sound
    cmnd = yin_cmnd(w, frame, hi)
    f0s = []
    for row in cmnd:
        below = np.flatnonzero(row[lo - 1:] < threshold)
        if below.size:
            tau = below[0] + lo
            while tau < hi and row[tau] < row[tau - 1]:  # down to the dip's bottom
                tau += 1
            f0s.append(sr / tau)
    return int(round(69 + 12 * np.log2(np.median(f0s) / 440.0))) if len(f0s) >= 3 else None


def yin_cmnd(w: np.ndarray, frame: int, lags: int) -> np.ndarray:
    """YIN's cumulative mean normalised difference of each row of `w` (a frame of `frame` samples
    and the `lags` after it) at lags 1..`lags`: the difference sum((x[j] - x[j + tau])^2) over the
    frame as the frame's energy, the lagged window's and the cross-correlation (by FFT; ten times
    faster here than a sum per lag, the same note on all 281 real-preset dev clips)."""
    n = 1 << int(np.ceil(np.log2(2 * w.shape[1])))
    cross = np.fft.irfft(np.fft.rfft(w, n) * np.conj(np.fft.rfft(w[:, :frame], n)), n)[:, 1: lags + 1]
    energy = np.concatenate([np.zeros((len(w), 1)), np.cumsum(w**2, axis=1)], axis=1)
    taus = np.arange(1, lags + 1)
    d = np.maximum(energy[:, frame: frame + 1] + energy[:, taus + frame] - energy[:, taus] - 2 * cross, 0.0)
    return d * taus / np.maximum(np.cumsum(d, axis=1), 1e-12)


def floor_notes(like: Patch, heard: int | None) -> list[int]:
    """The notes the plain patches play: the network's, the clip's own pitch (`heard`, the clip's
    `estimate_note`) and the octave above it (YIN's usual error is an octave low)."""
    notes = [like.note] + ([heard, heard + 12] if heard is not None else [])
    return [n for n in dict.fromkeys(notes) if 0 <= n <= 127]


def plain_patches(clip: np.ndarray, like: Patch, heard: int | None) -> list[Patch]:
    """The floor: a Saw and a Sine at each of `floor_notes` (`heard`: the clip's `estimate_note`) and
    `like`'s length, no filter, LFO or later line, with the envelope the clip's level contour
    suggests: attack to its loudest frame, sustain its level over the last 0.3 s before note-off,
    decay the time to come within 1 dB of that, release the time from note-off to 60 dB down; then
    Vital's init patch (a Saw, its own envelope) at those notes, held for `like`'s length and for
    the format's default length (on the real-preset dev half the network's length was 0.97 s on a
    note held 2 s, where the init patch held 2 s was closer than the match by MSS and log-mel)."""
    db = level_contour(clip)
    t = np.arange(len(db)) * FRAME_S
    peak = int(np.argmax(db))
    off = min(like.length, t[-1])
    held = db[(t >= max(t[peak], off - 0.3)) & (t <= off)]
    sustain = float(np.median(held)) if held.size else 0.0
    reached = np.flatnonzero((t > t[peak]) & (db <= sustain + 1.0))
    decay = t[reached[0]] - t[peak] if reached.size else 3.0
    gone = np.flatnonzero((t > off) & (db < -60.0))
    release = (t[gone[0]] if gone.size else t[-1]) - off
    envelope = dict(attack=min(t[peak], 10.0), decay=float(np.clip(decay, 0.005, 10.0)),
                    sustain=-np.inf if sustain < -60.0 else min(sustain, 0.0), release=float(np.clip(release, 0.005, 10.0)))
    notes = floor_notes(like, heard)
    lengths = dict.fromkeys([like.length, FIELD["length"].default])
    return [*(Patch(wave, 1, None, None, None, lfo_target=None, lfo_rate=None, lfo_depth=None, note=note,
                    length=like.length, **envelope) for note in notes for wave in FLOOR_WAVES),
            *(synth.VITAL_INIT.replace(note=note, length=length) for note in notes for length in lengths)]


def closer_by_both(plain: list[Candidate], best: Candidate) -> list[Candidate]:
    """The plain candidates that sound closer to the clip than `best` by MSS and by log-mel L1:
    on the other-synth sounds, a plain patch closer by MSS alone was further by log-mel on 2 of
    the 3 sounds where it happened (by 82 % and 132 %)."""
    return [c for c in plain if c.distance < best.distance and c.logmel < best.logmel]


def by_product(candidates, plain: list[Candidate]) -> list[Candidate]:
    """`candidates` by MSS x log-mel L1, those further by log-mel than the closest of the `plain`
    ones after the rest: the floor where the product ranks (a guess closer by the product but
    further by log-mel than a plain patch was most of the clips further than Vital's init on the
    real-preset dev half: the model card, 2026-12-07, eleventh session)."""
    nearest = min((c.logmel for c in plain), default=float("inf"))
    return sorted(candidates, key=lambda c: (c.logmel > nearest, c.key("mss-logmel")))


def bank_of(options: MatchOptions):
    """The bank `options` retrieve from (read once a process; retrieve.BankError if unreadable)."""
    from . import retrieve

    return retrieve.load(options.bank or retrieve.BANK)


def bank_patches(bank, clip: np.ndarray, note: int, heard: int | None, k: int, skip=frozenset()) -> list[Patch]:
    """`k` bank patches (retrieve.nearest) at `note`, or, where YIN hears another pitch in the clip
    (`heard`, its `estimate_note`), the first half of them at `note` and the rest at the heard one:
    on the real-preset dev half the network's note was the played one on 43 % of the clips, YIN's
    on 62 % (its octave above on 20 % more), and splitting the 4 patches so took the match from
    0.1699 to 0.1665 mean log-mel L1 and median MSS 0.928 to 0.893 at the same renders (the model
    card, 2026-12-07, eleventh session)."""
    from . import retrieve

    if heard is None or heard == note or not 0 <= heard <= 127 or k < 2:
        return retrieve.nearest(bank, clip, note, k, skip=skip)
    first = retrieve.nearest(bank, clip, note, k - k // 2, skip=skip)
    return first + retrieve.nearest(bank, clip, heard, k // 2, skip={*skip, *first})


def find(clip: np.ndarray, model, vocab, options: MatchOptions = MatchOptions(), pool=None,
         progress=None) -> tuple[list[Candidate], Candidate]:
    """The main job on one clip: the `top_k` candidates to write, best first, and the network's
    own best guess (the best candidate by sound: with `floor`, possibly a plain patch; with
    `retrieve`, possibly a bank patch). With
    `refine`, the search's result comes first."""
    from .model import Guess

    by = "mss" if options.ranking == "auto" else options.ranking
    ranked = rank(clip, guesses(clip, model, vocab, options), pool, by)
    heard = estimate_note(clip) if options.retrieve > 0 or options.floor else None  # YIN: about 10 ms a clip
    if options.retrieve > 0:  # the bank's nearest, at the note of the network's best and the heard pitch
        found = bank_patches(bank_of(options), clip, ranked[0].patch.note, heard, options.retrieve, {c.patch for c in ranked})
        ranked = sorted([*ranked, *rank(clip, [Guess(p, float("nan")) for p in found], pool, by)], key=lambda c: c.key(by))
    plain: list[Candidate] = []
    if options.floor:  # a wild guess wins only by sounding closer than the plain patches
        seen = {c.patch for c in ranked}
        plain = rank(clip, [Guess(p, float("nan")) for p in dict.fromkeys(plain_patches(clip, ranked[0].patch, heard))
                            if p not in seen], pool, by)
        ranked = [*closer_by_both(plain, ranked[0]), *ranked] if by == "mss" else by_product([*ranked, *plain], plain)
    if options.ranking == "auto" and ranked[0].distance > FAR:  # a sound unlike any candidate: by the product
        ranked = by_product({id(c): c for c in [*ranked, *plain]}.values(), plain)
    if options.refine:
        return [refine_match(clip, ranked, options, pool, progress), *ranked[1 : options.top_k]], ranked[0]
    return ranked[: options.top_k], ranked[0]


def write_presets(names: dict[str, Path], patch: Patch, fxp: bool) -> list[Path]:
    """The settings and the presets of one patch; `fxp` adds the Serum 1 preset."""
    from .serum import to_fxp

    write_text(names["txt"], settings.format(patch))
    write_text(names["vital"], synth.preset_json(patch))
    if not fxp:
        return [names["txt"], names["vital"]]
    write_bytes(names["fxp"], to_fxp(patch))
    return [names["txt"], names["vital"], names["fxp"]]


def write_network_guess(out_dir: Path, stem: str, c: Candidate, fxp: bool = True) -> list[Path]:
    """With --refine, the network's own best guess is kept as STEM.net.txt / .vital / .fxp."""
    return write_presets({k: out_dir / f"{stem}.net{suffix}" for k, suffix in PRESETS}, c.patch, fxp)


def warnings_for(clip: np.ndarray) -> list[str]:
    """Signs that the input is beyond what the format can express (warn, don't fail)."""
    found = []
    second = audio.SAMPLE_RATE  # the first second of the clip
    spec = np.abs(np.fft.rfft(clip[:second] * np.hanning(min(second, clip.size))))
    power = spec**2
    top = np.sort(power)[::-1]
    peaks = np.count_nonzero(power > top[0] * 1e-2)
    flatness = np.exp(np.mean(np.log(power + 1e-12))) / (np.mean(power) + 1e-12)
    if flatness > 0.2:
        found.append("the input is noise-like or heavily processed; the format's one white-noise layer "
                     "through one filter may not express it")
    elif peaks > 400:
        found.append("the input looks polyphonic or heavily processed; the match plays one note "
                     "(two oscillators at most)")
    return found


PRESETS = (("txt", ".txt"), ("vital", ".vital"), ("fxp", ".fxp"))
OUTPUTS = (*PRESETS, ("match", ".match.wav"), ("preview", ".preview.wav"), ("png", ".png"))


def output_names(out_dir: Path, stem: str, rank_index: int) -> dict[str, Path]:
    """File names of one candidate: plain for the best, `.top2`, `.top3`, ... for the others."""
    tag = "" if rank_index == 0 else f".top{rank_index + 1}"
    return {kind: out_dir / f"{stem}{tag}{suffix}" for kind, suffix in OUTPUTS}


def preview(p: Patch) -> np.ndarray:
    """A patch as Vital plays it (stereo, 44.1 kHz, its own level): NAME.preview.wav."""
    return synth.render(p, sample_rate=synth.VITAL_RATE, stereo=True, normalize=False)


def write_match(out_dir: Path, stem: str, clip: np.ndarray, candidates: list[Candidate],
                fxp: bool = True, pool=None) -> list[Path]:
    """Write the settings, presets, renders and picture of every candidate; returns the paths.
    With `pool`, its processes render the previews while this one draws the pictures."""
    pending = pool.map_async(preview, [c.patch for c in candidates], chunksize=1) if pool is not None else None
    names = [output_names(out_dir, stem, i) for i in range(len(candidates))]
    written = []
    for n, c in zip(names, candidates):
        written += write_presets(n, c.patch, fxp)
        audio.write_wav(n["match"], c.render, audio.SAMPLE_RATE)
        plot_match(n["png"], clip, c)
        written += [n["match"], n["png"]]
    previews = pending.get() if pending is not None else [preview(c.patch) for c in candidates]
    for n, x in zip(names, previews):
        audio.write_wav(n["preview"], x, synth.VITAL_RATE)
        written.append(n["preview"])
    return written


PLOT_FLOOR_DB = -120.0  # the pictures' floor: digital silence is drawn in its colour


def spectrogram_db(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Power spectrogram in dB (512-point frames every 8 ms), floored at PLOT_FLOOR_DB so silence
    has a colour; with its frequencies and times."""
    from matplotlib import mlab

    power, freqs, times = mlab.specgram(x, NFFT=512, Fs=audio.SAMPLE_RATE, noverlap=384)
    return 10 * np.log10(np.maximum(power, 10 ** (PLOT_FLOOR_DB / 10))), freqs, times


def plot_match(png: Path, clip: np.ndarray, c: Candidate) -> None:
    """Input and match spectrograms side by side, the settings printed beneath."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 4), gridspec_kw={"width_ratios": [1, 1, 0.9]})
    for ax, x, title in ((axes[0], clip, "input"), (axes[1], c.render, f"match (MSS {c.distance:.3f})")):
        db, freqs, times = spectrogram_db(x)
        dt, df = times[1] - times[0], freqs[1] - freqs[0]  # each cell centred on its frame and bin
        ax.imshow(db, cmap="magma", vmin=PLOT_FLOOR_DB, aspect="auto", origin="lower", interpolation="nearest",
                  extent=(times[0] - dt / 2, times[-1] + dt / 2, freqs[0] - df / 2, freqs[-1] + df / 2))
        ax.set_title(title)
        ax.set_xlabel("s")
    axes[0].set_ylabel("Hz")
    axes[2].axis("off")
    axes[2].text(0, 1, settings.format(c.patch), va="top", family="monospace", fontsize=8, wrap=True)
    fig.subplots_adjust(left=0.05, right=0.99, bottom=0.12, top=0.92, wspace=0.2)  # fixed: tight_layout cost 40 % of the time
    with atomic_path(png) as tmp:
        fig.savefig(tmp, dpi=80, format="png")
    plt.close(fig)


def collect_inputs(paths: list[Path]) -> list[Path]:
    """Files and folders (their audio files) -> files; refuses two inputs with one stem."""
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = sorted(f for f in p.iterdir() if f.suffix.lower() in AUDIO_SUFFIXES)
            if not found:
                raise AudioError(f"{p}: no audio files in this folder")
            files += found
        else:
            files.append(p)
    seen: dict[str, Path] = {}
    for f in files:
        if f.stem in seen:
            raise WhisperSynthError(f"two inputs share the name {f.stem!r}: {seen[f.stem]} and {f}; "
                                    "rename one (outputs are named after the input)")
        seen[f.stem] = f
    return files
