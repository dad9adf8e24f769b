"""The main job: a sound in, the settings that make it out, ranked by how they sound.

`match_clip` listens (the network's beams), renders each candidate and ranks them by the
multi-resolution STFT distance to the input; `write_match` writes what a producer takes away.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import audio, metrics, settings, synth
from . import model as M
from .errors import AudioError, WhisperSynthError
from .files import atomic_path, write_text
from .spec import Patch

BUNDLED = Path(__file__).parent / "models" / "default"
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".oga", ".aiff", ".aif", ".mp3", ".au", ".caf")


@dataclass(frozen=True)
class Candidate:
    """One guess: the patch, the network's score for it, its render and its distance (MSS)."""

    patch: Patch
    score: float
    render: np.ndarray
    distance: float


def load_model(folder: str | Path | None = None):
    """The bundled model unless a folder is given; ModelError if it is not a model folder."""
    return M.load(Path(folder) if folder else BUNDLED)


def rank(clip: np.ndarray, guesses: list) -> list[Candidate]:
    """Render every guess and sort by MSS to the clip (a silent render ranks last)."""
    out = []
    for g in guesses:
        try:
            rendered = synth.render(g.patch)
            distance = float(metrics.mss(clip, rendered)[0])
        except AudioError:
            rendered, distance = np.zeros_like(clip), float("inf")
        out.append(Candidate(g.patch, g.score, rendered, distance))
    return sorted(out, key=lambda c: c.distance)


def match_clip(clip: np.ndarray, model, vocab, top_k: int = 1, beams: int | None = None) -> list[Candidate]:
    """The `top_k` best patches for one standard clip, best first."""
    guesses = M.predict(model, vocab, clip, beams=max(beams or top_k, top_k), top_k=top_k)[0]
    return rank(clip, guesses)


def refine_match(clip: np.ndarray, candidates: list[Candidate], renders: int | None, seconds: float | None,
                 pool=None, progress=None) -> Candidate:
    """CMA-ES refinement (see refine.py) from the network's candidates; the refined candidate."""
    from .refine import refine

    found = refine(clip, [c.patch for c in candidates], renders=renders, seconds=seconds, pool=pool,
                   progress=progress)
    return Candidate(found.patch, candidates[0].score, synth.render(found.patch), found.distance)


def find(clip: np.ndarray, model, vocab, top_k: int = 1, beams: int = 4, refine: bool = False,
         renders: int | None = None, seconds: float | None = None, pool=None,
         progress=None) -> tuple[list[Candidate], Candidate]:
    """The main job on one clip: the `top_k` candidates to write, best first, and the network's
    own best guess. With `refine`, search starts from every beam and its result comes first."""
    beams = max(beams, top_k)
    found = match_clip(clip, model, vocab, top_k=beams if refine else top_k, beams=beams)
    if refine:
        return [refine_match(clip, found, renders, seconds, pool, progress), *found[1:top_k]], found[0]
    return found, found[0]


def write_network_guess(out_dir: Path, stem: str, c: Candidate) -> list[Path]:
    """With --refine, the network's own best guess is kept as STEM.net.txt / STEM.net.vital."""
    txt, vital = out_dir / f"{stem}.net.txt", out_dir / f"{stem}.net.vital"
    write_text(txt, settings.format(c.patch))
    write_text(vital, synth.preset_json(c.patch))
    return [txt, vital]


def warnings_for(clip: np.ndarray) -> list[str]:
    """Signs that the input is beyond what one oscillator can express (warn, don't fail)."""
    found = []
    spec = np.abs(np.fft.rfft(clip[: 16000] * np.hanning(min(16000, clip.size))))
    power = spec**2
    top = np.sort(power)[::-1]
    peaks = np.count_nonzero(power > top[0] * 1e-2)
    flatness = np.exp(np.mean(np.log(power + 1e-12))) / (np.mean(power) + 1e-12)
    if flatness > 0.2:
        found.append("the input is noise-like or heavily processed; one oscillator may not express it")
    elif peaks > 400:
        found.append("the input looks polyphonic or heavily processed; the match plays one note")
    return found


def output_names(out_dir: Path, stem: str, rank_index: int) -> dict[str, Path]:
    """File names of one candidate: plain for the best, `.top2`, `.top3`, ... for the others."""
    tag = "" if rank_index == 0 else f".top{rank_index + 1}"
    return {kind: out_dir / f"{stem}{tag}{suffix}" for kind, suffix in
            (("txt", ".txt"), ("vital", ".vital"), ("match", ".match.wav"), ("preview", ".preview.wav"),
             ("png", ".png"))}


def write_match(out_dir: Path, stem: str, clip: np.ndarray, candidates: list[Candidate]) -> list[Path]:
    """Write the settings, preset, renders and picture of every candidate; returns the paths."""
    written = []
    for i, c in enumerate(candidates):
        names = output_names(out_dir, stem, i)
        write_text(names["txt"], settings.format(c.patch))
        write_text(names["vital"], synth.preset_json(c.patch))
        audio.write_wav(names["match"], c.render, audio.SAMPLE_RATE)
        preview = synth.render(c.patch, sample_rate=synth.VITAL_RATE, stereo=True, normalize=False)
        audio.write_wav(names["preview"], preview, synth.VITAL_RATE)
        plot_match(names["png"], clip, c)
        written += list(names.values())
    return written


def plot_match(png: Path, clip: np.ndarray, c: Candidate) -> None:
    """Input and match spectrograms side by side, the settings printed beneath."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 4), gridspec_kw={"width_ratios": [1, 1, 0.9]})
    for ax, x, title in ((axes[0], clip, "input"), (axes[1], c.render, f"match (MSS {c.distance:.3f})")):
        with np.errstate(divide="ignore"):  # digital silence is -inf dB, drawn as the floor
            ax.specgram(x, NFFT=512, Fs=audio.SAMPLE_RATE, noverlap=384, cmap="magma", vmin=-120)
        ax.set_title(title)
        ax.set_xlabel("s")
    axes[0].set_ylabel("Hz")
    axes[2].axis("off")
    axes[2].text(0, 1, settings.format(c.patch), va="top", family="monospace", fontsize=8, wrap=True)
    fig.tight_layout()
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
