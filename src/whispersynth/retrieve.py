"""Candidates from a bank of rendered patches: the patches whose renders look most like the
clip (pooled log-mel) among those played within a few semitones of the network's note, moved to
that note. The network has only heard Vital patches from its own samplers; on sounds far from
them (notes of real engines' presets) a patch of the producer sampler that already sounds like
the clip is often closer than any of its guesses, and the ranking keeps whichever sounds closer.

A bank is a folder of shards, one per generated dataset it was built from (`build`, `whispersynth
data bank`): `bank.safetensors` (`codes`: each render's features as uint8, `notes`) with
`patches.txt.gz` (the settings texts, between lines of `---`, parsed only when retrieved), then
`bank-2.safetensors` with `patches-2.txt.gz`, and so on (each file stays small, and a shard added
later leaves the files before it as they were).
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


def shard_names(i: int) -> tuple[str, str]:
    """The files of shard `i` (from 0): its features and notes, and its texts."""
    tag = "" if i == 0 else f"-{i + 1}"
    return f"bank{tag}.safetensors", f"patches{tag}.txt.gz"


def build(datasets, out: str | Path) -> Bank:
    """A bank of every clip of one or more generated datasets (a shard each, in order), written to
    `out` (each file atomically; shards left from an earlier, larger bank removed)."""
    from safetensors.numpy import save

    from . import settings
    from .data import DataError, read_part
    from .files import write_bytes

    datasets = [datasets] if isinstance(datasets, (str, Path)) else list(datasets)
    shards = []
    for dataset in datasets:  # every dataset is checked before anything is written
        parts = sorted(Path(dataset).glob("part-*.parquet"))
        if not parts:
            raise DataError(f"{dataset}: no part-*.parquet files (make them with `whispersynth data generate`)")
        shards.append(parts)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    banks = []
    for i, parts in enumerate(shards):
        codes, notes, texts = [], [], []
        for path in parts:  # a part at a time: a whole dataset's audio need not fit in memory
            audio, patches = read_part(path)
            codes.append(quantize(features(audio.astype(np.float32) / 32767)))
            notes += [p.note for p in patches]
            texts += [settings.format(p) for p in patches]
        banks.append(Bank(np.concatenate(codes), np.asarray(notes, np.int16), tuple(texts)))
        arrays, patches_file = shard_names(i)
        write_bytes(out / arrays, save({"codes": banks[-1].codes, "notes": banks[-1].notes}))
        write_bytes(out / patches_file, gzip.compress(SEPARATOR.join(texts).encode(), mtime=0))
    i = len(shards)
    while (out / shard_names(i)[0]).exists() or (out / shard_names(i)[1]).exists():
        for name in shard_names(i):
            (out / name).unlink(missing_ok=True)
        i += 1
    return join(banks)


def join(banks: list[Bank]) -> Bank:
    """One bank of several, in order."""
    return Bank(np.concatenate([b.codes for b in banks]), np.concatenate([b.notes for b in banks]),
                tuple(t for b in banks for t in b.texts))


@functools.cache
def load(folder: str | Path = BANK) -> Bank:
    """A bank folder (the bundled one by default), every shard; BankError if it is missing or unreadable."""
    folder = Path(folder)
    banks = []
    while (folder / shard_names(len(banks))[0]).exists() or not banks:
        banks.append(_shard(folder, *shard_names(len(banks))))
    widths = sorted({b.codes.shape[1] for b in banks})
    if len(widths) > 1:
        raise BankError(f"{folder}: not a bank (its shards have {widths} features)")
    return join(banks)


def _shard(folder: Path, arrays: str, patches: str) -> Bank:
    from safetensors.numpy import load_file

    try:
        loaded = load_file(folder / arrays)
        texts = tuple(gzip.decompress((folder / patches).read_bytes()).decode().split(SEPARATOR))
        codes, notes = loaded["codes"], loaded["notes"]
    except (OSError, ValueError, KeyError, EOFError, gzip.BadGzipFile) as e:
        raise BankError(f"{folder}: not a readable bank ({type(e).__name__}: {e})") from None
    if not (codes.dtype == np.uint8 and codes.ndim == 2 and len(codes) == len(notes) == len(texts)):
        raise BankError(f"{folder}: not a bank ({arrays}: {len(codes)} feature rows, {len(notes)} notes, "
                        f"{len(texts)} patches)")
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
