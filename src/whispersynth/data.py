"""Labelled training clips: render random patches in parallel into sharded Parquet files.

A dataset folder holds `dataset.json` (what was asked for) and `part-NNNNN.parquet` files.
Each part is written atomically and holds a fixed range of clip indices; each clip's random
state derives from (seed, index). So a killed run, rerun with the same command, skips the
parts that landed and redoes the rest byte-identically, whatever the worker count or
`--shard i/n` split.
"""

from __future__ import annotations

import json
import math
import multiprocessing as mp
import shutil
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from . import settings, synth
from .audio import CLIP_SAMPLES, CLIP_SECONDS, PEAK, SAMPLE_RATE, SILENT_PEAK
from .errors import WhisperSynthError
from .files import atomic_path, write_text
from .sampler import SAMPLERS, clip_rng
from .spec import FIELDS, VERSION, Patch, table

MAX_DRAWS = 1000
BYTES_PER_CLIP = CLIP_SAMPLES * 2 + 1_024  # the clip as int16 plus the label columns
_ARROW_TYPES = {"choice": pa.string(), "int": pa.int32(), "hz": pa.int32(), "note": pa.int32()}


def schema(version: int = VERSION) -> pa.Schema:
    """A part's columns: the clip, its text, and one column per field of the format version."""
    return pa.schema(
        [("index", pa.int64()), ("text", pa.string()), ("audio", pa.list_(pa.int16())), ("draws", pa.int32())]
        + [(f.name, _ARROW_TYPES.get(f.kind, pa.float64())) for f in table(version)]
    )



class DataError(WhisperSynthError):
    """A dataset request or folder that cannot be used as it is."""


@dataclass(frozen=True)
class DatasetSpec:
    """What a dataset folder holds; rerunning with the same spec resumes it."""

    n: int
    seed: int = 0
    part_size: int = 500
    sample_rate: int = SAMPLE_RATE
    clip_seconds: float = CLIP_SECONDS
    source: str = "vital"  # or where an imported set came from
    version: int = 1  # the settings format version its patches are drawn from (folders before it: 1)
    sampler: str = "uniform"  # sampler.SAMPLERS: uniform draws, or patches shaped like designed presets

    def __post_init__(self) -> None:
        if self.sampler not in SAMPLERS:
            raise DataError(f"sampler {self.sampler!r} does not exist; expected one of {', '.join(SAMPLERS)}")

    @property
    def n_parts(self) -> int:
        return math.ceil(self.n / self.part_size)

    def part_range(self, part: int) -> range:
        return range(part * self.part_size, min(self.n, (part + 1) * self.part_size))


def part_path(out: Path, part: int) -> Path:
    return out / f"part-{part:05d}.parquet"


def draw_clip(renderer: synth.Renderer, seed: int, index: int, version: int = VERSION,
              sampler: str = "uniform") -> tuple[Patch, np.ndarray, int]:
    """Clip `index` of dataset `seed`: a random patch (of a format version, from a sampler of
    `sampler.SAMPLERS`) that does not render silent, its audio and how many draws it took."""
    rng, draw = clip_rng(seed, index), SAMPLERS[sampler]
    for draws in range(1, MAX_DRAWS + 1):
        patch = draw(rng, version=version)
        raw = renderer.render_vital(patch)
        audio = synth.finish(raw, sample_rate=SAMPLE_RATE, stereo=False, normalize=False)
        peak = float(np.abs(audio).max())
        if peak >= SILENT_PEAK:
            return patch, audio * np.float32(PEAK / peak), draws
    raise DataError(f"clip {index}: {MAX_DRAWS} draws in a row rendered silent; the sampler is broken")


def to_row(index: int, patch: Patch, audio: np.ndarray, draws: int) -> dict:
    row = {"index": index, "text": settings.format(patch), "draws": draws, **patch.values()}
    row["audio"] = np.round(np.clip(audio, -1, 1) * 32767).astype(np.int16)
    return row


def patch_from_row(row: dict) -> Patch:
    """A row's patch; fields its format version lacks are off."""
    return Patch(**{f.name: row[f.name] for f in FIELDS if f.name in row})


# ---------------------------------------------------------------- workers

_progress = None  # a shared counter of rendered clips, set in each worker


def _init_worker(counter) -> None:
    global _progress
    _progress = counter


def render_part(out: Path, spec: DatasetSpec, part: int) -> int:
    """Render one part in a fresh Renderer and write it atomically. A fresh synth per part makes
    the bytes independent of which worker renders it, and of what it rendered before."""
    renderer = synth.Renderer()
    rows = []
    for i in spec.part_range(part):
        rows.append(to_row(i, *draw_clip(renderer, spec.seed, i, spec.version, spec.sampler)))
        if _progress is not None:
            with _progress.get_lock():
                _progress.value += 1
    write_part(out, part, rows, spec.version)
    return len(rows)


def _render_part_task(args: tuple[Path, DatasetSpec, int]) -> int:
    return render_part(*args)


# ---------------------------------------------------------------- parts: the stage's interface


def write_part(out: Path, part: int, rows: list[dict], version: int = 1) -> None:
    """Write rows (see to_row) as part `part` of a dataset folder (of a format version), atomically."""
    columns = schema(version)
    table = pa.Table.from_pydict({name: [row[name] for row in rows] for name in columns.names}, schema=columns)
    with atomic_path(part_path(out, part)) as tmp:
        pq.write_table(table, tmp, compression="zstd")


def read_part(path: Path) -> tuple[np.ndarray, list[Patch]]:
    """One part: its audio as int16 (clips, samples) and each clip's true patch."""
    table = pq.read_table(path)
    audio = table.column("audio").combine_chunks().flatten().to_numpy(zero_copy_only=False)
    patches = [patch_from_row(r) for r in table.drop_columns(["audio"]).to_pylist()]
    return audio.reshape(len(table), -1), patches


def load_clips(folder: Path, limit: int) -> tuple[np.ndarray, list[Patch]]:
    """The first `limit` clips of a dataset as float audio (clips, samples) and their true patches."""
    audio, patches = [], []
    for path in sorted(Path(folder).glob("part-*.parquet")):
        a, p = read_part(path)
        audio.append(a.astype(np.float32) / 32767)
        patches += p
        if len(patches) >= limit:
            break
    if not audio:
        raise DataError(f"{folder}: no part-*.parquet files (make them with `whispersynth data generate`)")
    return np.concatenate(audio)[:limit], patches[:limit]


# ---------------------------------------------------------------- generate


def _check_spec(out: Path, spec: DatasetSpec) -> None:
    meta = out / "dataset.json"
    if meta.exists():
        old = {"version": 1, "sampler": "uniform", **json.loads(meta.read_text())}  # older folders: version 1, uniform
        if old != asdict(spec):
            raise DataError(f"{out} already holds a different dataset ({old}); use another folder")
    else:
        write_text(meta, json.dumps(asdict(spec), indent=1) + "\n")


def _check_disk(out: Path, clips: int) -> None:
    need = clips * BYTES_PER_CLIP
    free = shutil.disk_usage(out).free
    if need > free:
        raise DataError(f"{clips} clips need about {need / 1e9:.1f} GB but {out} has {free / 1e9:.1f} GB free")


def part_complete(out: Path, spec: DatasetSpec, part: int) -> bool:
    """Whether a part is there whole: a readable Parquet footer and every row it should hold
    (a part cut short by a crash or by hand is not, and is made again)."""
    try:
        return pq.ParquetFile(part_path(out, part)).metadata.num_rows == len(spec.part_range(part))
    except (OSError, pa.ArrowException):
        return False


def pending_parts(out: Path, spec: DatasetSpec, shard: tuple[int, int] = (0, 1)) -> list[int]:
    i, n = shard
    return [p for p in range(spec.n_parts) if p % n == i and not part_complete(out, spec, p)]


def generate(out: Path, spec: DatasetSpec, workers: int = 1, shard: tuple[int, int] = (0, 1),
             progress: bool = True) -> int:
    """Render the missing parts of dataset `spec` (this machine's share) into `out`; returns
    the number of clips rendered."""
    out.mkdir(parents=True, exist_ok=True)
    _check_spec(out, spec)
    for stale in out.glob(".part-*.part.parquet"):  # temp files of a killed run
        stale.unlink()
    parts = pending_parts(out, spec, shard)
    total = sum(len(spec.part_range(p)) for p in parts)
    _check_disk(out, total)
    ctx = mp.get_context("spawn")
    counter = ctx.Value("l", 0)
    bar = tqdm(total=total, unit="clip", disable=not progress, desc=f"rendering {out}", smoothing=0.05)
    tasks = [(out, spec, p) for p in parts]
    try:
        if workers == 1:
            _init_worker(counter)
            for task in tasks:
                _render_part_task(task)
                bar.update(counter.value - bar.n)
        else:
            with ctx.Pool(min(workers, max(len(tasks), 1)), _init_worker, (counter,)) as pool:
                pending = pool.map_async(_render_part_task, tasks, chunksize=1)
                while not pending.ready():
                    pending.wait(0.5)
                    bar.update(counter.value - bar.n)
                pending.get()  # re-raise a worker's error here
        bar.update(counter.value - bar.n)
    finally:
        bar.close()
        _init_worker(None)
    return total


def read_spec(folder: Path) -> DatasetSpec:
    meta = Path(folder) / "dataset.json"
    if not meta.exists():
        raise DataError(f"{folder}: not a dataset folder (no dataset.json)")
    return DatasetSpec(**json.loads(meta.read_text()))


def iter_rows(folder: Path, columns: list[str] | None = None) -> Iterator[dict]:
    """Every clip of a dataset folder in index order, one dict per clip (streams part by part)."""
    for path in sorted(Path(folder).glob("part-*.parquet")):
        for batch in pq.ParquetFile(path).iter_batches(batch_size=64, columns=columns):
            yield from batch.to_pylist()
