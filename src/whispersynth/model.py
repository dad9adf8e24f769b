"""The network: a Whisper encoder-decoder that listens to the 3 s standard clip through a
front end (`features`: log-mel, and the channels a front end adds) and writes settings tokens,
with decoding constrained to valid patches.

A trained model is a folder in the `save_pretrained` layout: `config.json`,
`model.safetensors` and `vocab.json` (the settings tokens it was trained with).
"""

from __future__ import annotations

import copy
import inspect
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from transformers import GenerationMixin, LogitsProcessor, LogitsProcessorList, WhisperConfig
from transformers import WhisperForConditionalGeneration

from .errors import SettingsError, WhisperSynthError
from .features import FRAMES, FRONT_ENDS, N_MELS, channels, front_end
from .spec import Patch, off_value
from .tokens import BOS, EOS, PAD, Vocab

MAX_TOKENS = 48  # decoder positions: <bos>, a version-3 patch's 40 field tokens, <eos>, and room

# name: (d_model, encoder layers, decoder layers, attention heads, feed-forward width)
SHAPES = {
    "debug": (64, 1, 1, 2, 128),
    "cpu": (256, 3, 3, 4, 1024),  # beat "tiny" at equal CPU time in the first CPU probe
    "tiny": (384, 4, 4, 6, 1536),
    "base": (512, 6, 6, 8, 2048),
    "small": (768, 12, 12, 12, 3072),
}


class ModelError(WhisperSynthError):
    """A model folder or checkpoint that cannot be used."""


def whisper_config(shape: str = "cpu", pool: int = 2, dims: tuple | None = None,
                   front: str = "logmel", vocab: Vocab | None = None) -> WhisperConfig:
    """A Whisper config for settings tokens (`vocab`: this version's unless given) and the 3 s
    clip (`pool` averages mel frames in time, `front` names the front end: features.FRONT_ENDS);
    `dims` overrides the named shape's (d_model, enc, dec, heads, ffn)."""
    if dims is None and shape not in SHAPES:
        raise ModelError(f"unknown model size {shape!r}; expected one of {', '.join(SHAPES)}")
    if pool < 1 or FRAMES % (2 * pool):
        raise ModelError(f"pool {pool} does not divide the {FRAMES} mel frames evenly")
    if front not in FRONT_ENDS:
        raise ModelError(f"unknown front end {front!r}; expected one of {', '.join(FRONT_ENDS)}")
    d, enc, dec, heads, ffn = dims or SHAPES[shape]
    return WhisperConfig(
        vocab_size=len(vocab or Vocab()), num_mel_bins=channels(front), d_model=d,
        encoder_layers=enc, decoder_layers=dec, encoder_attention_heads=heads,
        decoder_attention_heads=heads, encoder_ffn_dim=ffn, decoder_ffn_dim=ffn,
        max_source_positions=FRAMES // pool // 2, max_target_positions=MAX_TOKENS,
        pad_token_id=PAD, bos_token_id=BOS, eos_token_id=EOS, decoder_start_token_id=BOS,
        suppress_tokens=None, begin_suppress_tokens=None, dropout=0.0,
        whispersynth_shape=shape, whispersynth_pool=pool, whispersynth_front_end=front,
    )


def front_of(config) -> str:
    """The front end a model's config was trained with (models before front ends: log-mel)."""
    return getattr(config, "whispersynth_front_end", "logmel")


def features_pool(model) -> int:
    """How many front-end frames the model averages in time."""
    return getattr(model.config, "whispersynth_pool", 1)


def build(shape: str = "cpu", pool: int = 2, seed: int = 0, front: str = "logmel",
          vocab: Vocab | None = None) -> WhisperForConditionalGeneration:
    torch.manual_seed(seed)
    return WhisperForConditionalGeneration(whisper_config(shape, pool, front=front, vocab=vocab))


def _dims(config) -> tuple:
    return (config.d_model, config.encoder_layers, config.decoder_layers, config.encoder_attention_heads,
            config.encoder_ffn_dim)


def _take_weights(model, source_state: dict, rows: dict[int, int] | None = None) -> WhisperForConditionalGeneration:
    """Copy every weight of `source_state` that fits `model`: encoder positions sliced to the
    model's length; the first convolution's input weights copied for the source's channels
    and zero for the channels the model's front end adds (so the widened model hears exactly
    what the source heard, until training gives the new channels weight); with `rows` (source
    token id -> model token id), the token embeddings (and the tied output layer) of a
    vocabulary the model's extends, its new tokens keeping their fresh initialisation."""
    own = model.state_dict()
    for key, value in source_state.items():
        if key not in own:
            continue
        if rows is not None and key.endswith(("embed_tokens.weight", "proj_out.weight")):
            new = own[key].clone()
            new[list(rows.values())] = value[list(rows)]
            value = new
        if "embed_positions" in key and value.shape[0] >= own[key].shape[0]:
            value = value[: own[key].shape[0]]  # e.g. 3 s of positions instead of 30 s
        elif "embed_positions" in key:  # a longer patch (a later format version): its positions first
            value = torch.cat([value, own[key][value.shape[0]:]])
        if key.endswith("conv1.weight") and value.shape[1] < own[key].shape[1] and value.shape[::2] == own[key].shape[::2]:
            value = torch.cat([value, value.new_zeros(value.shape[0], own[key].shape[1] - value.shape[1], value.shape[2])], 1)
        if own[key].shape == value.shape:
            own[key] = value
    model.load_state_dict(own)
    return model


def init_from(source: str, pool: int = 2, seed: int = 0, front: str = "logmel",
              vocab: Vocab | None = None) -> WhisperForConditionalGeneration:
    """A model started from other weights, heard through the front end `front`, writing the
    tokens of `vocab` (this version's unless given):
    - a WhisperSynth model folder (one with vocab.json, e.g. the bundled model): every weight
      kept, its pooling kept, its front end widened to `front` and its vocabulary to `vocab`
      (a version-1 model's tokens are all in version 2's: `_take_weights`);
    - pretrained Whisper (a local folder or a hub id such as openai/whisper-small): encoder
      positions sliced to the 3 s clip, decoder body kept, token embeddings new (the settings
      vocabulary replaces Whisper's)."""
    vocab = vocab or Vocab()
    if (Path(source) / "vocab.json").is_file():
        old, old_vocab = load(source)
        oc = old.config
        if front_of(oc) != "logmel" and front_of(oc) != front:
            raise ModelError(f"--init-from {source}: it hears the {front_of(oc)!r} front end; only log-mel "
                             f"models widen to another")
        ids = {token: i for i, token in enumerate(vocab.tokens)}
        if not set(old_vocab.tokens) <= set(ids):
            raise ModelError(f"--init-from {source}: its settings tokens are not all in the vocabulary trained now")
        torch.manual_seed(seed)
        model = WhisperForConditionalGeneration(
            whisper_config(oc.whispersynth_shape, oc.whispersynth_pool, _dims(oc), front, vocab))
        rows = {i: ids[token] for i, token in enumerate(old_vocab.tokens)}
        return _take_weights(model, old.state_dict(), rows).train()
    try:
        pre = WhisperForConditionalGeneration.from_pretrained(source)
    except (OSError, ValueError) as e:
        raise ModelError(f"--init-from {source}: cannot load Whisper weights ({str(e).splitlines()[0]})") from None
    if pre.config.num_mel_bins != N_MELS:
        raise ModelError(f"--init-from {source}: it takes {pre.config.num_mel_bins} mel bins; this front end makes {N_MELS}")
    torch.manual_seed(seed)
    model = WhisperForConditionalGeneration(whisper_config(f"init:{source}", pool, _dims(pre.config), front, vocab))
    return _take_weights(model, pre.state_dict())


def add_lora(model, rank: int = 8):
    """Wrap the model with PEFT LoRA adapters on the attention projections, as the original
    project did; the new token embeddings train in full."""
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(r=rank, lora_alpha=2 * rank, lora_dropout=0.0,
                        target_modules=["q_proj", "v_proj"], modules_to_save=["embed_tokens", "proj_out"])
    return get_peft_model(model, config)


# ---------------------------------------------------------------- features


def features(model, audio: np.ndarray | torch.Tensor) -> torch.Tensor:
    """Standard clips (batch, 48000) or one clip (48000,) -> the model's input features (the
    audio stage's front end the model was trained with, and its pooling)."""
    x = torch.as_tensor(np.asarray(audio, dtype=np.float32))
    x = x[None] if x.ndim == 1 else x
    return front_end(features_pool(model), front_of(model.config))(x)


# ---------------------------------------------------------------- constrained decoding


class ValidPatchOnly(LogitsProcessor):
    """Masks every token that cannot come next in a valid patch (docs/FORMAT.md's rules)."""

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab
        self.cache: dict[tuple, torch.Tensor] = {}  # by Vocab.allowed_key

    def mask(self, prefix: tuple[int, ...], size: int) -> torch.Tensor:
        key = self.vocab.allowed_key(list(prefix))
        if key not in self.cache:
            m = torch.full((size,), float("-inf"))
            m[torch.as_tensor(self.vocab.allowed(list(prefix)))] = 0.0
            self.cache[key] = m
        return self.cache[key]

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        masks = [self.mask(tuple(row[1:].tolist()), scores.shape[-1]) for row in input_ids]
        return scores + torch.stack(masks).to(scores.dtype)


@dataclass(frozen=True)
class Guess:
    patch: Patch
    score: float  # the beam's log-probability (length-normalised by generate)


@torch.inference_mode()
def generate_ids(model, vocab: Vocab, audio, beams: int = 1, top_k: int = 1,
                 constrained: bool = True) -> tuple[list[list[int]], list[float]]:
    """Constrained decoding (unless told otherwise, to measure what the network does alone):
    `top_k` token sequences per clip (clip-major) and their scores."""
    if hasattr(model, "get_base_model"):  # PEFT: its wrapper lacks generate's internals; the base holds the adapters
        model = model.get_base_model()
    out = GenerationMixin.generate(
        model, input_features=features(model, audio), max_new_tokens=len(vocab.table) + 1,
        num_beams=max(beams, top_k), num_return_sequences=top_k, do_sample=False,
        logits_processor=LogitsProcessorList([ValidPatchOnly(vocab)] if constrained else []), output_scores=True,
        return_dict_in_generate=True, decoder_start_token_id=BOS, eos_token_id=EOS, pad_token_id=PAD,
    )
    scores = getattr(out, "sequences_scores", None)
    seqs = out.sequences.tolist()
    return seqs, [float(scores[i]) if scores is not None else 0.0 for i in range(len(seqs))]


def predict(model, vocab: Vocab, audio, beams: int = 1, top_k: int = 1) -> list[list[Guess]]:
    """Decode each clip into its `top_k` best valid patches (greedy when beams == 1)."""
    seqs, scores = generate_ids(model, vocab, audio, beams, top_k)
    guesses = [Guess(vocab.decode(seq), score) for seq, score in zip(seqs, scores)]
    return [guesses[i : i + top_k] for i in range(0, len(guesses), top_k)]


# ---------------------------------------------------------------- search over the network's doubts


def branched(f) -> bool:
    """Fields whose doubts the search branches on: the categorical choices, the note and other
    whole numbers (oscillator 2's interval), which no continuous search moves."""
    return f.error == "exact" or f.kind in ("note", "int")


def switch(vocab: Vocab, f, token: int, lp: torch.Tensor) -> list[int]:
    """For a version-2 line's first field, the other side of its on/off choice: its off token
    if the decoded one is on, else its likeliest on token."""
    ft = vocab.fields[f.name]
    if f.version < 2 or f.follows or off_value(f) not in ft.values:
        return []
    off = int(ft.ids[ft.values.index(off_value(f))])
    if token != off:
        return [off]
    on = [int(t) for t in ft.ids if int(t) != off]
    return [max(on, key=lambda t: float(lp[t]))]


def _cache_name(model) -> str:
    """What the model's forward calls its key/value cache: `cache` in Transformers from 5.x, where
    `past_key_values` is its deprecated name."""
    return "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"


@torch.inference_mode()
def complete(model, vocab: Vocab, encoded, prefixes: list[list[int]], mask: ValidPatchOnly) -> list[tuple[list[int], list[torch.Tensor]]]:
    """Greedy constrained decoding of one clip (its encoder output) after each of `prefixes` (forced
    field tokens), all of them in one batch: per prefix, the whole token sequence (no <bos>) and
    the log-probabilities of each step decoded after the prefix. The decoder runs once over their
    common start, then one position a step for every row, a forced token where a row's prefix
    still has one (one batch instead of a `generate` call per prefix: the same tokens, and the
    doubts search about a fifth faster, the model card's thirteenth session)."""
    rows = [list(p) for p in prefixes]
    common = 0
    while all(len(r) > common and r[common] == rows[0][common] for r in rows):
        common += 1
    hidden = encoded.last_hidden_state.expand(len(rows), -1, -1)
    feed = torch.tensor([[BOS, *rows[0][:common]] for _ in rows])
    kept = [r[:common] for r in rows]
    steps: list[list[torch.Tensor]] = [[] for _ in rows]
    cache, name = None, _cache_name(model)
    for t in range(common, len(vocab.table) + 1):  # every field, then <eos>
        out = model(encoder_outputs=(hidden,), decoder_input_ids=feed, use_cache=True, **{name: cache})
        cache, logits = getattr(out, name), out.logits[:, -1].float()
        for i, row in enumerate(rows):
            if t < len(row):
                kept[i].append(row[t])
                continue
            lp = torch.log_softmax(logits[i] + mask.mask(tuple(kept[i]), logits.shape[-1]), -1)
            steps[i].append(lp)
            kept[i].append(int(lp.argmax()))
        feed = torch.tensor([[r[-1]] for r in kept])
    return [(r, s) for r, s in zip(kept, steps)]


@torch.inference_mode()
def doubts(model, vocab: Vocab, clip, count: int, min_p: float = 0.01, width: int = 3) -> list[Guess]:
    """Up to `count` distinct patches for one clip: the greedy patch, then one per alternative
    the network doubts between (up to `width` per categorical field or note, and the other side
    of each version-2 line's on/off choice, each at least `min_p` likely), the rest decoded
    again after that forced choice (`complete`, as many at once as patches are still wanted).
    Alternatives are taken
    rank by rank across fields (every field's likeliest alternative first), so one flat field
    cannot spend the whole budget. Each guess scores its sequence's log-probability."""
    encoded = model.get_encoder()(input_features=features(model, clip))
    mask = ValidPatchOnly(vocab)
    [(seq, steps)] = complete(model, vocab, encoded, [[]], mask)
    found = {vocab.decode(seq): _logp(seq, steps)}
    alternatives = []
    for k, lp in enumerate(steps[: len(vocab.table)]):
        f = vocab.table[k]
        if branched(f):
            ranked = [t for t in torch.topk(lp, width + 1).indices.tolist() if t != seq[k]][:width]
        else:
            ranked = switch(vocab, f, seq[k], lp)
        alternatives += [(rank, -float(lp[t]), k, t) for rank, t in enumerate(ranked) if lp[t] >= math.log(min_p)]
    todo = [(k, t) for _, _, k, t in sorted(alternatives)]
    while todo and len(found) < count:
        batch, todo = todo[: count - len(found)], todo[count - len(found) :]
        for (k, token), (tail, tail_steps) in zip(batch, complete(model, vocab, encoded, [[*seq[:k], t] for k, t in batch], mask)):
            logp = _logp(seq[:k], steps) + float(steps[k][token]) + _logp(tail[k + 1 :], tail_steps)
            found.setdefault(vocab.decode(tail), logp)
    return [Guess(p, score) for p, score in found.items()]


def _logp(tokens: list[int], steps: list[torch.Tensor]) -> float:
    """The log-probability of decoded tokens, given each step's log-probabilities."""
    return sum(float(lp[t]) for lp, t in zip(steps, tokens))


# ---------------------------------------------------------------- folders


def save(model, folder: str | Path, vocab: Vocab, half: bool = False) -> None:
    """Write a model folder (LoRA adapters are merged in first, so it loads as a plain model);
    `half` stores the weights as float16 (half the size; `load` computes in float32)."""
    folder = Path(folder)
    if hasattr(model, "merge_and_unload"):
        model = copy.deepcopy(model).merge_and_unload()
    if half:
        model = copy.deepcopy(model).half()
    model.save_pretrained(folder, safe_serialization=True)
    (folder / "vocab.json").write_text(json.dumps(vocab.to_json()) + "\n")


def _read_json(folder: Path, name: str):
    try:
        return json.loads((folder / name).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:  # ValueError: not UTF-8, or not JSON
        raise ModelError(f"{folder}: {name} is not readable JSON ({e})") from None


def read_vocab(folder: str | Path) -> Vocab:
    """A model folder's settings vocabulary (its vocab.json); ModelError if it is not one of this version's."""
    folder = Path(folder)
    tokens = _read_json(folder, "vocab.json")
    try:  # a version-1 model's vocabulary is version 1's fields; it decodes the rest as off
        return Vocab.from_tokens(tokens if isinstance(tokens, list) else [])
    except SettingsError:
        raise ModelError(f"{folder}: the model was trained with other settings tokens than this version's") from None


def load(folder: str | Path) -> tuple[WhisperForConditionalGeneration, Vocab]:
    """A trained model folder -> (model in eval mode, its vocabulary); ModelError if unusable."""
    from transformers.utils import logging as hf_logging

    folder = Path(folder)
    for needed in ("config.json", "model.safetensors", "vocab.json"):
        if not (folder / needed).is_file():
            raise ModelError(f"{folder}: not a model folder (no {needed})")
    vocab = read_vocab(folder)
    config = _read_json(folder, "config.json")
    if not isinstance(config, dict):
        raise ModelError(f"{folder}: config.json is not a Whisper config (a JSON {type(config).__name__})")
    front = config.get("whispersynth_front_end", "logmel")
    if not isinstance(front, str) or front not in FRONT_ENDS:
        raise ModelError(f"{folder}: config.json names a front end this version does not have ({front!r})")
    if not (config.get("model_type") == "whisper" and config.get("vocab_size") == len(vocab)
            and config.get("num_mel_bins") == channels(front)):
        raise ModelError(f"{folder}: config.json is not a Whisper config for {len(vocab)} settings tokens "
                         f"and the {channels(front)} channels of its {front!r} front end")
    hf_logging.disable_progress_bar()  # "Loading weights" bars would bury the command's own output
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # a bad checkpoint's load report is many lines; ModelError says it in one
    try:
        model, info = WhisperForConditionalGeneration.from_pretrained(
            folder, use_safetensors=True, dtype=torch.float32, output_loading_info=True,
            ignore_mismatched_sizes=True)  # reported below, in one line
    except Exception as e:  # noqa: BLE001 - safetensors, huggingface_hub and torch each raise their own types
        raise ModelError(f"{folder}: cannot load model.safetensors with its config.json "
                         f"({(str(e).strip().splitlines() or [type(e).__name__])[0]})") from None
    finally:
        hf_logging.set_verbosity(verbosity)
    # transformers fills missing or misshapen weights with random ones and carries on
    for key, what in (("missing_keys", "lacks"), ("mismatched_keys", "has other shapes for")):
        names = sorted(k[0] if isinstance(k, tuple) else str(k) for k in info[key])  # mismatches: (name, shapes)
        if names:
            raise ModelError(f"{folder}: model.safetensors {what} {len(names)} of the weights "
                             f"config.json describes (e.g. {names[0]})")
    return model.eval(), vocab
