"""The settings text format (docs/FORMAT.md): `parse(text) -> Patch` and `format(patch) -> str`.

Both are generic over the field table in `spec`: each field names its line and its label
within it, and the line layout is derived from that (`lines`).
"""

from __future__ import annotations

import functools
import math
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from .spec import (
    FIELD,
    LFO_DEPTH_RANGE,
    LFO_DEPTH_UNIT,
    NOTE_NAMES,
    REQUIRED,
    Field,
    Patch,
    SettingsError,
    check_range,
    is_off,
    note_name,
    snap,
)

MAX_BYTES = 64 * 1024  # a settings file is a few hundred bytes; anything this big is not one
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"


@dataclass(frozen=True)
class Line:
    """One line of the format: its label and the fields written on it, in order."""

    label: str
    parts: tuple[Field, ...]

    @property
    def null(self) -> str | None:
        """What the whole line reads when every part is absent (e.g. "None"), if it may be."""
        nulls = {f.null for f in self.parts}
        return nulls.pop() if len(nulls) == 1 else None

    @property
    def optional(self) -> bool:
        """A line may be left out when every field on it has a default."""
        return all(f.default is not REQUIRED for f in self.parts)


@functools.cache
def lines(fields: tuple[Field, ...]) -> tuple[Line, ...]:
    """The line layout of a field table: consecutive fields with the same line share it."""
    out: list[Line] = []
    for f in fields:
        if out and out[-1].label == f.line:
            out[-1] = Line(f.line, (*out[-1].parts, f))
        else:
            out.append(Line(f.line, (f,)))
    return tuple(out)


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


# ---------------------------------------------------------------- values: text -> value


def _number(text: str, suffix: str, what: str) -> tuple[float, str]:
    m = re.fullmatch(rf"({_NUMBER})\s*({suffix})", text.strip(), re.IGNORECASE)
    if not m:
        raise SettingsError(f"expected {what}, got {text.strip()!r}")
    value = float(m.group(1))
    if not math.isfinite(value):  # hundreds of digits overflow to inf, which no range check may see
        raise SettingsError(f"expected {what}, got a number of {len(m.group(1))} characters")
    return value, m.group(2).lower()


def _parse_note(text: str) -> int:
    m = re.fullmatch(r"([A-Ga-g]#?)\s*(-?\d{1,6})", text.strip())  # int() refuses over 4300 digits
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
             "time": ("ms|s", "a time like 244ms or 1.50s"), "db": ("db", "a level like -12 dB"),
             "st": ("st", "semitones like +12 st"), "pct": ("%", "a percentage like 40%")}
    suffix, what = units[kind]
    if kind == "int" and field.unit:  # "Semitones: -12" or "-12 st"
        suffix = f"{field.unit}|"
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
        want = ", ".join(f.part + ": …" if f.part else "<value>" for f in line.parts)
        raise SettingsError(f"expected {len(line.parts)} comma-separated parts ({want}), got {rest.strip()!r}")
    values = []
    for sub, item in zip((f.part for f in line.parts), items):
        if sub is not None:
            head, sep, item = item.partition(":")
            if not sep or _key(head) != _key(sub):
                raise SettingsError(f"expected '{sub}: …', got {head.strip()!r}")
        values.append(item)
    return values


def _parse_line(line: Line, rest: str) -> dict:
    if line.null is not None and _key(rest) == _key(line.null):
        return {f.name: None for f in line.parts}
    out = {}
    for field, item in zip(line.parts, _split_parts(line, rest)):
        sub, name = field.part, field.name
        if name == "lfo_depth":
            out[name] = _parse_depth(item, out["lfo_target"])
            continue
        value = parse_value(field, item)
        if value is None and (line.null is not None or field.null is None):
            raise SettingsError(f"{sub or 'value'}: {item.strip()!r} is not allowed here")
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
        raise SettingsError("empty settings: expected the lines Waveform, Voices, … (see docs/FORMAT.md)")
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text):
        raise SettingsError("contains binary data: expected plain settings text")
    return [(n, raw) for n, raw in enumerate(text.splitlines(), 1) if raw.strip()]


def parse(text: str | bytes, patch_type: type = Patch):
    """Parse settings text (docs/FORMAT.md) into a Patch (of `patch_type`, whose table gives
    the lines); SettingsError names the line on any fault."""
    layout = lines(patch_type.FIELDS)
    by_key = {_key(line.label): line for line in layout}
    seen: dict[str, tuple[int, str]] = {}
    for n, raw in _split_lines(text):
        label, sep, rest = raw.partition(":")
        line = by_key.get(_key(label))
        if not sep or line is None:
            raise SettingsError(
                f"line {n}: unknown line {label.strip()[:40]!r}; expected one of "
                + ", ".join(line.label for line in layout)
            )
        if line.label in seen:
            raise SettingsError(f"line {n}: '{line.label}' is repeated (first on line {seen[line.label][0]})")
        seen[line.label] = (n, rest)
    expected = [line.label for line in layout if line.label in seen]
    for line in layout:
        if line.label not in seen and not line.optional:
            raise SettingsError(f"missing line '{line.label}'")
    if list(seen) != expected:
        first = next(a for a, b in zip(seen, expected) if a != b)
        raise SettingsError(f"line {seen[first][0]}: '{first}' is out of order; expected the order "
                            + ", ".join(expected))
    values = {}
    for line in layout:
        if line.label in seen:
            n, rest = seen[line.label]
            try:
                values.update(_parse_line(line, rest))
            except SettingsError as e:
                raise SettingsError(f"line {n} ({line.label}): {e}") from None
    return patch_type(**values)  # an absent optional line takes its fields' defaults


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
    if kind == "st":
        return f"{'+' if value > 0 else ''}{_trim(value, 1)} st"
    if kind == "depth":
        return f"{_trim(value, 1)} {LFO_DEPTH_UNIT[patch.lfo_target] if patch else ''}".rstrip()
    simple = {"choice": str, "int": str, "note": note_name, "hz": lambda v: f"{v}Hz", "pct": lambda v: f"{v}%",
              "fixed": lambda v: f"{v:.2f}", "rate": lambda v: f"{_trim(v, 2)}Hz"}
    return simple[kind](value)


def format(patch, note: bool = True) -> str:  # noqa: A001 - the format's own verb
    """Write a Patch as settings text; `note=False` leaves out the optional Note line. Version-2
    lines that are off are left out (an absent line means off)."""
    out = []
    for line in lines(patch.FIELDS):
        if line.parts[0].version > 1:
            if is_off(patch, line.parts):
                continue
        elif line.optional and not note:
            continue
        values = [getattr(patch, f.name) for f in line.parts]
        if line.null is not None and all(v is None for v in values):
            out.append(f"{line.label}: {line.null}")
            continue
        parts = [
            (f"{f.part}: " if f.part else "") + format_value(f, getattr(patch, f.name), patch)
            for f in line.parts
        ]
        out.append(f"{line.label}: {', '.join(parts)}")
    return "\n".join(out) + "\n"


def load(path: str | Path) -> Patch:
    """Read and parse a settings file; SettingsError names the file and the fault."""
    path = Path(path)
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):  # a FIFO or a device would block or never end
            what = "a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file (a pipe, socket or device)"
            raise SettingsError(f"{path}: cannot read ({what}; expected a settings .txt file)")
        if st.st_size > MAX_BYTES:
            raise SettingsError(f"{path}: {st.st_size} bytes is too large for a settings file")
        data = path.read_bytes()
    except OSError as e:
        raise SettingsError(f"{path}: cannot read ({e.strerror or e})") from None
    try:
        return parse(data)
    except SettingsError as e:
        raise SettingsError(f"{path}: {e}") from None
