"""The `whispersynth` command line: thin wrappers over the library functions."""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from . import __version__, data, pairs, settings, synth
from . import app as web
from .audio import load as load_audio
from .audio import write_wav
from .data import DataError, DatasetSpec
from .errors import AudioError, WhisperSynthError
from .files import write_text
from .match import FAR, RETRIEVE_MAX, MatchOptions
from .spec import VERSION

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Synth sound matching: settings text <-> Vital presets and audio (docs/FORMAT.md).",
)

SettingsArg = Annotated[Path, typer.Argument(help="A settings .txt file in the format of docs/FORMAT.md.")]


def _out(path: Optional[Path], source: Path, suffix: str) -> Path:
    return path if path is not None else Path(source.stem + suffix)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        typer.echo(__version__)
        raise typer.Exit()


@app.command()
def render(
    settings_file: SettingsArg,
    out: Annotated[Optional[Path], typer.Option("-o", "--out", help="Output .wav (default: <stem>.wav here).")] = None,
    preview: Annotated[bool, typer.Option(help="44.1 kHz stereo, full band, not peak-normalised.")] = False,
) -> None:
    """Render settings to a .wav: the standard render (16 kHz mono, 3 s, peak -1 dBFS)."""
    patch = settings.load(settings_file)
    target = _out(out, settings_file, ".wav")
    if preview:
        audio = synth.render(patch, sample_rate=synth.VITAL_RATE, stereo=True, normalize=False)
        write_wav(target, audio, synth.VITAL_RATE)
    else:
        write_wav(target, synth.render(patch), synth.SAMPLE_RATE)
    typer.echo(f"wrote {target}")


@app.command()
def explain(settings_file: SettingsArg) -> None:
    """Rank the settings by how much they change this patch's sound: each moved a step up and down
    (another choice; off, for a line that is on), re-rendered and compared (MSS; see influence.py)."""
    from . import influence

    typer.echo(influence.report(influence.rank(settings.load(settings_file))), nl=False)


PRESET_FORMATS = {".vital": "vital", ".fxp": "fxp"}


@app.command()
def preset(
    settings_file: SettingsArg,
    out: Annotated[Optional[Path], typer.Option("-o", "--out", help="Output .vital or .fxp (default: <stem>.vital here).")] = None,
    fmt: Annotated[Optional[str], typer.Option("--format", help="vital (Vital) or fxp (Serum 1); default: from the suffix of --out.")] = None,
) -> None:
    """Write settings as a synth preset: Vital (.vital) or Serum 1 (.fxp, see docs/SERUM.md)."""
    patch = settings.load(settings_file)
    if fmt is None:
        fmt = PRESET_FORMATS.get(out.suffix.lower(), "") if out is not None else "vital"
        if not fmt:
            raise WhisperSynthError(f"{out}: unknown preset suffix {out.suffix!r}; use .vital or .fxp, or --format")
    if fmt not in PRESET_FORMATS.values():
        raise WhisperSynthError(f"--format: expected vital or fxp, got {fmt!r}")
    target = _out(out, settings_file, "." + fmt)
    if fmt == "fxp":
        from .files import write_bytes
        from .serum import to_fxp

        write_bytes(target, to_fxp(patch))
    else:
        write_text(target, synth.preset_json(patch))
    typer.echo(f"wrote {target}")


DEFAULT = MatchOptions()  # every match option's default, as the app and evaluate have it


def _counts(text: str, what: str) -> list[int]:
    """A comma-separated list of counts (evaluate --retrieve 0,4); DataError naming the option if not."""
    try:
        counts = [int(t) for t in text.split(",")]
    except ValueError:
        counts = []
    if not counts or min(counts) < 0:
        raise DataError(f"--{what}: expected counts separated by commas (e.g. 0,4), got {text!r}")
    return counts


@app.command("match")
def match_(
    inputs: Annotated[list[Path], typer.Argument(help="Sound files (wav, flac, ogg, aiff, mp3...) or folders.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output folder.")] = Path("out"),
    top_k: Annotated[int, typer.Option(min=1, max=16, help="Keep the K best candidates, ranked by audio distance.")] = DEFAULT.top_k,
    search: Annotated[str, typer.Option(help="doubts (branch where the network is unsure), beams (beam search) or both (half each).")] = DEFAULT.search,
    candidates: Annotated[int, typer.Option("--candidates", "--beams", min=1, max=32, help="Distinct candidates decoded, rendered and ranked (at least --top-k).")] = DEFAULT.candidates,
    start: Annotated[float, typer.Option(min=0.0, help="Analyse the note starting this many seconds in.")] = 0.0,
    model: Annotated[Optional[Path], typer.Option(help="A trained model folder (default: the bundled one).")] = None,
    refine: Annotated[bool, typer.Option(help="Refine the network's guess by CMA-ES on rendered audio (NAME.net.* keeps the guess).")] = False,
    floor: Annotated[bool, typer.Option(help="Try plain patches (a saw, a sine, Vital's init) at the network's note; one goes first when closer by MSS and log-mel "
                                       "(ranked by the product: nothing further by log-mel than the closest of them goes first).")] = DEFAULT.floor,
    rank_by: Annotated[str, typer.Option(help="mss (the multi-resolution STFT distance), mss-logmel (its product with the log-mel L1; "
                                         "the plain patches then join the ranking) or auto (by MSS, by the product when even the "
                                         f"closest is further than MSS {FAR}).")] = DEFAULT.ranking,
    retrieve: Annotated[int, typer.Option(min=0, max=RETRIEVE_MAX, help="Also rank the K patches of the bank whose renders look most like the "
                                          "sound, at the network's note and half at the pitch heard where it differs (0: none).")] = DEFAULT.retrieve,
    bank: Annotated[Optional[Path], typer.Option(help="With --retrieve: a bank folder (data bank; default: the bundled one).")] = None,
    budget: Annotated[float, typer.Option(min=0.5, help="With --refine: seconds of search per sound.")] = DEFAULT.seconds,
    renders: Annotated[Optional[int], typer.Option(min=1, help="With --refine: renders per sound (instead of --budget).")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Render processes (ranking the candidates, and --refine).")] = DEFAULT.workers,
    fxp: Annotated[bool, typer.Option(help="Also write NAME.fxp, a Serum 1 preset.")] = True,
    phrase: Annotated[bool, typer.Option(help="An input with several notes (a phrase, a loop) is matched on its notes "
                                         "and also gets NAME.mid, NAME.phrase.wav and NAME.phrase.png; --no-phrase "
                                         "matches the first note only.")] = DEFAULT.phrase,
) -> None:
    """Find the synth settings that make a sound: writes NAME.txt, NAME.vital, NAME.fxp (Serum),
    NAME.match.wav, NAME.preview.wav and NAME.png per input, and prints the settings. A phrase
    or loop also gets NAME.mid (the notes found), NAME.phrase.wav (the phrase played back with
    the preset) and NAME.phrase.png."""
    from . import match as matching
    from . import phrase as phrases

    options = MatchOptions(search=search, candidates=candidates, top_k=top_k, refine=refine, renders=renders,
                           seconds=budget, workers=workers, floor=floor, phrase=phrase, ranking=rank_by,
                           retrieve=retrieve, bank=str(bank) if bank else None)
    _check_bank(options)
    files = matching.collect_inputs(inputs)
    clips, notes, failed = {}, {}, 0
    for f in files:  # read every input before the model loads: bad files fail fast
        try:
            clips[f] = load_audio(f, start=start)
            if options.phrase:
                x = phrases.read_phrase(f, start=start)
                found = phrases.notes_of(x)
                if found is not None:
                    notes[f] = (x, found)
        except AudioError as e:
            print(f"error: {e}", file=sys.stderr)
            failed += 1
    if clips:
        with matching.search_pool(options) as pool:  # its processes start while the model loads
            net, vocab = matching.load_model(model)
            for f, clip in _progress(clips):
                if f in notes:
                    _match_phrase(f, *notes[f], net, vocab, options, pool, out, fxp)
                else:
                    _match_one(f, clip, net, vocab, options, pool, out, fxp)
    if failed:
        raise typer.Exit(2)


def _progress(clips: dict):
    from tqdm import tqdm

    return tqdm(clips.items(), unit="file", disable=len(clips) < 2)


def _match_one(f: Path, clip, net, vocab, options, pool, out: Path, fxp: bool) -> None:
    """Match one clip, write its files and print its settings."""
    from tqdm import tqdm

    from . import match as matching

    for warning in matching.warnings_for(clip):
        print(f"warning: {f.name}: {warning}", file=sys.stderr)
    with tqdm(desc=f"refining {f.name}", unit="render", leave=False, disable=not options.refine) as bar:

        def show(best, done):
            bar.update(done - bar.n)
            bar.set_postfix(mss=f"{best:.3f}")

        found, guess = matching.find(clip, net, vocab, options, pool, show)
    if options.refine:
        matching.write_network_guess(out, f.stem, guess, fxp)
        typer.echo(f"# {f.name}: network MSS {guess.distance:.3f} -> refined {found[0].distance:.3f}")
    matching.write_match(out, f.stem, clip, found, fxp, pool)
    typer.echo(f"# {f} -> {out / f.stem}.txt (MSS {found[0].distance:.3f})")
    typer.echo(settings.format(found[0].patch))


def _match_phrase(f: Path, x, notes, net, vocab, options, pool, out: Path, fxp: bool) -> None:
    """Match a phrase on its notes, write the one-note files (at its lead note) and the phrase's."""
    from . import match as matching
    from . import phrase as phrases

    found = phrases.match_phrase(x, notes, net, vocab, options, pool)
    written = phrases.write_phrase(out, f.stem, x, notes, found, fxp)
    typer.echo(f"# {f}: {len(notes)} notes ({phrases.describe(notes)}) -> {written[0]} "
               f"(MSS {found.distance / len(found.scored):.3f} a note, over {len(found.scored)} notes)")
    typer.echo(settings.format(found.patch))
    for warning in matching.warnings_for(phrases.note_clip(x, notes, found.scored[0])):
        print(f"warning: {f.name}: {warning}", file=sys.stderr)
        if "polyphonic" in warning:
            print(f"warning: {f.name}: the phrase was transcribed as one voice: a chord is heard as one of its "
                  "pitches", file=sys.stderr)


data_app = typer.Typer(no_args_is_help=True, help="Make, convert and inspect training datasets.")
app.add_typer(data_app, name="data")


def _shard(text: str) -> tuple[int, int]:
    i, sep, n = text.partition("/")
    if not (sep and i.isdigit() and n.isdigit() and 0 <= int(i) < int(n)):
        raise DataError(f"--shard: expected i/n with 0 <= i < n (e.g. 0/4), got {text!r}")
    return int(i), int(n)


@data_app.command()
def generate(
    out: Annotated[Path, typer.Option("--out", help="Dataset folder (created; rerun to resume).")],
    n: Annotated[int, typer.Option("--n", min=1, help="Number of clips in the whole dataset.")],
    seed: Annotated[int, typer.Option(help="Dataset seed: clip i depends only on (seed, i).")] = 0,
    workers: Annotated[int, typer.Option(min=1, help="Render processes (one synth each).")] = os.cpu_count() or 1,
    shard: Annotated[str, typer.Option(help="Make only part i of n (for n machines): i/n.")] = "0/1",
    part_size: Annotated[int, typer.Option(min=1, help="Clips per Parquet part file.")] = 500,
    format_version: Annotated[int, typer.Option(min=1, max=VERSION, help="Settings format version the patches "
                                                "are drawn from (1: no version-2 lines; its datasets are as before).")] = VERSION,
    sampler: Annotated[str, typer.Option(help="uniform: every field drawn over its range; producer: patches shaped "
                                         "like designed presets (basses, leads, pads, plucks, keys, bells, brass, "
                                         "synths; docs/FORMAT.md).")] = "uniform",
) -> None:
    """Render random patches into sharded Parquet. A 3 s int16 clip is ~96 KB, so 200k clips
    need ~19 GB; the run refuses to start when the disk cannot hold the set. Killed runs resume
    when the same command is run again."""
    spec = DatasetSpec(n=n, seed=seed, part_size=part_size, version=format_version, sampler=sampler)
    done = data.generate(out, spec, workers=workers, shard=_shard(shard))
    typer.echo(f"{out}: rendered {done} clips; {spec.n_parts - len(data.pending_parts(out, spec))}"
               f" of {spec.n_parts} parts present")


@data_app.command("export")
def export_(
    folder: Annotated[Path, typer.Argument(help="A dataset folder.")],
    pairs_out: Annotated[Path, typer.Option("--pairs", help="Folder for 000001.wav + 000001.txt pairs.")],
    limit: Annotated[Optional[int], typer.Option(min=1, help="Export at most this many clips.")] = None,
) -> None:
    """Write clips as numbered .wav + .txt pairs (the original project's layout)."""
    typer.echo(f"wrote {pairs.export_pairs(folder, pairs_out, limit)} pairs to {pairs_out}")


@data_app.command("import")
def import_(
    folder: Annotated[Path, typer.Argument(help="A folder of NAME.wav + NAME.txt pairs.")],
    out: Annotated[Path, typer.Option("--out", help="New dataset folder.")],
) -> None:
    """Read a folder of audio + settings pairs into a dataset; bad pairs are skipped and listed."""
    rep = pairs.import_pairs(folder, out)
    for line in rep.skipped:
        typer.echo(f"skipped {line}", err=True)
    typer.echo(rep.summary())


@data_app.command()
def bank(
    folders: Annotated[list[Path], typer.Argument(help="Generated dataset folders (e.g. data generate --sampler producer), "
                                                  "a shard of the bank each.")],
    out: Annotated[Path, typer.Option("--out", help="Bank folder: bank.safetensors and patches.txt.gz, then bank-2..., one per dataset.")],
) -> None:
    """Make a bank for match --retrieve: every clip's pooled log-mel and settings."""
    from . import retrieve

    b = retrieve.build(folders, out)
    typer.echo(f"wrote a bank of {len(b.texts)} patches ({len(folders)} shard{'s' * (len(folders) > 1)}) to {out}")


@data_app.command()
def harvest(
    inputs: Annotated[list[Path], typer.Argument(help="Sounds from outside the training distribution, or folders "
                                                 "of them (never factory presets: those are for evaluation).")],
    out: Annotated[Path, typer.Option("--out", help="Harvest folder: harvest.jsonl, pairs/, set/ (rerun to resume).")],
    model: Annotated[Optional[Path], typer.Option(help="A trained model folder (default: the bundled one).")] = None,
    renders: Annotated[int, typer.Option(min=1, help="Renders of the search per sound.")] = 300,
    min_gain: Annotated[float, typer.Option(min=0.0, max=1.0, help="Keep a pair when the search closed at least "
                                            "this share of the network's distance (MSS).")] = 0.25,
    workers: Annotated[int, typer.Option(min=1, help="Render processes (ranking the candidates and the search).")] = DEFAULT.workers,
    limit: Annotated[Optional[int], typer.Option(min=1, help="Harvest only the first N sounds (in name order).")] = None,
) -> None:
    """Learn from the search: match each sound with --refine and keep (sound, patch found) and
    (the patch's render, patch) as training pairs where the search came much closer than the
    network; then read the pairs into OUT/set, a dataset `train --data` takes."""
    from tqdm import tqdm

    from . import harvest as H
    from . import match as matching

    options = MatchOptions(refine=True, renders=renders, workers=workers)
    files = matching.collect_inputs(inputs)[:limit]
    with matching.search_pool(options) as pool, tqdm(total=len(files), unit="sound", desc="harvesting") as bar:
        net, vocab = matching.load_model(model)
        results, failed = H.harvest(files, out, net, vocab, options, pool, min_gain,
                                    on_error=lambda e: print(f"error: {e}", file=sys.stderr),
                                    progress=lambda h: bar.update(1))
    typer.echo(H.summary(results))
    if any(h.kept for h in results):
        typer.echo(f"{out / 'set'}: {H.to_dataset(out, results).summary()}")
    if failed:
        raise typer.Exit(2)


@data_app.command()
def stats(
    folder: Annotated[Path, typer.Argument(help="A dataset folder.")],
    png: Annotated[Optional[Path], typer.Option(help="Plot file (default: FOLDER/stats.png).")] = None,
) -> None:
    """Print the distribution of every field and write one small plot per field."""
    from . import stats as dataset_stats

    typer.echo(dataset_stats.report(folder), nl=False)
    target = png or folder / "stats.png"
    dataset_stats.plot(folder, target)
    typer.echo(f"wrote {target}")


@app.command("train")
def train_(
    data_dirs: Annotated[list[Path], typer.Option("--data", help="Training dataset folder; repeat it to pool "
                                                    "several (e.g. version-1 clips with version 2's); a folder given twice is drawn twice as often.")],
    out: Annotated[Path, typer.Option("--out", help="Run folder: checkpoints, log.csv, tensorboard/, model/.")],
    val: Annotated[Optional[Path], typer.Option(help="Validation dataset folder (another seed).")] = None,
    size: Annotated[str, typer.Option(help="Model size: debug, cpu, tiny, base or small.")] = "cpu",
    pool: Annotated[int, typer.Option(min=1, help="Average this many mel frames in time (1, 2 or 3...).")] = 2,
    front_end: Annotated[str, typer.Option(help="What the network hears: logmel, fine, pitch, cqt or envelope "
                                                 "(docs in whispersynth.features).")] = "logmel",
    steps: Annotated[int, typer.Option(min=1, help="Optimizer steps.")] = 2000,
    batch_size: Annotated[int, typer.Option(min=1, help="Clips per step (per device and accumulation step).")] = 32,
    grad_accum: Annotated[int, typer.Option(min=1, help="Gradient accumulation steps per optimizer step.")] = 1,
    lr: Annotated[float, typer.Option(help="Peak learning rate (cosine schedule after warm-up).")] = 1e-3,
    warmup: Annotated[int, typer.Option(min=0, help="Warm-up steps.")] = 200,
    loss: Annotated[str, typer.Option(help="soft (Gaussian targets over neighbouring bins) or ce.")] = "soft",
    sigma: Annotated[str, typer.Option(help="Width of the soft targets, in bins: one number, or "
                                             "FIELD=WIDTH,... with an optional default (e.g. 1,cutoff=8,attack=4).")] = "1",
    max_minutes: Annotated[Optional[float], typer.Option(min=0.1, help="Stop after this many minutes of "
                                                          "training (runs compared at equal time).")] = None,
    stop_after: Annotated[Optional[int], typer.Option(min=1, help="Stop at this step, the schedule still set by "
                                                        "--steps (repeats a --max-minutes run).")] = None,
    eval_every: Annotated[int, typer.Option(min=1, help="Validate every N steps.")] = 500,
    save_every: Annotated[int, typer.Option(min=1, help="Checkpoint every N steps.")] = 500,
    val_clips: Annotated[int, typer.Option(min=1, help="Validation clips decoded each time.")] = 256,
    augment: Annotated[bool, typer.Option(help="What real recordings carry (room/plate reverb, EQ tilt, saturation, noise floor, codec, stereo summed to mono, time shift; whispersynth.augment) on the input audio.")] = False,
    bf16: Annotated[bool, typer.Option(help="bfloat16 autocast: faster where the CPU has bf16 instructions "
                                            "(measure with benchmarks/train.py), slower elsewhere.")] = False,
    lora: Annotated[bool, typer.Option(help="Train PEFT LoRA adapters instead of all weights.")] = False,
    init_from: Annotated[Optional[str], typer.Option(help="Start from these weights: a WhisperSynth model folder "
                                                      "(kept whole, widened to --front-end) or pretrained "
                                                      "Whisper (a folder or hub id).")] = None,
    seed: Annotated[int, typer.Option(help="Seed for weights and data order.")] = 0,
    resume: Annotated[bool, typer.Option(help="Continue from the last checkpoint in --out.")] = False,
) -> None:
    """Train a model that writes settings tokens (Whisper encoder-decoder, 🤗 Trainer)."""
    from .features import FRONT_ENDS
    from .train import TrainConfig, train

    if loss not in ("soft", "ce"):
        raise DataError(f"--loss: expected soft or ce, got {loss!r}")
    if front_end not in FRONT_ENDS:
        raise DataError(f"--front-end: expected one of {', '.join(FRONT_ENDS)}, got {front_end!r}")
    width, widths = _sigmas(sigma)
    cfg = TrainConfig(data=[str(d) for d in data_dirs], out=str(out), val=str(val) if val else None, size=size, pool=pool,
                      front_end=front_end, steps=steps, batch_size=batch_size, grad_accum=grad_accum, lr=lr,
                      warmup=warmup, loss=loss, sigma=width, sigmas=widths, max_minutes=max_minutes, stop_after=stop_after,
                      eval_every=eval_every, save_every=save_every, val_clips=val_clips, augment=augment, bf16=bf16,
                      lora=lora, init_from=init_from, seed=seed, resume=resume)
    typer.echo(f"wrote {train(cfg)}")


def _sigmas(text: str) -> tuple[float, dict[str, float] | None]:
    """`--sigma` -> (the default width, per-field widths or None)."""
    from .spec import FIELDS

    names, default, widths = {f.name for f in FIELDS}, 1.0, {}
    for item in filter(None, (t.strip() for t in text.split(","))):
        name, _, value = item.rpartition("=")
        try:
            number = float(value)
        except ValueError:
            raise DataError(f"--sigma: {item!r} is not a width (a number of bins)") from None
        if not (math.isfinite(number) and number >= 0):
            raise DataError(f"--sigma: {item!r}: a width is a number of bins, 0 or more")
        if name and name not in names:
            raise DataError(f"--sigma: no field {name!r}; fields are {', '.join(sorted(names))}")
        if name:
            widths[name] = number
        else:
            default = number
    return default, widths or None


@app.command("export-model")
def export_model(
    source: Annotated[Path, typer.Argument(help="A trained model folder (e.g. runs/NAME/model).")],
    dest: Annotated[Path, typer.Argument(help="The folder to write (e.g. src/whispersynth/models/default).")],
    half: Annotated[bool, typer.Option(help="Store the weights as float16 (half the size).")] = True,
) -> None:
    """Copy a model folder for shipping: safetensors weights (float16 by default), config, vocabulary."""
    from . import model as M

    net, vocab = M.load(source)
    M.save(net, dest, vocab, half=half)
    typer.echo(f"wrote {dest}")


def _check_bank(options: MatchOptions) -> None:
    """When `options` retrieve, a bad bank fails before any sound is read (one line naming it)."""
    if options.retrieve:
        from .match import bank_of

        bank_of(options)


@app.command("evaluate")
def evaluate_(
    data_dir: Annotated[Optional[Path], typer.Option("--data", help="A generated split with known settings (e.g. the test split).")] = None,
    sounds: Annotated[Optional[Path], typer.Option(help="A folder of any sounds (audio figures only).")] = None,
    out: Annotated[Path, typer.Option("--out", help="Report folder: report.json, report.md, mss.png.")] = Path("runs/eval"),
    model: Annotated[Optional[Path], typer.Option(help="A trained model folder (default: the bundled one).")] = None,
    baselines: Annotated[bool, typer.Option(help="Also score a random patch and, with --train, the mean/mode patch and the nearest neighbour.")] = False,
    train_dir: Annotated[Optional[Path], typer.Option("--train", help="Training set, for the mean/mode and nearest-neighbour baselines.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="Evaluate at most this many clips.")] = 1000,
    nn_limit: Annotated[int, typer.Option(min=1, help="Training clips searched by the nearest-neighbour baseline.")] = 20000,
    search: Annotated[str, typer.Option(help="The match searches to score, comma-separated (doubts, beams, both).")] = DEFAULT.search,
    candidates: Annotated[int, typer.Option("--candidates", "--beams", min=1, max=32, help="Candidates each match system ranks (as match --candidates).")] = DEFAULT.candidates,
    refine: Annotated[bool, typer.Option(help="Add match --refine (CMA-ES from the ranked candidates) and search alone (from a random patch).")] = False,
    floor: Annotated[bool, typer.Option(help="As match --floor/--no-floor: plain patches (a saw, a sine, Vital's init) at the network's note.")] = DEFAULT.floor,
    rank_by: Annotated[str, typer.Option(help="The rankings to score, comma-separated (as match --rank-by: mss, mss-logmel, auto).")] = DEFAULT.ranking,
    retrieve: Annotated[str, typer.Option(help="The bank patches each match ranks, comma-separated (as match --retrieve; e.g. 0,4).")] = str(DEFAULT.retrieve),
    bank: Annotated[Optional[Path], typer.Option(help="With --retrieve: a bank folder (data bank; default: the bundled one).")] = None,
    by_ear: Annotated[bool, typer.Option(help="On a generated split, also score each field by ear (one render per wrong field).")] = False,
    renders: Annotated[int, typer.Option(min=1, help="With --refine: renders per clip for both searches.")] = 300,
    workers: Annotated[int, typer.Option(min=1, help="Render processes (ranking the candidates, and --refine).")] = DEFAULT.workers,
) -> None:
    """Score matches by how they sound (MSS and other audio distances) and, on a generated
    split, by per-field errors overall and on the audible subset; optionally against baselines."""
    from . import evaluate as ev
    from .match import search_pool

    if (data_dir is None) == (sounds is None):
        raise DataError("give exactly one of --data (a generated split) or --sounds (a folder of sounds)")
    searches = [MatchOptions(search=s.strip(), candidates=candidates, refine=refine, renders=renders, workers=workers,
                             floor=floor, ranking=r.strip(), retrieve=k, bank=str(bank) if bank else None)
                for s in search.split(",") for r in rank_by.split(",") for k in _counts(retrieve, "retrieve")]
    for options in searches:
        _check_bank(options)
    info: list[dict] = []
    if data_dir is not None:
        clips, truth = ev.load_test_set(data_dir, limit)
    else:
        clips, names = ev.load_sounds(sounds, limit)
        truth, info = None, ev.sound_info(sounds, names)
    with search_pool(searches[0]) as pool:
        systems = ev.systems_for(model, train_dir, baselines, searches, nn_limit, pool)
        if info and all("note" in i for i in info):  # the played notes are known: Vital's init patch at each
            systems = {"Vital init (played note)": ev.init_patch([i["note"] for i in info]), **systems}
        report = ev.evaluate(clips, truth, systems, source=str(data_dir or sounds), ear=by_ear,
                             groups=ev.groups_of(info))
    for path in ev.write_report(report, out):
        typer.echo(f"wrote {path}")
    typer.echo(report.markdown())


@app.command("app")
def app_(
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0 for every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port.")] = 7860,
    share: Annotated[bool, typer.Option(help="Also make a public gradio.live link.")] = False,
    model: Annotated[Optional[Path], typer.Option(help="A trained model folder (default: the bundled one).")] = None,
    queue_size: Annotated[int, typer.Option(min=1, help="Matches that may wait; more are refused as busy.")] = web.QUEUE_SIZE,
    keep_minutes: Annotated[float, typer.Option(min=1, help="Delete results and uploads after this many minutes.")] = web.KEEP_MINUTES,
    max_disk_mb: Annotated[float, typer.Option(min=10, help="Keep the app's working folder under this many MB (oldest results go first).")] = web.MAX_DISK_MB,
    workers: Annotated[int, typer.Option(min=1, help="Render processes for ranking and refining.")] = DEFAULT.workers,
) -> None:
    """Start the web app: drop a sound, hear the match beside it, download the preset. It serves
    only its own working folder (a new temporary folder, removed when it stops)."""
    web.launch(host, port, share, str(model) if model else None, queue_size=queue_size,
               keep_minutes=keep_minutes, max_disk_mb=max_disk_mb, workers=workers)


def main() -> None:
    """Console entry point: user errors become one line on stderr and exit code 2."""
    try:
        app()
    except WhisperSynthError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    except OSError as e:
        name = f" {e.filename}" if e.filename else ""
        print(f"error: cannot access{name}: {e.strerror or e}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
