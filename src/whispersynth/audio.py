"""Audio files in and out, and bringing any audio to the standard-render convention."""

from __future__ import annotations

import contextlib
import math
import os
import sys
import threading
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from .errors import AudioError
from .files import atomic_path

# The standard clip (docs/FORMAT.md "Standard render"), stated once; everything else derives from it.
SAMPLE_RATE = 16000
CLIP_SECONDS = 3.0
CLIP_SAMPLES = int(SAMPLE_RATE * CLIP_SECONDS)  # 48 000
PEAK_DB = -1.0  # every standard clip is peak-normalised to this
SILENT_DB = -60.0  # "silent": a peak below this, before normalisation
PEAK = 10 ** (PEAK_DB / 20)
SILENT_PEAK = 10 ** (SILENT_DB / 20)
NOTE_ON = 10 ** (-40 / 20)  # a level that is surely the note, not noise before it
# Where a note starts: 80 dB below the peak, so a 1 s linear attack loses only 0.1 ms. The
# onset is found at the file's own rate, before resampling, so no resampler's pre-ringing
# (about -55 dB for soxr HQ) can be mistaken for the note.
ONSET_FLOOR = 10 ** (-80 / 20)
MAX_SECONDS = 600.0
MAX_BYTES = 2 * 1024**3


def write_wav(path: str | Path, audio: np.ndarray, sample_rate: int) -> None:
    """Write mono (N,) or multichannel (C, N) float audio as 16-bit PCM, atomically."""
    data = audio.T if audio.ndim == 2 else audio
    with atomic_path(path) as tmp:
        sf.write(tmp, np.clip(data, -1.0, 1.0), sample_rate, subtype="PCM_16", format="WAV")


_MUTE_LOCK = threading.Lock()  # fd 2 is process-wide: two app threads must not swap it in turn


@contextlib.contextmanager
def _native_stderr_muted():
    """Send fd 2 to /dev/null: libmpg123 prints resync notes there on junk, and every
    command reports an unreadable file as one line."""
    with _MUTE_LOCK:
        sys.stderr.flush()
        saved = os.dup(2)
        try:
            with open(os.devnull, "wb") as null:
                os.dup2(null.fileno(), 2)
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def read(path: str | Path, start: float = 0.0, seconds: float | None = None) -> tuple[np.ndarray, int]:
    """Read any libsndfile format as float32 (channels, frames); AudioError names the fault."""
    path = Path(path)
    if not path.exists():
        raise AudioError(f"{path}: no such file")
    if path.is_dir():
        raise AudioError(f"{path}: a folder, not a sound file")
    if not path.is_file():  # refused before opening: a FIFO would block until someone writes to it
        raise AudioError(f"{path}: not a regular file (a pipe, socket or device); expected a sound file")
    for what, t in (("start", start), ("length", 0.0 if seconds is None else seconds)):
        if not (math.isfinite(t) and t >= 0):  # int(inf * rate) would raise OverflowError
            raise AudioError(f"{path}: {what} {t} s is not a time in a sound; expected seconds >= 0")
    if path.stat().st_size > MAX_BYTES:
        raise AudioError(f"{path}: {path.stat().st_size / 1e9:.1f} GB is too large for one sound")
    if path.stat().st_size == 0:
        raise AudioError(f"{path}: the file is empty")
    try:
        with _native_stderr_muted():
            info = sf.info(str(path))
            if info.frames / info.samplerate > MAX_SECONDS:
                raise AudioError(f"{path}: {info.frames / info.samplerate:.0f} s is longer than the "
                                 f"{MAX_SECONDS:.0f} s limit; cut out the note first")
            first = int(start * info.samplerate)
            count = -1 if seconds is None else int(seconds * info.samplerate)
            data, rate = sf.read(str(path), start=first, frames=count, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError) as e:
        raise AudioError(f"{path}: not a readable audio file ({e})") from None
    if data.size == 0:
        raise AudioError(f"{path}: contains no audio samples" + (f" after {start} s" if start else ""))
    return data.T, rate


def _rms_ahead(x: np.ndarray, window: int) -> np.ndarray:
    """RMS of the `window` samples starting at each index (shorter at the end)."""
    c = np.concatenate([[0.0], np.cumsum(x * x)])
    stop = np.minimum(np.arange(x.size) + window, x.size)
    return np.sqrt(np.maximum(c[stop] - c[:-1], 0.0) / (stop - np.arange(x.size)))


def onset_index(x: np.ndarray, window: int = 256) -> int:
    """Where the note starts. The level (RMS over `window` samples, longer than half a cycle
    of the lowest note) first comes within 40 dB of the peak; walking back from there, the
    note starts where the signal last rose out of the noise floor (the quietest stretch before
    it, and at least 80 dB below the peak), so a slow attack keeps its start and a noisy
    lead-in is cut."""
    a = np.abs(np.asarray(x, dtype=np.float64))
    peak = a.max()
    rms = _rms_ahead(a, window)
    coarse = int(np.argmax(rms >= peak * NOTE_ON))
    lead = rms[: max(coarse - window, 0)]
    floor = min(max(peak * ONSET_FLOOR, 4.0 * lead.min() if lead.size else 0.0), peak * NOTE_ON)
    quiet = np.nonzero(rms[:coarse] < floor)[0]
    start = int(quiet[-1]) + 1 if quiet.size else 0
    return start + int(np.argmax(a[start:] >= floor))


def standardize(audio: np.ndarray, rate: int, name: str = "audio") -> np.ndarray:
    """Bring audio to the standard render's convention (docs/FORMAT.md): mono, 16 kHz, leading
    silence trimmed, the 3 s window from the onset, peak -1 dBFS."""
    mono = np.asarray(audio, dtype=np.float64)
    mono = mono.mean(axis=0) if mono.ndim == 2 else mono
    if mono.size == 0:
        raise AudioError(f"{name}: contains no audio samples")
    if not np.all(np.isfinite(mono)):
        raise AudioError(f"{name}: contains NaN or infinite samples")
    peak = float(np.abs(mono).max())
    if peak < SILENT_PEAK:
        raise AudioError(f"{name}: silent (peak {20 * np.log10(max(peak, 1e-12)):.0f} dBFS, below {SILENT_DB:.0f} dBFS)")
    onset = onset_index(mono, window=max(16, round(256 * rate / SAMPLE_RATE)))
    mono = mono[onset : onset + int(rate * CLIP_SECONDS) + rate // 10]
    if rate != SAMPLE_RATE:
        mono = soxr.resample(mono, rate, SAMPLE_RATE, quality="HQ")
    clip = mono[:CLIP_SAMPLES]
    clip = np.pad(clip, (0, CLIP_SAMPLES - clip.size))
    return (clip * (PEAK / np.abs(clip).max())).astype(np.float32)


def load(path: str | Path, start: float = 0.0) -> np.ndarray:
    """Read a sound file and standardize it (one 3 s note starting at `start` seconds)."""
    audio, rate = read(path, start=start)
    return standardize(audio, rate, name=str(path))
