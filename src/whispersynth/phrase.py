"""Phrases and loops: the notes in a longer input, one preset that plays them all, the MIDI of
the notes and the phrase played back with the preset.

`find_notes` transcribes a monophonic phrase with librosa (pYIN for the pitch, spectral-flux
onsets, the RMS level for the ends); `is_phrase` says whether an input is more than one note
(a single held note, its echoes and its vibrato are not), so one note keeps the one-note
match exactly. `match_phrase` brings the clearest notes to the standard clip, pools the
network's candidates for each, and ranks them (and `--refine` searches) by the distance summed
over several notes, each rendered at its own pitch and length and compared within its own
window (up to the next note's onset). `write_phrase` writes NAME.mid, NAME.phrase.wav and
NAME.phrase.png beside the one-note files. Polyphony is not transcribed: a chord is heard as
one voice (its loudest pitch), and the match says so.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from . import audio, synth
from .audio import CLIP_SAMPLES, PEAK, SAMPLE_RATE
from .errors import AudioError
from .spec import FIELD, Patch, midi_to_hz

HOP = 160  # analysis hop: 10 ms at 16 kHz
FRAME_S = HOP / SAMPLE_RATE
FMIN, FMAX = 32.7, 2093.0  # C1..C7
MIN_NOTE = 0.07  # s: shorter sounding stretches are not notes
ACTIVE_DB = -45.0  # a frame is sounding within this of the phrase's loudest frame
RISE_DB = 3.0  # a same-pitch note going on is struck again when its level rises this much
STRUCK_DB, DIP_DB = 6.0, 3.0  # a struck note: its level rises this much at its onset, after a dip from the last note's peak
LEGATO_S = 0.1  # s: how long each of a legato line's pitches is held
STEADY_ST = 0.6  # a steady pitch: its 10th..90th percentiles within this many semitones
OFF_DB = 20.0  # a note is held until its level falls this far below its peak (then it is its release)
STABLE = 8  # frames (80 ms): a new pitch held this long is a new note (vibrato never is)
PITCH_STEP = 0.6  # semitones: a pitch change that large, held, starts a new note
ECHO_DB, ECHO_S = 6.0, 1.5  # a same-pitch note this much quieter than one this shortly before it is an echo
LISTEN = 3  # the clearest notes the network listens to
SCORE = 4  # the notes every candidate is rendered at and scored on
MAX_NOTES = 64


@dataclass(frozen=True)
class Note:
    """One note found: its start and end (s), MIDI pitch, the pitch's offset from it (cents)
    and its level (dB re the phrase's loudest note)."""

    onset: float
    offset: float
    pitch: int
    cents: float
    level_db: float
    struck: bool = True  # its level rose STRUCK_DB within 50 ms of its onset (not the swell of a note going on)
    steady: bool = True  # its pitch held (mostly voiced, within STEADY_ST): not a vibrato's or a beating's wander

    @property
    def length(self) -> float:
        return self.offset - self.onset

    @property
    def velocity(self) -> int:
        """MIDI velocity: 127 at the loudest note, 40 dB lower at 1 (velocity as amplitude, squared)."""
        return int(min(127, max(1, round(127 * 10 ** (self.level_db / 40)))))


def _frames_db(x: np.ndarray) -> np.ndarray:
    import librosa

    rms = librosa.feature.rms(y=x, frame_length=4 * HOP, hop_length=HOP, center=True)[0]
    return 20 * np.log10(np.maximum(rms, 1e-10) / max(float(rms.max()), 1e-10))


def _pitch_track(x: np.ndarray, db: np.ndarray, precise: bool = True) -> np.ndarray:
    """MIDI pitch per frame (NaN where unvoiced), by pYIN; or (not `precise`) by YIN, 70 times
    faster, NaN only where the level is 30 dB under the loudest frame."""
    import librosa

    if precise:
        f0, voiced, _ = librosa.pyin(x, fmin=FMIN, fmax=FMAX, sr=SAMPLE_RATE, frame_length=2048, hop_length=HOP,
                                     center=True)
        return 69 + 12 * np.log2(np.where(voiced & np.isfinite(f0), f0, np.nan) / 440.0)
    f0 = librosa.yin(x, fmin=FMIN, fmax=FMAX, sr=SAMPLE_RATE, frame_length=2048, hop_length=HOP, center=True)
    n = min(f0.size, db.size)
    return np.where(db[:n] > -30.0, 69 + 12 * np.log2(f0[:n] / 440.0), np.nan)


def _onset_frames(x: np.ndarray) -> np.ndarray:
    import librosa

    env = librosa.onset.onset_strength(y=x, sr=SAMPLE_RATE, hop_length=HOP)
    return librosa.onset.onset_detect(onset_envelope=env, sr=SAMPLE_RATE, hop_length=HOP, backtrack=True,
                                      units="frames")


def _pitch_changes(midi: np.ndarray) -> list[int]:
    """Frames where a voiced pitch moves by PITCH_STEP or more and then holds for STABLE frames."""
    changes, current = [], math.nan
    for i in range(len(midi) - STABLE):
        window = midi[i : i + STABLE]
        if np.isnan(window).any():
            continue
        centre = float(np.median(window))
        if np.ptp(window) > PITCH_STEP:
            continue
        if math.isnan(current):
            current = centre
        elif abs(centre - current) >= PITCH_STEP:
            changes.append(i)
            current = centre
    return changes


def _yin_pitch(x: np.ndarray, start: int, stop: int) -> float:
    """The median YIN pitch (MIDI) of frames start..stop: for a note pYIN calls unvoiced
    (noise, folding, a band-pass) though its onset is clear."""
    import librosa

    piece = x[start * HOP : max(stop * HOP, start * HOP + 2048)]
    if piece.size < 2048:
        piece = np.pad(piece, (0, 2048 - piece.size))
    f0 = librosa.yin(piece, fmin=FMIN, fmax=FMAX, sr=SAMPLE_RATE, frame_length=2048, hop_length=HOP, center=False)
    return float(69 + 12 * np.log2(np.median(f0) / 440.0))


def boundaries(x: np.ndarray, midi: np.ndarray, n: int) -> list[int]:
    """Where notes may begin: the onsets, and pitch changes that are not just after one (a
    pitch settles a few frames after its onset; that is the same note)."""
    onsets = sorted({int(f) for f in _onset_frames(x) if f < n})
    changes = [c for c in _pitch_changes(midi) if not any(0 <= c - o <= STABLE + 4 for o in onsets)]
    return sorted({0, n, *onsets, *changes})


def find_notes(x: np.ndarray, precise: bool = True) -> list[Note]:
    """The notes of a monophonic phrase (mono float audio at 16 kHz), in time order, echoes
    of a delay line left out (`drop_echoes`); not `precise`: a first look by YIN (see _pitch_track)."""
    x = np.asarray(x, dtype=np.float32)
    if x.size < 4 * HOP:
        return []
    db = _frames_db(x)
    midi = _pitch_track(x, db, precise)
    n = min(len(db), len(midi))
    db, midi = db[:n], midi[:n]
    bounds = boundaries(x, midi, n)
    notes: list[Note] = []
    for a, b in zip(bounds, bounds[1:]):
        active = np.nonzero(db[a:b] > ACTIVE_DB)[0]
        if active.size == 0:
            continue
        start, stop = a + int(active[0]), a + int(active[-1]) + 1
        if (stop - start) * FRAME_S < MIN_NOTE:
            continue
        voiced = midi[start:stop][~np.isnan(midi[start:stop])]
        if voiced.size >= 3:  # the note's first half: glides end, tails wander
            pitch = float(np.median(voiced[: max(3, voiced.size // 2)]))
        else:
            pitch = _yin_pitch(x, start, stop)
        settled = midi[start + 3 : stop]
        steady = bool(settled.size >= 5 and np.mean(~np.isnan(settled)) >= 0.7
                      and np.ptp(np.nanpercentile(settled, [10, 90])) <= STEADY_ST)
        before = float(db[max(start - 4, 0) : start + 1].min())
        dipped = not notes or before <= notes[-1].level_db - DIP_DB or notes[-1].offset < start * FRAME_S - 0.05
        level = float(db[start:stop].max())
        stop = start + int(np.nonzero(db[start:stop] >= level - OFF_DB)[0][-1]) + 1  # the release tail is not held
        rise = float(db[start : start + 5].max() - db[max(start - 3, 0) : start + 1].min())
        note = Note(start * FRAME_S, stop * FRAME_S, int(round(pitch)), round(100 * (pitch - round(pitch)), 1), level,
                    struck=rise >= STRUCK_DB and dipped, steady=steady)
        if notes and notes[-1].pitch == note.pitch and (note.onset - notes[-1].offset) < 2 * FRAME_S and rise < RISE_DB:
            notes[-1] = dataclasses.replace(notes[-1], offset=note.offset, level_db=max(level, notes[-1].level_db))
            continue  # the same pitch going on, not struck again: a boundary of the flux, not a new note
        notes.append(note)
    loudest = max((m.level_db for m in notes), default=0.0)
    return drop_echoes([dataclasses.replace(m, level_db=m.level_db - loudest) for m in notes])[:MAX_NOTES]


def drop_echoes(notes: list[Note]) -> list[Note]:
    """A note that repeats the pitch of a note played up to ECHO_S before it, ECHO_DB quieter
    than that one, is its echo (a delay line), not a note played."""
    kept: list[Note] = []
    for m in notes:
        if any(k.pitch == m.pitch and 0 < m.onset - k.onset <= ECHO_S and m.level_db <= k.level_db - ECHO_DB
               for k in kept):
            continue
        kept.append(m)
    return kept


def is_phrase(notes: list[Note]) -> bool:
    """Whether more than one note was played: a later note struck (its level dipped and rose
    again at its onset) at another steady pitch than an earlier steady note. What a single
    note does on its own is not: a slow attack or a tremolo (no new pitch), a vibrato or
    detuned voices beating (no steady pitch), a delay's echoes (the same pitch). Notes joined
    legato (no dip between them) count when three steady pitches are each held LEGATO_S: a
    slow pitch LFO rests on two at most. One pitch struck again and again (a one-note bass
    line) is matched as one note, as before."""
    steady = [m for m in notes if m.steady]
    if any(m.struck and any(abs(m.pitch - e.pitch) >= 1 for e in steady[:k]) for k, m in enumerate(steady)):
        return True
    return len({m.pitch for m in steady if m.length >= LEGATO_S}) >= 3  # a legato line: three held pitches


PHRASE_SECONDS = 30.0  # a phrase is transcribed from its first 30 s


def read_phrase(path, start: float = 0.0) -> np.ndarray:
    """Up to PHRASE_SECONDS of a sound file from `start`, mono, 16 kHz, at the standard peak
    (the clip convention but the whole phrase: its time axis is the file's, from `start`)."""
    import soxr

    data, rate = audio.read(path, start=start, seconds=PHRASE_SECONDS)
    mono = np.asarray(data, dtype=np.float64).mean(axis=0)
    if not np.all(np.isfinite(mono)):
        raise AudioError(f"{path}: contains NaN or infinite samples")
    if rate != SAMPLE_RATE:
        mono = soxr.resample(mono, rate, SAMPLE_RATE, quality="HQ")
    peak = float(np.abs(mono).max()) if mono.size else 0.0
    if peak < audio.SILENT_PEAK:
        raise AudioError(f"{path}: silent")
    return (mono * (PEAK / peak)).astype(np.float32)


def notes_of(x: np.ndarray) -> list[Note] | None:
    """The notes of an input when it is a phrase, None when it is one note (matched as today).
    A first look with YIN (~20 ms a second of audio) decides whether pYIN's (~1 s a second) is worth it."""
    if not is_phrase(find_notes(x, precise=False)):
        return None
    notes = find_notes(x)
    return notes if is_phrase(notes) else None


# ---------------------------------------------------------------- one preset for all notes


def window_end(notes: list[Note], i: int, total: float) -> float:
    """Where note i's window ends: the next note's onset, the end of the input, or 3 s after its onset."""
    end = notes[i + 1].onset if i + 1 < len(notes) else total
    return min(end, notes[i].onset + audio.CLIP_SECONDS)


def note_clip(x: np.ndarray, notes: list[Note], i: int) -> np.ndarray:
    """Note i in the standard clip: from its onset to its window's end, silence after, at the standard peak."""
    a = int(round(notes[i].onset * SAMPLE_RATE))
    b = int(round(window_end(notes, i, x.size / SAMPLE_RATE) * SAMPLE_RATE))
    clip = np.zeros(CLIP_SAMPLES, dtype=np.float32)
    piece = x[a : min(b, a + CLIP_SAMPLES)]
    clip[: piece.size] = piece
    peak = float(np.abs(clip).max())
    if peak <= 0:
        raise AudioError(f"note {i + 1} at {notes[i].onset:.2f} s is silent")
    return clip * np.float32(PEAK / peak)


def clearest(notes: list[Note], total: float, k: int) -> list[int]:
    """The k notes the network hears best: long windows, loud, not cut short; in time order."""
    score = [min(window_end(notes, i, total) - m.onset, 1.5) + m.level_db / 20 for i, m in enumerate(notes)]
    return sorted(sorted(range(len(notes)), key=lambda i: -score[i])[:k])


def spread(chosen: list[int], n: int, k: int) -> list[int]:
    """Up to k notes to score on: the chosen ones, then others spread over the phrase."""
    out = list(chosen[:k])
    for i in np.linspace(0, n - 1, num=min(n, 2 * k)).round().astype(int):
        if len(out) < k and int(i) not in out:
            out.append(int(i))
    return sorted(out)


def at_note(p: Patch, t: Target) -> Patch:
    """The patch playing one note of the phrase: moved by the note's interval from the patch's
    reference note, held its length (within its window)."""
    return p.replace(note=min(127, max(0, p.note + t.shift)), length=min(t.note.length, t.window, FIELD["length"].hi))


@dataclass(frozen=True)
class Target:
    """One note a candidate is scored on: its standard clip, its window, and its interval from
    the reference note the candidates' Note line plays (semitones)."""

    clip: np.ndarray
    note: Note
    window: float  # s
    shift: int = 0


def targets(x: np.ndarray, notes: list[Note], indices: list[int], ref: int) -> list[Target]:
    """The notes `indices` as targets, their intervals measured from the pitch `ref`."""
    total = x.size / SAMPLE_RATE
    return [Target(note_clip(x, notes, i), notes[i], window_end(notes, i, total) - notes[i].onset, notes[i].pitch - ref)
            for i in indices]


def _windowed(rendered: np.ndarray, window: float) -> np.ndarray | None:
    out = rendered.copy()
    out[int(round(window * SAMPLE_RATE)) :] = 0.0
    peak = float(np.abs(out).max())
    return None if peak <= 0 else out * np.float32(PEAK / peak)


def note_distance(job: tuple[Target, Patch]) -> float:
    """MSS of a patch played at one target note, within that note's window (a patch silent at
    that note is as far as silence is)."""
    from .metrics import mss

    t, p = job
    try:
        rendered = _windowed(synth.render(at_note(p, t)), t.window)
    except AudioError:
        rendered = None
    return float(mss(t.clip[None], (np.zeros_like(t.clip) if rendered is None else rendered)[None])[0])


class PhraseScorer:
    """The summed distance of patches over several notes (refine.Scorer's interface)."""

    def __init__(self, scored: list[Target], pool=None) -> None:
        self.scored, self.pool, self.renders = scored, pool, 0

    def __call__(self, patches: list[Patch]) -> list[float]:
        jobs = [(t, p) for p in patches for t in self.scored]
        self.renders += len(jobs)
        ds = self.pool.map(note_distance, jobs, chunksize=1) if self.pool is not None else [note_distance(j) for j in jobs]
        k = len(self.scored)
        return [float(sum(ds[i * k : (i + 1) * k])) for i in range(len(patches))]


@dataclass(frozen=True)
class PhraseMatch:
    patch: Patch  # playing the lead (first scored) note: its Note line, and the note's length
    transpose: int  # the patch's note minus the lead's heard pitch (an octave where a sub-oscillator or FM fools the ear)
    distance: float  # summed over the scored notes
    per_note: list[float]
    listened: list[int]  # the notes the network heard (besides the 3 s after the first onset)
    scored: list[int]  # the notes every candidate was scored on


def match_phrase(x: np.ndarray, notes: list[Note], model, vocab, options, pool=None, progress=None) -> PhraseMatch:
    """One preset for all the notes: the network's candidates for the clearest notes and for
    the 3 s after the first onset (what the one-note match hears), with the floor's plain
    patches for each, pooled and ranked by the distance summed over the scored notes;
    `options.refine` searches with that distance too."""
    from . import match as matching
    from .model import Guess

    total = x.size / SAMPLE_RATE
    listened = clearest(notes, total, LISTEN)
    scored = spread(listened, len(notes), SCORE)
    lead = notes[scored[0]]
    heard = [(audio.standardize(x, SAMPLE_RATE), notes[0].pitch), *((note_clip(x, notes, i), notes[i].pitch) for i in listened)]
    pool_of: dict[Patch, Guess] = {}
    for clip, pitch in heard:  # each candidate keeps its note relative to the pitch heard in its clip
        found = matching.guesses(clip, model, vocab, options)
        plain = matching.plain_patches(clip, found[0].patch, matching.estimate_note(clip)) if options.floor else []
        for g in [*found, *(Guess(p, math.nan) for p in plain)]:
            pool_of.setdefault(g.patch.replace(note=min(127, max(0, g.patch.note + lead.pitch - pitch))), g)
    patches = list(pool_of)
    scorer = PhraseScorer(targets(x, notes, scored, lead.pitch), pool)  # the scored notes' clips, made once
    ds = scorer(patches)
    order = [int(i) for i in np.argsort(ds)]
    best, best_d = patches[order[0]], float(ds[order[0]])
    if options.refine:
        from .refine import refine

        found = refine(None, [patches[i] for i in order], renders=options.renders, seconds=options.seconds,
                       pool=pool, progress=progress, scorer=scorer)
        best, best_d = found.patch, found.distance
    per_note = [note_distance((t, best)) for t in scorer.scored]
    lead_target = Target(np.zeros(0, np.float32), lead, lead.length)
    return PhraseMatch(at_note(best, lead_target), best.note - lead.pitch, best_d, per_note, listened, scored)


def played(notes: list[Note], found: PhraseMatch) -> list[Note]:
    """The notes as the matched preset plays them (moved by `transpose`): the MIDI and the replay's."""
    return [dataclasses.replace(m, pitch=min(127, max(0, m.pitch + found.transpose))) for m in notes]


# ---------------------------------------------------------------- what a producer takes away


TICKS, TEMPO = 960, 500_000  # ticks per beat and microseconds per beat (120 BPM): one second is 1 920 ticks


def midi_bytes(notes: list[Note]) -> bytes:
    """A standard MIDI file (type 0) of the notes, in seconds at a nominal 120 BPM (no tempo is detected)."""
    import io

    import mido

    track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=TEMPO, time=0)])
    events = sorted([(round(m.onset * 2 * TICKS), 1, m) for m in notes]
                    + [(round(m.offset * 2 * TICKS), 0, m) for m in notes], key=lambda e: (e[0], e[1]))
    now = 0
    for tick, kind, m in events:
        msg = "note_on" if kind else "note_off"
        track.append(mido.Message(msg, note=m.pitch, velocity=m.velocity if kind else 0, time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=0))
    out = io.BytesIO()
    mido.MidiFile(type=0, ticks_per_beat=TICKS, tracks=[track]).save(file=out)
    return out.getvalue()


def read_midi(data: bytes) -> list[tuple[float, float, int, int]]:
    """(onset s, offset s, pitch, velocity) of every note of a MIDI file written by `midi_bytes`."""
    import io

    import mido

    f = mido.MidiFile(file=io.BytesIO(data))
    now, start, out = 0.0, {}, []
    for msg in mido.merge_tracks(f.tracks):
        now += mido.tick2second(msg.time, f.ticks_per_beat, TEMPO)
        if msg.type == "note_on" and msg.velocity > 0:
            start[msg.note] = (now, msg.velocity)
        elif msg.type in ("note_on", "note_off") and msg.note in start:
            on, vel = start.pop(msg.note)
            out.append((on, now, msg.note, vel))
    return sorted(out)


TAIL_S = 4.0  # at most this much of each note's release and effects after its note-off


def replay(p: Patch, notes: list[Note], sample_rate: int = synth.VITAL_RATE) -> np.ndarray:
    """The phrase played back by the patch: each note rendered at its pitch, length and level
    (a fresh note each, as a polyphonic synth plays them), mixed, stereo, peak -1 dBFS."""
    renderer = synth.Renderer()
    end = max(m.offset for m in notes) + TAIL_S
    out = np.zeros((2, int(end * sample_rate) + 1), dtype=np.float32)
    for m in notes:
        q = p.replace(note=m.pitch, length=min(m.length, FIELD["length"].hi))
        rendered = synth.finish(renderer.render_vital(q, min(q.length + TAIL_S, end - m.onset)),
                                sample_rate=sample_rate, stereo=True, normalize=False)
        a = int(round(m.onset * sample_rate))
        piece = rendered[:, : out.shape[1] - a] * np.float32(10 ** (m.level_db / 20))
        out[:, a : a + piece.shape[1]] += piece
    peak = float(np.abs(out).max())
    if peak <= 0:
        raise AudioError("the replay is silent")
    return out * np.float32(PEAK / peak)


def describe(notes: list[Note], most: int = 8) -> str:
    """The notes' names, the first few: "C3 D#3 G3 ..." """
    from .spec import note_name

    names = " ".join(note_name(m.pitch) for m in notes[:most])
    return names + (" ..." if len(notes) > most else "")


def write_phrase(out_dir, stem: str, x: np.ndarray, notes: list[Note], found: PhraseMatch, fxp: bool = True) -> list:
    """The one-note files of the match at the phrase's lead note (NAME.txt, .vital, .fxp,
    .match.wav, .preview.wav, .png), then NAME.mid, NAME.phrase.wav and NAME.phrase.png."""
    from pathlib import Path

    from . import match as matching
    from .files import write_bytes
    from .metrics import mss

    out_dir = Path(out_dir)
    clip = note_clip(x, notes, found.scored[0])
    rendered = synth.render(found.patch)
    candidate = matching.Candidate(found.patch, math.nan, rendered, float(mss(clip[None], rendered[None])[0]))
    written = matching.write_match(out_dir, stem, clip, [candidate], fxp)
    mid, wav, png = (out_dir / f"{stem}{suffix}" for suffix in (".mid", ".phrase.wav", ".phrase.png"))
    moved = played(notes, found)
    write_bytes(mid, midi_bytes(moved))
    replayed = replay(found.patch, moved)
    audio.write_wav(wav, replayed, synth.VITAL_RATE)
    plot_phrase(png, x, mono16(replayed), notes)
    return [*written, mid, wav, png]


def plot_phrase(png, x: np.ndarray, replayed: np.ndarray, notes: list[Note]) -> None:
    """The input and the replay (16 kHz mono) as spectrograms, each note found marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .files import atomic_path
    from .match import PLOT_FLOOR_DB, spectrogram_db

    fig, axes = plt.subplots(2, 1, figsize=(12, 6), sharex=True)
    for ax, y, title in ((axes[0], x, "input"), (axes[1], replayed, "replay with the matched preset")):
        db, freqs, times = spectrogram_db(y)
        ax.pcolormesh(times, freqs, db, cmap="magma", vmin=PLOT_FLOOR_DB, shading="auto")
        ax.set_yscale("symlog", linthresh=200)
        ax.set_ylim(30, SAMPLE_RATE / 2)
        for m in notes:
            f = midi_to_hz(m.pitch)
            ax.plot([m.onset, m.offset], [f, f], color="cyan", lw=2)
        ax.set_title(title)
        ax.set_ylabel("Hz")
    axes[1].set_xlabel("s")
    fig.tight_layout()
    with atomic_path(png) as tmp:
        fig.savefig(tmp, dpi=80, format="png")
    plt.close(fig)


def mono16(replayed: np.ndarray) -> np.ndarray:
    """A 44.1 kHz stereo replay as 16 kHz mono (for the picture)."""
    return synth.finish(replayed, sample_rate=SAMPLE_RATE, stereo=False, normalize=False)


# ---------------------------------------------------------------- generated phrases (tests, measurements)

STYLES = ("legato", "staccato", "repeated", "overlapping")


def _nearest_octave(m: Note, truth: list[Note]) -> Note:
    """m moved by whole octaves to the pitch of the true note nearest in time, where it is a whole number of octaves off."""
    near = min(truth, key=lambda t: abs(t.onset - m.onset))
    if (m.pitch - near.pitch) % 12 == 0:
        return Note(m.onset, m.offset, near.pitch, m.cents, m.level_db)
    return m


def random_melody(rng: np.random.Generator, centre: int, style: str, n: int = 6) -> list[Note]:
    """A monophonic melody around `centre`: legato (each note ends where the next begins),
    staccato (short notes, gaps), repeated (runs of one pitch, re-struck) or overlapping (short
    notes whose release tails ring into the next; the patch's release does that)."""
    notes, t, pitch = [], 0.05, centre
    for k in range(n):
        ioi = float(rng.uniform(0.2, 0.6))
        length = {"legato": ioi, "staccato": ioi * float(rng.uniform(0.3, 0.6)),
                  "repeated": ioi * float(rng.uniform(0.5, 0.8)), "overlapping": ioi * float(rng.uniform(0.4, 0.7))}[style]
        if k and not (style == "repeated" and rng.random() < 0.6):
            pitch = int(np.clip(pitch + rng.choice([-7, -5, -4, -3, -2, 2, 3, 4, 5, 7]), centre - 9, centre + 9))
        level = float(rng.uniform(-6.0, 0.0))
        notes.append(Note(round(t, 3), round(t + length, 3), int(pitch), 0.0, level))
        t += ioi
    return notes


def render_phrase(p: Patch, notes: list[Note]) -> np.ndarray:
    """A phrase's audio as an input would be: mono, 16 kHz (the replay of its notes by the patch)."""
    return mono16(replay(p, notes))


def note_scores(found: list[Note], truth: list[Note], octave: bool = False) -> dict[str, float]:
    """Note precision, recall and F1 (mir_eval: onset within 50 ms, pitch within 50 cents, offsets
    ignored); with `octave`, a pitch an octave or two off counts (a sub-oscillator or FM can make
    the sounding fundamental another octave than the played note)."""
    if octave:
        found = [_nearest_octave(m, truth) for m in found]
    import mir_eval

    def arrays(notes):
        iv = np.array([[m.onset, max(m.offset, m.onset + 0.01)] for m in notes]).reshape(-1, 2)
        return iv, np.array([midi_to_hz(m.pitch + m.cents / 100) for m in notes])

    (ti, tp), (fi, fp) = arrays(truth), arrays(found)
    if not len(found):
        return {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    p, r, f, _ = mir_eval.transcription.precision_recall_f1_overlap(ti, tp, fi, fp, onset_tolerance=0.05,
                                                                   pitch_tolerance=50.0, offset_ratio=None)
    return {"precision": float(p), "recall": float(r), "f1": float(f)}
