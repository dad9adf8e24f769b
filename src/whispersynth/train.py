"""Training on 🤗 Trainer: streamed Parquet clips, a loss that knows fields and distances,
validation by constrained decoding, checkpoints that resume exactly.

The same script runs under `accelerate launch` or `torchrun` for several devices.
"""

from __future__ import annotations

import csv
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import torch
from transformers import Seq2SeqTrainer, Seq2SeqTrainingArguments, TrainerCallback
from transformers.trainer_callback import ExportableState
from transformers.trainer_utils import get_last_checkpoint

from . import augment as augment_
from . import metrics
from . import model as M
from .data import DataError, load_clips, read_part, read_spec
from .errors import WhisperSynthError
from .features import front_end
from .files import write_text
from .tokens import BOS, EOS, Vocab


@dataclass
class TrainConfig:
    """Every hyper-parameter of a run (written to OUT/train_config.json)."""

    data: str | list[str]  # a dataset folder, or several (their clips pooled: e.g. version-1 clips mixed into version 2's)
    out: str
    val: str | None = None
    size: str = "cpu"
    pool: int = 2
    front_end: str = "logmel"  # features.FRONT_ENDS
    steps: int = 2000
    batch_size: int = 32  # per device and per accumulation step
    grad_accum: int = 1  # gradient accumulation steps per optimizer step
    lr: float = 1e-3
    warmup: int = 200
    weight_decay: float = 0.01
    loss: str = "soft"  # "soft": Gaussian targets over neighbouring bins; "ce": plain cross-entropy
    sigma: float = 1.0  # width of the soft targets, in bins
    sigmas: dict[str, float] | None = None  # per field widths (in bins) that override `sigma`
    max_minutes: float | None = None  # stop (saving the model) after this much training time
    stop_after: int | None = None  # stop (saving the model) at this step, the schedule still set by `steps`
    eval_every: int = 500
    save_every: int = 500
    val_clips: int = 256
    augment: bool = False
    bf16: bool = False  # bfloat16 autocast: 1.8x the samples/s of float32 on an AVX-512 BF16 CPU (benchmarks/train.py)
    lora: bool = False
    lora_rank: int = 8
    init_from: str | None = None
    seed: int = 0
    resume: bool = False
    progress: bool = True


# ---------------------------------------------------------------- data


def _part_arrays(path: Path, vocab: Vocab) -> tuple[np.ndarray, np.ndarray]:
    """(audio int16 (n, samples), labels int64 (n, tokens)) of one Parquet part."""
    audio, patches = read_part(path)
    return audio, np.array([vocab.encode(p) for p in patches], dtype=np.int64)


def folders(data: str | Path | list) -> list[Path]:
    """A run's training folders: one, or several pooled."""
    return [Path(d) for d in ([data] if isinstance(data, (str, Path)) else data)]


class ClipStream(torch.utils.data.IterableDataset):
    """An endless, reproducible stream of (audio, labels) from one dataset folder or several
    pooled: every epoch visits every clip once, in an order set by (seed, epoch); `start` skips
    to any position without reading past clips."""

    def __init__(self, folder: str | Path | list, seed: int = 0, start: int = 0, vocab: Vocab | None = None) -> None:
        self.parts = []
        for one in folders(folder):
            parts = sorted(one.glob("part-*.parquet"))
            if not parts:
                raise DataError(f"{one}: no part-*.parquet files (make one with `whispersynth data generate`)")
            self.parts += parts
        self.sizes = [pq.ParquetFile(p).metadata.num_rows for p in self.parts]
        self.total, self.seed, self.start, self.vocab = sum(self.sizes), seed, start, vocab or Vocab()

    def __iter__(self):
        epoch, skip = divmod(self.start, self.total)
        while True:
            order = np.random.default_rng([self.seed, epoch]).permutation(len(self.parts))
            for p in order:
                if skip >= self.sizes[p]:
                    skip -= self.sizes[p]
                    continue
                audio, labels = _part_arrays(self.parts[p], self.vocab)
                rows = np.random.default_rng([self.seed, epoch, int(p)]).permutation(len(labels))
                for i in rows[skip:]:
                    yield {"audio": audio[i], "labels": labels[i]}
                skip = 0
            epoch += 1


class Collator:
    """Rows -> model inputs: the front end's features (with optional augmentation) and token labels."""

    def __init__(self, pool: int, augment: bool = False, front: str = "logmel") -> None:
        self.front, self.augment = front_end(pool, front), augment

    def __call__(self, rows: list[dict]) -> dict:
        audio = torch.from_numpy(np.stack([r["audio"] for r in rows]).astype(np.float32) / 32767)
        if self.augment:
            audio = augment_.batch(audio)
        labels = torch.from_numpy(np.stack([r["labels"] for r in rows]))
        start = torch.full((len(rows), 1), BOS, dtype=labels.dtype)
        return {"input_features": self.front(audio), "labels": labels,
                "decoder_input_ids": torch.cat([start, labels[:, :-1]], dim=1)}


# ---------------------------------------------------------------- loss


class FieldLoss:
    """Cross-entropy per token, each position restricted to its field's tokens, against soft
    targets: a Gaussian over neighbouring bins of numeric fields (`sigma` bins wide, or the
    field's own width in `sigmas`), one-hot for categories and special values; weighted per
    field."""

    def __init__(self, vocab: Vocab, sigma: float = 1.0, weights: dict | None = None,
                 sigmas: dict | None = None) -> None:
        size = len(vocab)
        self.targets = torch.eye(size)
        fields = vocab.table
        self.mask = torch.full((len(fields) + 1, size), float("-inf"))
        self.mask[len(fields), EOS] = 0.0
        for k, f in enumerate(fields):
            ft = vocab.fields[f.name]
            self.mask[k, torch.as_tensor(ft.ids)] = 0.0
            bins = torch.as_tensor(ft.ids[ft.n_special :])
            width = (sigmas or {}).get(f.name, sigma)
            if f.kind != "choice" and width > 0 and len(bins) > 1:
                idx = torch.arange(len(bins), dtype=torch.float32)
                g = torch.exp(-0.5 * ((idx[:, None] - idx[None, :]) / width) ** 2)
                self.targets[bins[:, None], bins[None, :]] = g / g.sum(dim=1, keepdim=True)
        w = weights if weights is not None else {f.name: f.weight for f in fields}
        self.weights = torch.tensor([w.get(f.name, 1.0) for f in fields] + [1.0])

    def __call__(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        t = labels.shape[1]
        logp = torch.log_softmax(logits.float() + self.mask[:t], dim=-1)
        target = self.targets[labels]
        per_token = -(target * torch.where(target > 0, logp, torch.zeros_like(logp))).sum(-1)
        weights = self.weights[:t].expand_as(per_token)
        return (per_token * weights).sum() / weights.sum()


def plain_ce(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.cross_entropy(logits.float().flatten(0, 1), labels.flatten())


# ---------------------------------------------------------------- validation


def validate(model, vocab: Vocab, audio: np.ndarray, truth: list, batch: int = 64,
             constrained: bool = True) -> dict[str, float]:
    """Greedy decoding of every clip (constrained unless told otherwise): the rate of outputs
    that decode to a valid patch, and the per-field errors of those."""
    was_training = model.training
    model.eval()
    rows, valid = [], 0
    for i in range(0, len(truth), batch):
        seqs, _ = M.generate_ids(model, vocab, audio[i : i + batch], constrained=constrained)
        for seq, true in zip(seqs, truth[i : i + batch]):
            try:
                patch = vocab.decode(seq)
            except WhisperSynthError:  # tokens out of order, or values a patch cannot hold
                continue
            valid += 1
            rows.append(metrics.field_errors(patch, true))
    model.train(was_training)
    return {"valid_rate": valid / max(len(truth), 1), **metrics.summarize(rows)}


class SettingsTrainer(Seq2SeqTrainer):
    """Seq2SeqTrainer with the field-aware loss and decoding-based validation."""

    def __init__(self, *args, loss_fn, val_set=None, vocab=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.loss_fn, self.val_set, self.vocab = loss_fn, val_set, vocab

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        labels = inputs.pop("labels")
        outputs = model(**inputs)
        loss = self.loss_fn(outputs.logits, labels)
        return (loss, outputs) if return_outputs else loss

    def evaluate(self, eval_dataset=None, ignore_keys=None, metric_key_prefix="eval"):
        if self.val_set is None:
            return {}
        result = validate(self.model, self.vocab, *self.val_set)
        result = {f"{metric_key_prefix}_{k}": v for k, v in result.items()}
        self.log(result)
        self.control = self.callback_handler.on_evaluate(self.args, self.state, self.control, result)
        return result


class CsvLog(TrainerCallback):
    """Every logged value as a row (step, key, value) of OUT/log.csv."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not state.is_world_process_zero or not logs:
            return
        new = not self.path.exists()
        with self.path.open("a", newline="") as fh:
            writer = csv.writer(fh)
            if new:
                writer.writerow(["step", "key", "value"])
            for key, value in logs.items():
                if isinstance(value, (int, float)):
                    writer.writerow([state.global_step, key, value])


# ---------------------------------------------------------------- run


def run_vocab(cfg: TrainConfig) -> Vocab:
    """The vocabulary a run trains: its data's latest format version, or the --init-from model's
    if that is a later one (a version-1 model trained on version-2 data is widened to it)."""
    version = max(read_spec(d).version for d in folders(cfg.data))
    if cfg.init_from and (Path(cfg.init_from) / "vocab.json").is_file():
        version = max(version, max(f.version for f in M.read_vocab(cfg.init_from).table))
    return Vocab.version(version)


def make_model(cfg: TrainConfig, vocab: Vocab):
    if cfg.init_from:
        model = M.init_from(cfg.init_from, cfg.pool, cfg.seed, cfg.front_end, vocab)
    else:
        model = M.build(cfg.size, cfg.pool, cfg.seed, cfg.front_end, vocab)
    return M.add_lora(model, cfg.lora_rank) if cfg.lora else model


def _argument_dict(cfg: TrainConfig) -> dict:
    return dict(
        output_dir=str(Path(cfg.out) / "checkpoints"), max_steps=cfg.steps,
        per_device_train_batch_size=cfg.batch_size, gradient_accumulation_steps=cfg.grad_accum,
        learning_rate=cfg.lr, warmup_steps=cfg.warmup,
        weight_decay=cfg.weight_decay, lr_scheduler_type="cosine", logging_steps=max(1, min(50, cfg.steps // 20)),
        eval_strategy="steps" if cfg.val else "no", eval_steps=cfg.eval_every, save_strategy="steps",
        save_steps=cfg.save_every, save_total_limit=2, report_to=["tensorboard"],
        seed=cfg.seed, use_cpu=not torch.cuda.is_available(),
        dataloader_num_workers=0, remove_unused_columns=False, ignore_data_skip=True,
        disable_tqdm=not cfg.progress, bf16=cfg.bf16,
    )


class StopEarly(TrainerCallback):
    """Stops training at step `steps` or `minutes` of wall time after it began in this process
    (reading data and computing the front end included, so runs with front ends of different
    costs compare at equal time), whichever comes first, the learning-rate schedule still set
    by the run's --steps; the model is saved as at the last step. A time-limited run's step
    count, given back as --stop-after, repeats it on any machine."""

    def __init__(self, minutes: float | None = None, steps: int | None = None) -> None:
        self.seconds = minutes * 60 if minutes else None
        self.steps, self.began = steps, None

    def on_train_begin(self, args, state, control, **kwargs):
        self.began = time.monotonic()

    def on_step_end(self, args, state, control, **kwargs):
        late = self.seconds is not None and self.began is not None and time.monotonic() - self.began >= self.seconds
        if late or (self.steps is not None and state.global_step >= self.steps):
            control.should_training_stop = True
            control.should_save = True


class DataPosition(TrainerCallback, ExportableState):
    """Stores how many clips one optimizer step consumes (batch x accumulation x processes) in
    each checkpoint's trainer state, so a resume skips exactly the clips already seen, whatever
    the layout it resumes with."""

    def __init__(self, clips_per_step: int) -> None:
        self.clips_per_step = clips_per_step

    def state(self) -> dict:
        return {"args": {"clips_per_step": self.clips_per_step}, "attributes": {}}


def clips_per_step(args: Seq2SeqTrainingArguments) -> int:
    return args.per_device_train_batch_size * args.gradient_accumulation_steps * args.world_size


def _resume_point(cfg: TrainConfig, per_step: int) -> tuple[str | None, int]:
    """The checkpoint to resume from and how many clips it had consumed."""
    if not cfg.resume:
        return None, 0
    last = get_last_checkpoint(str(Path(cfg.out) / "checkpoints")) if (Path(cfg.out) / "checkpoints").is_dir() else None
    if last is None:
        raise DataError(f"--resume: {cfg.out} has no checkpoint to resume from")
    state = json.loads((Path(last) / "trainer_state.json").read_text())
    saved = state.get("stateful_callbacks", {}).get(DataPosition.__name__, {}).get("args", {})
    return last, state["global_step"] * saved.get("clips_per_step", per_step)


def train(cfg: TrainConfig) -> Path:
    """Run (or resume) training; returns the folder of the final model (OUT/model)."""
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    vocab = run_vocab(cfg)  # also checks that cfg.data are dataset folders
    write_text(out / "train_config.json", json.dumps(asdict(cfg), indent=1) + "\n")
    args = Seq2SeqTrainingArguments(**_argument_dict(cfg))
    per_step = clips_per_step(args)
    checkpoint, consumed = _resume_point(cfg, per_step)
    model = make_model(cfg, vocab)
    loss_fn = plain_ce if cfg.loss == "ce" else FieldLoss(vocab, cfg.sigma, sigmas=cfg.sigmas)
    val_set = load_clips(cfg.val, cfg.val_clips) if cfg.val else None
    trainer = SettingsTrainer(
        model=model, args=args,
        train_dataset=ClipStream(cfg.data, cfg.seed, start=consumed, vocab=vocab),
        data_collator=Collator(M.features_pool(model), cfg.augment, M.front_of(model.config)),
        callbacks=[CsvLog(out / "log.csv"), DataPosition(per_step)]
        + ([StopEarly(cfg.max_minutes, cfg.stop_after)] if cfg.max_minutes or cfg.stop_after else []),
        loss_fn=loss_fn, vocab=vocab, val_set=val_set, eval_dataset=val_set[1] if val_set else None,
    )
    trainer.train(resume_from_checkpoint=checkpoint)
    M.save(trainer.model, out / "model", vocab)
    if cfg.val:
        trainer.evaluate()
    return out / "model"


def bin_errors(model, vocab: Vocab, audio: np.ndarray, truth: list, batch: int = 64) -> dict[str, float]:
    """The median distance, in bins, between the greedy prediction's token and the true one,
    per numeric field, over the clips where both are numeric bins: how wide the network's
    errors are, the natural width of that field's soft targets (`--sigma`)."""
    numeric = [f for f in vocab.table if f.kind != "choice"]
    place = {f.name: {int(t): k for k, t in enumerate(vocab.fields[f.name].ids[vocab.fields[f.name].n_special :])}
             for f in numeric}  # token -> its bin's position, per numeric field
    gaps: dict[str, list[int]] = {f.name: [] for f in numeric}
    for i in range(0, len(truth), batch):
        seqs, _ = M.generate_ids(model, vocab, audio[i : i + batch])
        for seq, true in zip(seqs, truth[i : i + batch]):
            for f, token, right in zip(vocab.table, seq[1:], vocab.encode(true)):  # seq[0] is <bos>
                bins = place.get(f.name, {})
                if token in bins and right in bins:
                    gaps[f.name].append(abs(bins[token] - bins[right]))
    return {name: float(np.median(g)) for name, g in gaps.items() if g}
