"""The settings text format (FORMAT.md): `parse(text) -> Patch` and `format(patch) -> str`.

The line layout below and the field table in `spec` are all the parser and writer know; both
are generic over them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from .spec import (
    FIELD,
    LFO_DEPTH_RANGE,
    LFO_DEPTH_UNIT,
    NOTE_NAMES,
    Field,
    Patch,
    SettingsError,
    check_range,
    note_name,
    snap,
)

MAX_BYTES = 64 * 1024  # a settings file is a few hundred bytes; anything this big is not one
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"


@dataclass(frozen=True)
class Line:
    """One line of the format: its label and its parts as (sub-label or None, field name)."""

    label: str
    parts: tuple[tuple[str | None, str], ...]
    null: str | None = None  # the whole line may read e.g. "None"
    optional: bool = False


LINES: tuple[Line, ...] = (
    Line("Waveform", ((None, "waveform"),)),
    Line("Voices", ((None, "voices"),)),
    Line("Oscillator Detune", ((None, "detune"),)),
    Line("Filter Type", ((None, "filter_type"),)),
    Line("Filter Cutoff", ((None, "cutoff"),)),
    Line(
        "ADSR Envelope",
        (("Attack", "attack"), ("Decay", "decay"), ("Sustain", "sustain"), ("Release", "release")),
    ),
    Line("LFO Modulation", ((None, "lfo_target"), ("Rate", "lfo_rate"), ("Depth", "lfo_depth")), null="None"),
    Line("Note", ((None, "note"), ("Length", "length")), optional=True),
)
DEFAULT_NOTE = {"note": 60, "length": 2.0}


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


# ---------------------------------------------------------------- values: text -> value


def _number(text: str, suffix: str, what: str) -> tuple[float, str]:
    m = re.fullmatch(rf"({_NUMBER})\s*({suffix})", text.strip(), re.IGNORECASE)
    if not m:
        raise SettingsError(f"expected {what}, got {text.strip()!r}")
    return float(m.group(1)), m.group(2).lower()


def _parse_note(text: str) -> int:
    m = re.fullmatch(r"([A-Ga-g]#?)\s*(-?\d+)", text.strip())
    name = m and m.group(1).upper()
    if not m or name not in NOTE_NAMES:
        raise SettingsError(f"expected a note like C4, A#3 or C-1 (sharps, no flats), got {text.strip()!r}")
    return (int(m.group(2)) + 1) * 12 + NOTE_NAMES.index(name)


def parse_value(field: Field, text: str):
    """Read one value of `field` (lenient on case, spacing and units), snapped to its grid."""
    t = text.strip()
    if field.null is not None and _key(t) == _key(field.null):
        return None
    kind = field.kind
    if kind == "choice":
        for choice in field.choices:
            if _key(t) == _key(choice):
                return choice
        raise SettingsError(f"expected one of {', '.join(field.choices)}, got {t!r}")
    if kind == "note":
        return _parse_note(t)
    if kind == "db" and re.fullmatch(r"-\s*inf\s*db", t, re.IGNORECASE):
        return -math.inf
    units = {"int": ("", "a whole number"), "fixed": ("", "a number like 0.10"),
             "hz": ("hz", "a frequency like 368Hz"), "rate": ("hz", "a rate like 2.5Hz"),
             "time": ("ms|s", "a time like 244ms or 1.50s"), "db": ("db", "a level like -12 dB")}
    suffix, what = units[kind]
    value, unit = _number(t, suffix, what)
    if kind == "int" and value != int(value):
        raise SettingsError(f"expected a whole number, got {t!r}")
    return snap(field, value / 1000 if unit == "ms" else value)


def _parse_depth(text: str, target: str) -> float:
    unit = LFO_DEPTH_UNIT[target]
    value, _ = _number(text, unit, f"a depth in {unit} for an LFO on {target}, like 12 {unit}")
    value = snap(FIELD["lfo_depth"], value)
    check_range(FIELD["lfo_depth"], value, *LFO_DEPTH_RANGE[target])
    return value


# ---------------------------------------------------------------- lines


def _split_parts(line: Line, rest: str) -> list[str]:
    items = [item.strip() for item in rest.split(",")]
    if len(items) != len(line.parts):
        want = ", ".join(sub + ": …" if sub else "<value>" for sub, _ in line.parts)
        raise SettingsError(f"expected {len(line.parts)} comma-separated parts ({want}), got {rest.strip()!r}")
    values = []
    for (sub, _), item in zip(line.parts, items):
        if sub is not None:
            head, sep, item = item.partition(":")
            if not sep or _key(head) != _key(sub):
                raise SettingsError(f"expected '{sub}: …', got {head.strip()!r}")
        values.append(item)
    return values


def _parse_line(line: Line, rest: str) -> dict:
    if line.null is not None and _key(rest) == _key(line.null):
        return {name: None for _, name in line.parts}
    out = {}
    for (sub, name), item in zip(line.parts, _split_parts(line, rest)):
        field = FIELD[name]
        if name == "lfo_depth":
            out[name] = _parse_depth(item, out["lfo_target"])
            continue
        value = parse_value(field, item)
        if value is None and (line.null is not None or field.null is None):
            raise SettingsError(f"{sub or 'value'}: {item!r} is not allowed here")
        if value is not None:
            check_range(field, value)
        out[name] = value
    return out


def _split_lines(text: str | bytes) -> list[tuple[int, str]]:
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise SettingsError(f"not UTF-8 text (byte {e.start}); is this a settings .txt file?") from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise SettingsError("empty settings: expected the lines Waveform, Voices, … (see FORMAT.md)")
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text):
        raise SettingsError("contains binary data: expected plain settings text")
    return [(n, raw) for n, raw in enumerate(text.splitlines(), 1) if raw.strip()]


def parse(text: str | bytes) -> Patch:
    """Parse settings text (FORMAT.md) into a Patch; SettingsError names the line on any fault."""
    by_key = {_key(line.label): line for line in LINES}
    seen: dict[str, tuple[int, str]] = {}
    for n, raw in _split_lines(text):
        label, sep, rest = raw.partition(":")
        line = by_key.get(_key(label))
        if not sep or line is None:
            raise SettingsError(
                f"line {n}: unknown line {label.strip()[:40]!r}; expected one of "
                + ", ".join(line.label for line in LINES)
            )
        if line.label in seen:
            raise SettingsError(f"line {n}: '{line.label}' is repeated (first on line {seen[line.label][0]})")
        seen[line.label] = (n, rest)
    expected = [line.label for line in LINES if line.label in seen]
    for line in LINES:
        if line.label not in seen and not line.optional:
            raise SettingsError(f"missing line '{line.label}'")
    if list(seen) != expected:
        first = next(a for a, b in zip(seen, expected) if a != b)
        raise SettingsError(f"line {seen[first][0]}: '{first}' is out of order; expected the order "
                            + ", ".join(expected))
    values = dict(DEFAULT_NOTE)
    for line in LINES:
        if line.label in seen:
            n, rest = seen[line.label]
            try:
                values.update(_parse_line(line, rest))
            except SettingsError as e:
                raise SettingsError(f"line {n} ({line.label}): {e}") from None
    return Patch(**values)


# ---------------------------------------------------------------- writing


def _trim(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def format_value(field: Field, value, patch: Patch | None = None) -> str:
    """Write one value at the format's precision, in canonical case."""
    if value is None:
        return field.null or ""
    kind = field.kind
    if kind == "time":
        return f"{round(value * 1000)}ms" if value < 1.0 else f"{value:.2f}s"
    if kind == "db":
        return "-inf dB" if math.isinf(value) else f"{_trim(value, 1)} dB"
    if kind == "depth":
        return f"{_trim(value, 1)} {LFO_DEPTH_UNIT[patch.lfo_target] if patch else ''}".rstrip()
    simple = {"choice": str, "int": str, "note": note_name, "hz": lambda v: f"{v}Hz",
              "fixed": lambda v: f"{v:.2f}", "rate": lambda v: f"{_trim(v, 2)}Hz"}
    return simple[kind](value)


def format(patch: Patch, note: bool = True) -> str:  # noqa: A001 - the format's own verb
    """Write a Patch as settings text; `note=False` leaves out the optional Note line."""
    out = []
    for line in LINES:
        if line.optional and not note:
            continue
        values = [getattr(patch, name) for _, name in line.parts]
        if line.null is not None and all(v is None for v in values):
            out.append(f"{line.label}: {line.null}")
            continue
        parts = [
            (f"{sub}: " if sub else "") + format_value(FIELD[name], getattr(patch, name), patch)
            for sub, name in line.parts
        ]
        out.append(f"{line.label}: {', '.join(parts)}")
    return "\n".join(out) + "\n"


def load(path: str | Path) -> Patch:
    """Read and parse a settings file; SettingsError names the file and the fault."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise SettingsError(f"{path}: {path.stat().st_size} bytes is too large for a settings file")
        data = path.read_bytes()
    except OSError as e:
        raise SettingsError(f"{path}: cannot read ({e.strerror or e})") from None
    try:
        return parse(data)
    except SettingsError as e:
        raise SettingsError(f"{path}: {e}") from None
