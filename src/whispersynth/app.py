"""The web app: drop a sound, hear the match, take the preset, turn its knobs by ear (a thin Gradio
layer over `match` and `editor`).

Every step is a library call the CLI makes too (audio.load, match.find, match.write_match,
with the same MatchOptions); this module lays them out, enforces the upload limits and keeps
the app's files in one working folder (`Workspace`): created at launch, the only folder the
server may serve from, pruned by age and total size, removed at exit. Requests are queued
(one match at a time); a full queue is refused with Gradio's "busy, try again" message; one
user's bad file is that user's error message and nothing else. The editor ("Learn by ear") keeps
each browser session's patch in Gradio's per-session state and renders in a synth of its own,
its events in a queue of their own (one render at a time), beside the matches.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import secrets
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import soundfile as sf

from . import audio, editor, influence, match, settings, synth
from .errors import AudioError, WhisperSynthError

MAX_MB = 20.0  # uploads larger than this are refused before they are read
MAX_SECONDS = 60.0  # and so are longer ones: a note or a loop is wanted, not a song
QUEUE_SIZE = 16  # matches waiting at most; more are refused ("busy, try again")
KEEP_MINUTES = 60.0  # results and uploads are deleted after this long
MAX_DISK_MB = 1000.0  # and, oldest first, whenever the working folder grows past this
PRUNE_SECONDS = 15.0  # how often the working folder is pruned between requests
OPTIONS = match.MatchOptions(top_k=3)  # the app shows the three best candidates
# match --rank-by, in words (the model card's section "The match's ranking" has what each measured)
RANKING_CHOICES = [("distance (MSS)", "mss"),
                   ("distance x spectrum (MSS x log-mel: closer on real presets, less often the true settings)",
                    "mss-logmel"),
                   (f"auto, the default: distance, or distance times spectrum when nothing is close (MSS over {match.FAR})",
                    "auto")]
EXAMPLES = Path(__file__).parent / "examples"


class UploadError(WhisperSynthError):
    """An upload over the app's limits."""


def check_upload(path: str | Path | None, max_mb: float = MAX_MB, max_seconds: float = MAX_SECONDS) -> Path:
    """The uploaded file, if it is within the app's size and duration limits (UploadError if not)."""
    if not path:
        raise UploadError("no sound given: upload or record one first")
    path = Path(path)
    if not path.is_file():
        raise UploadError(f"{path.name}: the upload is no longer on the server (old files are deleted to keep "
                          "the app's disk use bounded); upload it again")
    size = path.stat().st_size
    if size > max_mb * 1e6:
        raise UploadError(f"{path.name}: {size / 1e6:.1f} MB is over the {max_mb:.0f} MB upload limit")
    try:
        seconds = sf.info(str(path)).duration
    except (sf.LibsndfileError, RuntimeError):
        return path  # not audio at all: audio.load names the problem
    if seconds > max_seconds:
        raise UploadError(f"{path.name}: {seconds:.0f} s is over the {max_seconds:.0f} s limit; trim it to the note "
                          "or the loop")
    return path


class Workspace:
    """The app's one working folder: `results/<unguessable id>/` per request, `uploads/` (Gradio's
    upload and file cache) and `examples/`. Entries of results and uploads are deleted when older
    than `keep_minutes`, and oldest first while the folder is over `max_disk_mb`."""

    def __init__(self, keep_minutes: float = KEEP_MINUTES, max_disk_mb: float = MAX_DISK_MB,
                 parent: str | Path | None = None) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="whispersynth-app-", dir=parent)).resolve()
        self.results, self.uploads, self.examples = (self.root / n for n in ("results", "uploads", "examples"))
        for folder in (self.results, self.uploads, self.examples):
            folder.mkdir()
        for example in EXAMPLES.iterdir():  # served from here, not from wherever the package lives
            if example.suffix.lower() in match.AUDIO_SUFFIXES:
                shutil.copy(example, self.examples / example.name)
        self.keep_seconds, self.max_bytes = keep_minutes * 60, max_disk_mb * 1e6
        self._lock = threading.Lock()
        self._active: set[Path] = set()

    @contextlib.contextmanager
    def request(self, upload: str | Path | None = None, prune: bool = True) -> Iterator[Path]:
        """A fresh folder for one request's outputs, made after making room (unless `prune` is
        False: an editor's move, small and frequent, leaves it to the pruning loop); it and the
        upload are not pruned while the request runs, and the folder goes if the request fails."""
        if prune:
            self.prune()
        folder = self.results / secrets.token_urlsafe(16)  # unguessable: no one finds another's files
        folder.mkdir()
        held = {folder} | ({self._entry(Path(upload))} if upload else set())
        with self._lock:
            self._active |= held
        try:
            yield folder
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)  # nothing half-made stays behind
            raise
        finally:
            with self._lock:
                self._active -= held

    def _entry(self, path: Path) -> Path:
        """The pruned entry (a direct child of results/ or uploads/) that holds `path`."""
        path = path.resolve()
        for top in (self.results, self.uploads):
            if path.is_relative_to(top) and path != top:
                return top / path.relative_to(top).parts[0]
        return path

    def size(self) -> int:
        return _size(self.root)

    def prune(self) -> None:
        """Delete expired entries, then the oldest while over the size cap (never a running request's)."""
        with self._lock:
            entries = sorted((_mtime(p), p) for d in (self.results, self.uploads) for p in d.iterdir()
                             if p not in self._active)
            total, now = self.size(), time.time()
            for mtime, p in entries:  # oldest first
                if now - mtime <= self.keep_seconds and total <= self.max_bytes:
                    break
                total -= _size(p)
                _remove(p)

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _mtime(p: Path) -> float:
    with contextlib.suppress(FileNotFoundError):
        return p.lstat().st_mtime  # a folder's changes when its files are written
    return 0.0


def _size(p: Path) -> int:
    """Bytes in a file or folder; files that vanish meanwhile (other requests, Gradio) count 0."""
    files = [os.path.join(d, f) for d, _, names in os.walk(p) for f in names] if p.is_dir() else [p]
    total = 0
    for f in files:
        with contextlib.suppress(FileNotFoundError):
            total += os.lstat(f).st_size
    return total


def _remove(p: Path) -> None:
    if p.is_dir():
        shutil.rmtree(p, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


@functools.lru_cache(maxsize=2)
def _model(model_dir: str | None):
    return match.load_model(model_dir)


def card(text: str, distance: float, rank: int, logmel: float | None = None) -> str:
    """The settings as a readable card (Markdown): the candidate's MSS and, for a note's match, its
    log-mel L1 (a phrase's match has the mean MSS over its notes only)."""
    rows = []
    for line in text.strip().splitlines():
        key, _, value = line.partition(":")
        rows.append(f"| **{key.strip()}** | {value.strip()} |")
    lm = "" if logmel is None else f" · log-mel L1 {logmel:.3f}"
    head = f"### Match {rank} · audio distance (MSS) {distance:.3f}{lm}\n\n| setting | value |\n|---|---|\n"
    return head + "\n".join(rows) + "\n"


def run_match(path, out: Path, options: match.MatchOptions = OPTIONS, model_dir: str | None = None,
              start: float = 0.0, pool=None, progress=None) -> dict:
    """Match one upload into the folder `out`; returns the written files of every candidate, best first."""
    source = check_upload(path)
    clip = audio.load(source, start=start)
    net, vocab = _model(model_dir)
    if options.phrase:
        from . import phrase

        x = phrase.read_phrase(source, start=start)
        notes = phrase.notes_of(x)
        if notes is not None:
            return run_phrase(source, x, notes, out, options, net, vocab, pool)

    def show(best, renders):
        if progress is not None:
            progress(0.5, desc=f"refining: {renders} renders, best MSS {best:.3f}")

    found, _ = match.find(clip, net, vocab, options, pool, show)
    stem = Path(source).stem or "sound"
    match.write_match(out, stem, clip, found, pool=pool)
    audio.write_wav(out / f"{stem}.input.wav", clip, audio.SAMPLE_RATE)
    cands = []
    for i, c in enumerate(found):
        names = match.output_names(out, stem, i)
        cands.append({"text": settings.format(c.patch), "distance": c.distance, "logmel": c.logmel,
                      **{k: str(v) for k, v in names.items()},
                      "downloads": [str(names[k]) for k in ("txt", "vital", "fxp")]})
    return {"input": str(out / f"{stem}.input.wav"), "candidates": cands,
            "warnings": match.warnings_for(clip)}


def run_phrase(source: Path, x, notes, out: Path, options: match.MatchOptions, net, vocab, pool=None) -> dict:
    """A dropped phrase or loop: one preset for its notes (phrase.match_phrase); B plays the whole
    phrase back with it, the picture marks the notes, the downloads add the MIDI of the notes."""
    from . import phrase

    found = phrase.match_phrase(x, notes, net, vocab, options, pool)
    stem = Path(source).stem or "sound"
    phrase.write_phrase(out, stem, x, notes, found)
    audio.write_wav(out / f"{stem}.input.wav", x, audio.SAMPLE_RATE)
    names = match.output_names(out, stem, 0)
    mean = found.distance / len(found.scored)
    return {"input": str(out / f"{stem}.input.wav"), "phrase": phrase.describe(notes, most=16), "notes": len(notes),
            "candidates": [{"text": settings.format(found.patch), "distance": mean, "match": str(out / f"{stem}.phrase.wav"),
                            "png": str(out / f"{stem}.phrase.png"),
                            "downloads": [str(names[k]) for k in ("txt", "vital", "fxp")] + [str(out / f"{stem}.mid")]}],
            "warnings": match.warnings_for(phrase.note_clip(x, notes, found.scored[0]))}


class App:
    """The running app: its workspace, the Gradio Blocks and (from the first match) a render pool."""

    def __init__(self, model_dir: str | None = None, options: match.MatchOptions = OPTIONS,
                 keep_minutes: float = KEEP_MINUTES, max_disk_mb: float = MAX_DISK_MB,
                 prune_seconds: float = PRUNE_SECONDS) -> None:
        self.workspace = Workspace(keep_minutes, max_disk_mb)
        # Gradio keeps uploads and the copies of files it serves in its "temp dir": ours, pruned
        os.environ["GRADIO_TEMP_DIR"] = str(self.workspace.uploads)
        os.environ["GRADIO_EXAMPLES_CACHE"] = str(self.workspace.uploads / "examples-cache")
        os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
        self.model_dir, self.options, self._pool, self.prune_seconds = model_dir, options, None, prune_seconds
        self._closed = threading.Event()
        self.audition = editor.Audition()  # the editor's own synth: edits never wait for a match's renders
        self.demo = build(self)
        threading.Thread(target=self._prune_loop, daemon=True).start()

    def _prune_loop(self) -> None:
        while not self._closed.wait(self.prune_seconds):
            self.workspace.prune()

    def pool(self):
        """The render processes that rank and refine, started on first use."""
        if self._pool is None and self.options.workers > 1:
            from .refine import render_pool

            self._pool = render_pool(self.options.workers)
        return self._pool

    def match(self, source, top_k: int, refine: bool, budget: float, progress=None, ranking: str | None = None,
              retrieve: int | None = None) -> dict:
        options = replace(self.options, top_k=int(top_k), refine=bool(refine), seconds=float(budget),
                          ranking=ranking or self.options.ranking,
                          retrieve=self.options.retrieve if retrieve is None else int(retrieve))
        with self.workspace.request(source) as out:
            return run_match(source, out, options, self.model_dir, pool=self.pool(), progress=progress)

    def start_edit(self, patch, reference: str | Path | None = None, stem: str = "patch") -> dict:
        """A session of the editor: the patch it started from, what it is compared with (the matched
        sound, else that patch itself) and the values remembered for lines turned off and on again."""
        clip = audio.load(reference) if reference is not None else None
        try:
            start = self.audition.hear(patch, clip)
        except AudioError:
            raise WhisperSynthError("this patch is silent in the 3 s clip; start from another") from None
        with self.workspace.request() as out:
            start_wav = out / f"{stem}.start.wav"
            audio.write_wav(start_wav, start.listening, synth.VITAL_RATE)
        return {"patch": patch, "memory": editor.remember({}, patch), "stem": stem, "start_wav": str(start_wav),
                "reference": start.standard if clip is None else clip, "start_distance": start.distance,
                "reference_wav": str(reference or start_wav), "to": "your sound" if clip is not None else "where you started"}

    def edit(self, session: dict, key: str, value) -> dict:
        """The session after one control is moved (editor.edit: a valid patch, the rules followed)."""
        p = editor.edit(session["patch"], key, value, session["memory"])
        return {**session, "patch": p, "memory": editor.remember(session["memory"], p)}

    def hear(self, session: dict) -> dict:
        """Render the session's patch, write its files in a fresh folder of the workspace: what the page shows."""
        p = session["patch"]
        try:
            heard = self.audition.hear(p, session["reference"])
        except AudioError:
            heard = None
        with self.workspace.request(prune=False) as out:
            files = editor.write_edit(out, p, heard, f"{session['stem']}.edit")
        return {"text": settings.format(p), "audio": str(files["audio"]) if "audio" in files else None,
                "picture": editor.picture(session["reference"], heard.standard if heard else None),
                "distance": editor.describe(heard.distance if heard else None, session["to"],
                                            session["start_distance"] if session["to"] == "your sound" else None),
                "downloads": [str(f) for f in files["downloads"]]}

    def close(self) -> None:
        if self._closed.is_set():
            return
        self._closed.set()
        with contextlib.suppress(Exception):
            self.demo.close()
        if self._pool is not None:
            self._pool.terminate()
        self.workspace.close()


def _error_message(e: Exception, source) -> str:
    message = str(e) if isinstance(e, WhisperSynthError) else f"cannot read the upload: {e.strerror or e}"
    if source:  # name the user's file, not the server's copy of it
        message = message.replace(str(Path(source).parent) + os.sep, "")
    return message


def build(app: App):
    """The Gradio Blocks of the app."""
    import gradio as gr

    def views(result: dict, rank: int):
        c = result["candidates"][rank]
        note = "".join(f"\n\n> ⚠ {w}" for w in result["warnings"])
        if "phrase" in result:
            note = (f"\n\n**A phrase of {result['notes']} notes** ({result['phrase']}): one preset for all of them "
                    "(MSS is the mean over the notes it was scored on); B plays the phrase back with it, the MIDI "
                    "of the notes is in the downloads." + note)
        return (card(c["text"], c["distance"], rank + 1, c.get("logmel")) + note, c["text"], result["input"], c["match"],
                c["png"], c["downloads"])

    def on_match(upload, recorded, top_k, refine, budget, ranking, retrieve, progress=gr.Progress()):
        source = upload or recorded
        try:  # (an unknown ranking: MatchOptions' own WhisperSynthError, shown like the CLI's)
            result = app.match(source, top_k, refine, budget, progress=progress, ranking=ranking, retrieve=retrieve)
        except (WhisperSynthError, OSError) as e:
            raise gr.Error(_error_message(e, source), print_exception=False) from None
        choices = [f"{i + 1}: MSS {c['distance']:.3f}" + (f", log-mel {c['logmel']:.3f}" if "logmel" in c else "")
                   for i, c in enumerate(result["candidates"])]  # (a phrase's candidates have MSS only)
        return (result, gr.update(choices=choices, value=choices[0], visible=len(choices) > 1), *views(result, 0))

    def on_pick(result, choice):
        if not result or not choice:
            raise gr.Error("match a sound first")
        return views(result, int(choice.split(":")[0]) - 1)

    with gr.Blocks(title="WhisperSynth") as demo:
        gr.Markdown("# WhisperSynth\nDrop a synth sound: get the Vital settings that make it, hear the "
                    "match beside the original, and take the preset. Then turn its knobs by ear.")
        state = gr.State()
        with gr.Tabs() as tabs:
            with gr.Tab("Match", id="match-tab"):
                with gr.Row():
                    with gr.Column():
                        upload = gr.File(label=f"Sound file (wav, flac, ogg, aiff, mp3; up to {MAX_MB:.0f} MB and "
                                         f"{MAX_SECONDS:.0f} s)", type="filepath", elem_id="upload")
                        recorded = gr.Audio(sources=["microphone"], type="filepath", label="…or record one")
                        examples = sorted(str(p) for p in app.workspace.examples.iterdir())
                        gr.Examples(examples=[[e] for e in examples], inputs=[upload], label="Bundled examples")
                        top_k = gr.Slider(1, 5, value=app.options.top_k, step=1, label="Candidates shown (ranked by sound)")
                        refine = gr.Checkbox(label="Refine by search (slower, closer)", value=app.options.refine)
                        budget = gr.Slider(2, 30, value=app.options.seconds, step=1, label="Search budget (seconds)")
                        ranking = gr.Radio(RANKING_CHOICES, value=app.options.ranking, label="Rank candidates by",
                                           elem_id="ranking")
                        retrieve = gr.Slider(0, match.RETRIEVE_MAX, value=app.options.retrieve, step=1, elem_id="retrieve",
                                             label="Also try the bank's patches that sound most like it (0: none)")
                        go = gr.Button("Match", variant="primary", elem_id="match")
                    with gr.Column():
                        pick = gr.Radio(label="Candidate", visible=False, elem_id="pick")
                        summary = gr.Markdown(elem_id="card")
                        text = gr.Textbox(label="Settings (docs/FORMAT.md)", lines=8, elem_id="settings", buttons=["copy"])
                        with gr.Row():
                            heard = gr.Audio(label="A: your sound (as analysed)", type="filepath", elem_id="input-audio",
                                             interactive=False)
                            matched = gr.Audio(label="B: the match", type="filepath", elem_id="match-audio",
                                               interactive=False)
                        picture = gr.Image(label="Spectrograms: input | match", elem_id="spectrograms")
                        files = gr.File(label="Downloads: settings .txt, Vital preset .vital, Serum preset .fxp (a phrase: and its .mid)",
                                        file_count="multiple",
                                        elem_id="downloads", interactive=False)
                        to_ear = gr.Button("Edit this match by ear", elem_id="edit-match")
            with gr.Tab("Learn by ear", id="ear-tab", elem_id="ear-tab") as ear_tab:
                ear = _ear_tab(app, gr)
        ear_tab.select(*ear.open, concurrency_id="edit")
        outputs = [summary, text, heard, matched, picture, files]
        go.click(on_match, [upload, recorded, top_k, refine, budget, ranking, retrieve], [state, pick, *outputs], api_name="match")
        pick.change(on_pick, [state, pick], outputs)

        def on_edit_match(result, choice):
            if not result or not choice:
                raise gr.Error("match a sound first")
            c = result["candidates"][int(choice.split(":")[0]) - 1]
            stem = Path(result["input"]).name.removesuffix(".input.wav")  # the input's own stem, dots and all
            try:  # (a phrase: compared on its first 3 s)
                session = app.start_edit(settings.parse(c["text"]), result["input"], stem)
            except WhisperSynthError as e:
                raise gr.Error(str(e), print_exception=False) from None
            return (gr.Tabs(selected="ear-tab"), *ear.show(session, fresh=True))

        to_ear.click(on_edit_match, [state, pick], [tabs, *ear.outputs], concurrency_id="edit")
    return demo


def _slug(key: str) -> str:
    return "ed-" + "".join(ch if ch.isalnum() else "-" for ch in key.lower())


def _starts() -> dict:
    """What the editor can start from without a match: Vital's init patch and the bundled settings."""
    from .synth import VITAL_INIT

    found = {"Vital's init patch (one saw)": VITAL_INIT}
    for p in sorted(EXAMPLES.glob("*.txt")):
        found[f"Example: {p.stem}"] = settings.load(p)
    return found


class _Ear:
    """The "Learn by ear" tab's components and what a session shows in them."""

    def __init__(self, app: App, gr, session, controls: dict, fixed: list) -> None:
        self.app, self.gr, self.session, self.controls = app, gr, session, controls
        self.outputs = [session, *controls.values(), *fixed]
        self.open = None  # (function, inputs, outputs) of the tab's first visit

    def updates(self, session: dict, previous: dict | None = None) -> list:
        """The controls' updates; after a move, only those whose value, state or range changed (a
        value the user is typing elsewhere is not overwritten by an answer still on its way)."""
        gr, shown = self.gr, editor.view(session["patch"], session["memory"])
        before = editor.view(previous["patch"], previous["memory"]) if previous else {}
        out = []
        for key in self.controls:
            v, kind = shown[key], editor.CONTROL[key].kind
            if before.get(key) == v:
                out.append(gr.update())
            elif kind == "switch":
                out.append(gr.update(value=v["value"], interactive=v["enabled"]))
            elif kind == "dropdown":
                out.append(gr.update(value=v["value"], choices=list(v["choices"]), interactive=v["enabled"]))
            else:
                out.append(gr.update(value=v["value"], minimum=v["lo"], maximum=v["hi"], interactive=v["enabled"]))
        return out

    def show(self, session: dict, fresh: bool = False, previous: dict | None = None) -> list:
        """Every output of the tab for a session: after a move (`previous`, the session before it)
        the players of A and of the start stay as they are; a `fresh` session sets them."""
        gr, h = self.gr, self.app.hear(session)
        players = [gr.update(), gr.update()]
        if fresh:  # the start's own player only when A is a sound of the user's
            players = [session["reference_wav"], gr.update(value=session["start_wav"], visible=session["to"] == "your sound")]
        return [session, *self.updates(session, previous), *players, h["text"], h["audio"], h["picture"],
                h["distance"], h["downloads"], ""]  # a ranking shown was of the patch before


def _ear_tab(app: App, gr) -> _Ear:
    """Every line of the format as a control (editor.CONTROLS); a move re-renders at once."""
    starts = _starts()
    gr.Markdown("Turn any setting and hear it at once, beside your sound (or the patch you started from). "
                "The controls follow the format's rules: a line that needs another is off until that one is on.")
    session = gr.State()
    with gr.Row():
        start = gr.Dropdown(list(starts), value=next(iter(starts)), label="Start from", elem_id="ed-start")
        upload = gr.File(label="…or a settings file (.txt)", type="filepath", file_types=[".txt"], elem_id="ed-upload")
        load = gr.Button("Load", elem_id="ed-load")
    controls: dict = {}
    with gr.Row():
        with gr.Column(scale=3):
            for line in dict.fromkeys(c.line for c in editor.CONTROLS):
                with gr.Row(equal_height=True):
                    for c in (c for c in editor.CONTROLS if c.line == line):
                        common = {"label": c.label, "elem_id": _slug(c.key), "interactive": True}
                        if c.kind == "switch":
                            controls[c.key] = gr.Checkbox(**{**common, "label": f"{line}: on"}, min_width=120)
                        elif c.kind == "dropdown":
                            controls[c.key] = gr.Dropdown(list(c.choices), **common, min_width=160)
                        else:
                            controls[c.key] = gr.Slider(c.lo, c.hi, step=c.step, **common, min_width=160)
        with gr.Column(scale=2):
            text = gr.Textbox(label="Settings (live)", lines=10, elem_id="ed-settings", interactive=False,
                              buttons=["copy"])
            distance = gr.Markdown(elem_id="ed-distance")
            with gr.Row():
                reference = gr.Audio(label="A: your sound (or where you started)", type="filepath",
                                     elem_id="ed-reference", interactive=False)
                started = gr.Audio(label="the match as it was", type="filepath", elem_id="ed-start-audio",
                                   interactive=False, visible=False)
                edited = gr.Audio(label="B: the edited patch", type="filepath", elem_id="ed-audio", interactive=False)
            picture = gr.Image(label="Spectrograms: A | B", elem_id="ed-picture", type="numpy", format="png")
            downloads = gr.File(label="Downloads: the edited patch as .txt, .vital, .fxp", file_count="multiple",
                                elem_id="ed-downloads", interactive=False)
            explain = gr.Button("What matters here?", elem_id="ed-explain")
            ranking = gr.Markdown(elem_id="ed-ranking")
    ear = _Ear(app, gr, session, controls, [reference, started, text, edited, picture, distance, downloads, ranking])

    def fail(e: Exception):
        raise gr.Error(str(e), print_exception=False) from None

    def on_load(choice, file):
        try:
            if file:
                patch, stem = settings.load(file), Path(file).stem
            else:
                patch, stem = starts[choice], (choice.split(": ")[-1] if choice.startswith("Example") else "init")
            s = app.start_edit(patch, stem=stem)
        except WhisperSynthError as e:
            fail(e)
        return ear.show(s, fresh=True)

    load.click(on_load, [start, upload], ear.outputs, concurrency_id="edit")

    def on_open(s, choice):  # the first visit to the tab starts from the first choice
        return [gr.skip()] * len(ear.outputs) if s else on_load(choice, None)

    ear.open = (on_open, [session, start], ear.outputs)

    def on_move(key):
        def moved(s, value):
            if not s:
                raise gr.Error("load a patch first (Start from, then Load), or match a sound")
            try:
                moved = app.edit(s, key, value)
            except WhisperSynthError as e:
                fail(e)
            if moved["patch"] == s["patch"]:  # nothing changed (a dropdown reports its choice twice)
                return [gr.skip()] * len(ear.outputs)
            return ear.show(moved, previous=s)
        return moved

    for key, component in controls.items():
        event = component.release if editor.CONTROL[key].kind == "slider" else component.input
        event(on_move(key), [session, component], ear.outputs, concurrency_id="edit", trigger_mode="always_last",
              show_progress="hidden")

    def on_explain(s):
        if not s:
            raise gr.Error("load a patch first")
        ranked = influence.rank(s["patch"], render=app.audition.render)
        return "\n".join(f"{i + 1}. **{r.label}**: {r.word} ({r.move}: {r.mss:.3f} MSS)"
                         for i, r in enumerate(ranked))

    explain.click(on_explain, [session], [ranking], concurrency_id="edit")
    return ear


def _exit_on_term(signum, frame) -> None:
    raise SystemExit(128 + signum)


def launch(host: str = "127.0.0.1", port: int = 7860, share: bool = False, model_dir: str | None = None,
           block: bool = True, queue_size: int = QUEUE_SIZE, keep_minutes: float = KEEP_MINUTES,
           max_disk_mb: float = MAX_DISK_MB, workers: int = OPTIONS.workers,
           prune_seconds: float = PRUNE_SECONDS) -> App:
    """Start the app with a queue (one match at a time, `queue_size` waiting). Only the app's
    working folder is served; it is removed when the app stops (or when `close()` is called)."""
    app = App(model_dir, replace(OPTIONS, workers=workers), keep_minutes, max_disk_mb, prune_seconds)
    atexit.register(app.close)
    if block and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _exit_on_term)  # a stopped service also removes its folder
    app.demo.queue(default_concurrency_limit=1, max_size=queue_size)
    try:
        app.demo.launch(server_name=host, server_port=port, share=share, max_file_size=f"{MAX_MB:.0f}mb",
                        prevent_thread_lock=not block, quiet=True, allowed_paths=[str(app.workspace.root)])
    except BaseException:
        app.close()
        raise
    if block:
        app.close()
    return app
