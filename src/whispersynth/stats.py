"""The dataset card: the distribution of every field of a dataset, as text and as one PNG."""

from __future__ import annotations

import collections
import math
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from .data import read_spec
from .files import atomic_path
from .spec import FIELD, Field, table


def field_columns(folder: Path) -> dict[str, list]:
    """Every label column of a dataset's format version (no audio), in the table's order, read part by part."""
    columns: dict[str, list] = {f.name: [] for f in table(read_spec(folder).version)}
    for path in sorted(Path(folder).glob("part-*.parquet")):
        part = pq.read_table(path, columns=list(columns))
        for name in columns:
            columns[name].extend(part.column(name).to_pylist())
    return columns


def _numeric(values: list) -> np.ndarray:
    return np.array([v for v in values if v is not None and math.isfinite(v)], dtype=float)


def describe(field: Field, values: list) -> str:
    """One line: counts per category, or quantiles of a numeric field (and its absent/-inf share)."""
    if field.error == "exact":
        counts = collections.Counter(field.null if v is None else v for v in values)
        return ", ".join(f"{k}: {n}" for k, n in sorted(counts.items(), key=lambda kv: str(kv[0])))
    x = _numeric(values)
    extra = [f"{field.null}: {sum(v is None for v in values)}"] if field.null else []
    extra += [f"-inf: {sum(v == -math.inf for v in values)}"] if field.kind == "db" else []
    if x.size == 0:
        return ", ".join(extra) or "no values"
    q = np.quantile(x, [0, 0.1, 0.5, 0.9, 1])
    return "min {:g}, p10 {:g}, median {:g}, p90 {:g}, max {:g}".format(*q) + "".join(", " + e for e in extra)


def report(folder: Path) -> str:
    columns = field_columns(folder)
    n = len(next(iter(columns.values())))
    lines = [f"{folder}: {n} clips"] + [f"  {name:14s} {describe(FIELD[name], v)}" for name, v in columns.items()]
    return "\n".join(lines) + "\n"


def plot(folder: Path, png: Path) -> None:
    """One small plot per field: bars for categories, histograms (log axis where the curve is)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    columns = field_columns(folder)
    fields = [FIELD[name] for name in columns]
    cols = 4
    fig, axes = plt.subplots(math.ceil(len(fields) / cols), cols, figsize=(4 * cols, 2.6 * math.ceil(len(fields) / cols)))
    for ax, field in zip(axes.flat, fields):
        values = columns[field.name]
        if field.error == "exact":
            counts = collections.Counter(str(field.null if v is None else v) for v in values)
            keys = sorted(counts, key=lambda k: (len(k), k))
            ax.bar(keys, [counts[k] for k in keys], color="tab:blue")
            ax.tick_params(axis="x", labelrotation=30, labelsize=7)
        else:
            x = _numeric(values)
            log = field.curve == "log" and x.size and x.max() > 0
            x = x[x > 0] if log else x
            bins = np.geomspace(x.min(), x.max(), 30) if log and x.size else 30
            ax.hist(x, bins=bins, color="tab:orange")
            if log:
                ax.set_xscale("log")
        ax.set_title(f"{field.name} {('(' + field.unit + ')') if field.unit else ''}", fontsize=9)
    for ax in list(axes.flat)[len(fields):]:
        ax.axis("off")
    fig.suptitle(f"{folder}: {len(columns['waveform'])} clips")
    fig.tight_layout()
    with atomic_path(png) as tmp:
        fig.savefig(tmp, dpi=80, format="png")
    plt.close(fig)
