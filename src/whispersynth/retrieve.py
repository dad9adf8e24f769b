"""Candidates from a bank of rendered patches: the patches whose renders look most like the
clip (pooled log-mel) among those played within a few semitones of the network's note, moved to
that note. The network has only heard Vital patches from its own samplers; on sounds far from
them (notes of real engines' presets) a patch of the producer sampler that already sounds like
the clip is often closer than any of its guesses, and the ranking keeps whichever sounds closer.

A bank is a folder of `bank.safetensors` (`codes`: each render's features as uint8, `notes`) and
`patches.txt.gz` (the settings texts, between lines of `---`, parsed only when retrieved). `build` makes
one from a generated dataset (`whispersynth data bank`).
"""

from __future__ import annotations

import functools
import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import WhisperSynthError
from .spec import Patch

BANK = Path(__file__).parent / "models" / "bank"
MEL_POOL, FRAME_POOL = 2, 15  # the model's 80 bands x 300 frames -> 40 bands x 20 frames of 150 ms
LOW, STEP = -1.3, 1 / 80  # code c stands for LOW + c STEP (the log-mel runs from about -1.25 to 1.6)
WIDTH = 2  # semitones: how far a bank patch's note may be from the note it is moved to
SEPARATOR = "\n---\n"  # between texts (each ends with a newline; no line of the format starts with -)


class BankError(WhisperSynthError):
    """A bank folder that is missing or unreadable."""


@dataclass(frozen=True)
class Bank:
    codes: np.ndarray  # (patches, features) uint8
    notes: np.ndarray  # (patches,) MIDI notes the renders were played at
    texts: tuple[str, ...]  # the settings texts, Note line included

    def patch(self, i: int) -> Patch:
        from . import settings

        return settings.parse(self.texts[i])


def features(clips: np.ndarray) -> np.ndarray:
    """The pooled log-mel of standard clips (clips, 800) as float32."""
    import torch

    from .features import front_end

    x = front_end(1)(torch.from_numpy(np.asarray(clips, np.float32).reshape(-1, np.shape(clips)[-1])))
    n, bands, frames = x.shape
    x = x.reshape(n, bands // MEL_POOL, MEL_POOL, frames // FRAME_POOL, FRAME_POOL).mean(dim=(2, 4))
    return x.flatten(1).numpy()


def quantize(f: np.ndarray) -> np.ndarray:
    return np.clip(np.rint((f - LOW) / STEP), 0, 255).astype(np.uint8)


def build(dataset: str | Path, out: str | Path) -> Bank:
    """A bank of every clip of a generated dataset, written to `out` (each file atomically)."""
    from safetensors.numpy import save

    from . import settings
    from .data import DataError, read_part
    from .files import write_bytes

    parts = sorted(Path(dataset).glob("part-*.parquet"))
    if not parts:
        raise DataError(f"{dataset}: no part-*.parquet files (make them with `whispersynth data generate`)")
    codes, notes, texts = [], [], []
    for path in parts:  # a part at a time: a whole dataset's audio need not fit in memory
        audio, patches = read_part(path)
        codes.append(quantize(features(audio.astype(np.float32) / 32767)))
        notes += [p.note for p in patches]
        texts += [settings.format(p) for p in patches]
    bank = Bank(np.concatenate(codes), np.asarray(notes, np.int16), tuple(texts))
    Path(out).mkdir(parents=True, exist_ok=True)
    write_bytes(Path(out) / "bank.safetensors", save({"codes": bank.codes, "notes": bank.notes}))
    write_bytes(Path(out) / "patches.txt.gz", gzip.compress(SEPARATOR.join(texts).encode(), mtime=0))
    return bank


@functools.cache
def load(folder: str | Path = BANK) -> Bank:
    """A bank folder (the bundled one by default); BankError if it is missing or unreadable."""
    from safetensors.numpy import load_file

    folder = Path(folder)
    try:
        arrays = load_file(folder / "bank.safetensors")
        texts = tuple(gzip.decompress((folder / "patches.txt.gz").read_bytes()).decode().split(SEPARATOR))
        codes, notes = arrays["codes"], arrays["notes"]
    except (OSError, ValueError, KeyError, EOFError, gzip.BadGzipFile) as e:
        raise BankError(f"{folder}: not a readable bank ({type(e).__name__}: {e})") from None
    if not (codes.dtype == np.uint8 and codes.ndim == 2 and len(codes) == len(notes) == len(texts)):
        raise BankError(f"{folder}: not a bank ({len(codes)} feature rows, {len(notes)} notes, {len(texts)} patches)")
    return Bank(codes, notes, texts)


def nearest(bank: Bank, clip: np.ndarray, note: int, k: int, width: int = WIDTH, skip=frozenset()) -> list[Patch]:
    """The `k` distinct bank patches played within `width` semitones of `note` whose renders are
    nearest the clip (mean absolute difference of the pooled log-mel), moved to `note`; patches in
    `skip` are passed over."""
    near = np.flatnonzero(np.abs(bank.notes.astype(int) - note) <= width)
    if k <= 0 or near.size == 0:
        return []
    query = quantize(features(clip[None]))[0].astype(np.int16)
    d = np.abs(bank.codes[near].astype(np.int16) - query).mean(axis=1)
    out: list[Patch] = []
    for i in near[np.argsort(d, kind="stable")]:
        p = bank.patch(int(i)).replace(note=note)
        if p not in skip and p not in out:
            out.append(p)
            if len(out) == k:
                break
    return out
