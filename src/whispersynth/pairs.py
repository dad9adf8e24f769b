"""The original project's layout: `000001.wav` + `000001.txt` pairs, to and from Parquet sets."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from . import audio, settings
from .data import DatasetSpec, DataError, iter_rows, read_spec, to_row, write_part
from .errors import WhisperSynthError
from .files import write_text
from .spec import VERSION


@dataclass
class ImportReport:
    imported: int = 0
    skipped: list[str] = field(default_factory=list)  # one line per skipped file: what was wrong

    def summary(self) -> str:
        return f"imported {self.imported} pairs, skipped {len(self.skipped)}"


def export_pairs(folder: Path, out: Path, limit: int | None = None) -> int:
    """Write the first `limit` clips of a dataset as numbered .wav/.txt pairs; returns the count."""
    spec = read_spec(folder)
    count = spec.n if limit is None else min(limit, spec.n)
    width = max(6, len(str(count)))
    written = 0
    for row in iter_rows(folder, columns=["text", "audio"]):
        if written == count:
            break
        written += 1
        stem = out / f"{written:0{width}d}"
        audio.write_wav(stem.with_suffix(".wav"), np.asarray(row["audio"], np.float32) / 32767, spec.sample_rate)
        write_text(stem.with_suffix(".txt"), row["text"])
    return written


def _stems(folder: Path, only: set[str] | None = None) -> tuple[list[str], list[str]]:
    files = [p for p in folder.iterdir() if only is None or p.stem in only]
    wavs = {p.stem: p for p in files if p.suffix.lower() in (".wav", ".flac", ".ogg", ".aiff")}
    txts = {p.stem: p for p in files if p.suffix.lower() == ".txt"}
    both = sorted(set(wavs) & set(txts))
    lonely = [f"{wavs[s].name}: no matching .txt" for s in sorted(set(wavs) - set(txts))]
    lonely += [f"{txts[s].name}: no matching audio file" for s in sorted(set(txts) - set(wavs))]
    return [str(wavs[s]) for s in both], lonely


def import_pairs(folder: Path, out: Path, part_size: int = 500, only: set[str] | None = None) -> ImportReport:
    """Read a folder of audio + settings pairs (or only the pairs named in `only`, by stem) into
    a Parquet dataset; bad pairs are skipped and reported, one line each."""
    folder, out = Path(folder), Path(out)
    if not folder.is_dir():
        raise DataError(f"{folder}: not a folder of .wav/.txt pairs")
    if (out / "dataset.json").exists():
        raise DataError(f"{out} already holds a dataset; import into a new folder")
    for stale in out.glob("part-*.parquet"):  # parts of an import that was killed: redo them
        stale.unlink()
    wav_paths, skipped = _stems(folder, only)
    report = ImportReport(skipped=skipped)
    rows: list[dict] = []
    for wav in wav_paths:
        try:
            patch = settings.load(Path(wav).with_suffix(".txt"))
            clip = audio.load(wav)
        except WhisperSynthError as e:
            report.skipped.append(str(e))
            continue
        rows.append(to_row(report.imported, patch, clip, draws=0))
        report.imported += 1
        if len(rows) == part_size:  # stream: never more than one part in memory
            write_part(out, report.imported // part_size - 1, rows, VERSION)
            rows = []
    if rows:
        write_part(out, (report.imported - 1) // part_size, rows, VERSION)
    if not report.imported:
        raise DataError(f"{folder}: no usable pairs ({len(report.skipped)} skipped: {'; '.join(report.skipped[:3])})")
    spec = DatasetSpec(n=report.imported, seed=-1, part_size=part_size, source=f"imported from {folder}",
                       version=VERSION)
    write_text(out / "dataset.json", json.dumps(asdict(spec), indent=1) + "\n")
    return report
