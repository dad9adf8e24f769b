"""The web app: drop a sound, hear the match, take the preset (a thin Gradio layer over `match`).

Every step is a library call the CLI makes too (audio.load, match.match_clip,
match.refine_match, match.write_match); this module only lays them out and enforces upload
limits. Requests are queued (one match at a time per worker); one user's bad file is that
user's error message and nothing else.
"""

from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path

import soundfile as sf

from . import audio, match, settings
from .errors import WhisperSynthError

MAX_MB = 20.0  # uploads larger than this are refused before they are read
MAX_SECONDS = 60.0  # and so are longer ones: one note is wanted, not a song
EXAMPLES = Path(__file__).parent / "examples"


class UploadError(WhisperSynthError):
    """An upload over the app's limits."""


def check_upload(path: str | Path | None, max_mb: float = MAX_MB, max_seconds: float = MAX_SECONDS) -> Path:
    """The uploaded file, if it is within the app's size and duration limits (UploadError if not)."""
    if not path:
        raise UploadError("no sound given: upload or record one first")
    path = Path(path)
    size = path.stat().st_size
    if size > max_mb * 1e6:
        raise UploadError(f"{path.name}: {size / 1e6:.1f} MB is over the {max_mb:.0f} MB upload limit")
    try:
        seconds = sf.info(str(path)).duration
    except (sf.LibsndfileError, RuntimeError):
        return path  # not audio at all: audio.load names the problem
    if seconds > max_seconds:
        raise UploadError(f"{path.name}: {seconds:.0f} s is over the {max_seconds:.0f} s limit; trim it to the note")
    return path


@functools.lru_cache(maxsize=2)
def _model(model_dir: str | None):
    return match.load_model(model_dir)


def card(text: str, distance: float, rank: int) -> str:
    """The settings as a readable card (Markdown)."""
    rows = []
    for line in text.strip().splitlines():
        key, _, value = line.partition(":")
        rows.append(f"| **{key.strip()}** | {value.strip()} |")
    head = f"### Match {rank} · audio distance (MSS) {distance:.3f}\n\n| setting | value |\n|---|---|\n"
    return head + "\n".join(rows) + "\n"


def run_match(path, top_k: int = 1, refine: bool = False, budget: float = 10.0, model_dir: str | None = None,
              start: float = 0.0, progress=None) -> dict:
    """Match one upload; returns the written files of every candidate, best first."""
    source = check_upload(path)
    clip = audio.load(source, start=start)
    net, vocab = _model(model_dir)

    def show(best, renders):
        if progress is not None:
            progress(0.5, desc=f"refining: {renders} renders, best MSS {best:.3f}")

    found, _ = match.find(clip, net, vocab, top_k=top_k, refine=refine, seconds=budget, progress=show)
    out = Path(tempfile.mkdtemp(prefix="whispersynth-app-"))
    stem = Path(source).stem or "sound"
    match.write_match(out, stem, clip, found)
    audio.write_wav(out / f"{stem}.input.wav", clip, audio.SAMPLE_RATE)
    cands = []
    for i, c in enumerate(found):
        names = match.output_names(out, stem, i)
        cands.append({"text": settings.format(c.patch), "distance": c.distance,
                      **{k: str(v) for k, v in names.items()}})
    return {"input": str(out / f"{stem}.input.wav"), "candidates": cands,
            "warnings": match.warnings_for(clip)}


def build(model_dir: str | None = None):
    """The Gradio Blocks of the app."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr

    def views(result: dict, rank: int):
        c = result["candidates"][rank]
        note = "".join(f"\n\n> ⚠ {w}" for w in result["warnings"])
        return (card(c["text"], c["distance"], rank + 1) + note, c["text"], result["input"], c["match"],
                c["png"], [c["txt"], c["vital"]])

    def on_match(upload, recorded, top_k, refine, budget, progress=gr.Progress()):
        source = upload or recorded
        try:
            result = run_match(source, int(top_k), refine, budget, model_dir, progress=progress)
        except (WhisperSynthError, OSError) as e:
            message = str(e) if isinstance(e, WhisperSynthError) else f"cannot read the upload: {e.strerror or e}"
            if source:  # name the user's file, not the server's temporary copy of it
                message = message.replace(str(Path(source).parent) + os.sep, "")
            raise gr.Error(message, print_exception=False) from None
        choices = [f"{i + 1}: MSS {c['distance']:.3f}" for i, c in enumerate(result["candidates"])]
        return (result, gr.update(choices=choices, value=choices[0], visible=len(choices) > 1), *views(result, 0))

    def on_pick(result, choice):
        if not result or not choice:
            raise gr.Error("match a sound first")
        return views(result, int(choice.split(":")[0]) - 1)

    with gr.Blocks(title="WhisperSynth") as demo:
        gr.Markdown("# WhisperSynth\nDrop a synth sound: get the Vital settings that make it, hear the "
                    "match beside the original, and take the preset.")
        state = gr.State()
        with gr.Row():
            with gr.Column():
                upload = gr.File(label="Sound file (wav, flac, ogg, aiff, mp3)", type="filepath", elem_id="upload")
                recorded = gr.Audio(sources=["microphone"], type="filepath", label="…or record one")
                examples = sorted(str(p) for p in EXAMPLES.iterdir() if p.suffix.lower() in match.AUDIO_SUFFIXES)
                gr.Examples(examples=[[e] for e in examples], inputs=[upload], label="Bundled examples")
                top_k = gr.Slider(1, 5, value=3, step=1, label="Candidates (beams ranked by sound)")
                refine = gr.Checkbox(label="Refine by search (slower, closer)", value=False)
                budget = gr.Slider(2, 30, value=10, step=1, label="Search budget (seconds)")
                go = gr.Button("Match", variant="primary", elem_id="match")
            with gr.Column():
                pick = gr.Radio(label="Candidate", visible=False, elem_id="pick")
                summary = gr.Markdown(elem_id="card")
                text = gr.Textbox(label="Settings (FORMAT.md)", lines=8, elem_id="settings", buttons=["copy"])
                with gr.Row():
                    heard = gr.Audio(label="A: your sound (as analysed)", type="filepath", elem_id="input-audio",
                                     interactive=False)
                    matched = gr.Audio(label="B: the match", type="filepath", elem_id="match-audio",
                                       interactive=False)
                picture = gr.Image(label="Spectrograms: input | match", elem_id="spectrograms")
                files = gr.File(label="Downloads: settings .txt and Vital preset .vital", file_count="multiple",
                                elem_id="downloads", interactive=False)
        outputs = [summary, text, heard, matched, picture, files]
        go.click(on_match, [upload, recorded, top_k, refine, budget], [state, pick, *outputs])
        pick.change(on_pick, [state, pick], outputs)
    return demo


def launch(host: str = "127.0.0.1", port: int = 7860, share: bool = False, model_dir: str | None = None,
           block: bool = True):
    """Start the app with a queue (one match at a time, up to 16 waiting)."""
    demo = build(model_dir)
    demo.queue(default_concurrency_limit=1, max_size=16)
    demo.launch(server_name=host, server_port=port, share=share, max_file_size=f"{MAX_MB:.0f}mb",
                prevent_thread_lock=not block, quiet=True, allowed_paths=[tempfile.gettempdir()])
    return demo

