"""tools/whisper_from_ctranslate2.py: a real round trip through CTranslate2's own converter.

A tiny random Whisper (Transformers) is converted to CTranslate2 with
`ctranslate2.converters.TransformersConverter` (the direction ctranslate2 supports), then back
with the script, run as a subprocess the way a user runs it. That checks the script against the
actual writer of model.bin (fused QKV/KV layout, zero key biases, aliases, binary format), not
against our own reading of it. float32 must come back bit for bit: every state-dict tensor, the
encoder output and the logits. float16 must come back as the original rounded to float16, exactly,
and its outputs close to the original's. Errors must be one line on stderr, exit status 2, no
traceback and no OUT_DIR. Everything is built offline; nothing is downloaded.
"""

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from tokenizers.pre_tokenizers import ByteLevel
from transformers import (
    WhisperConfig,
    WhisperForConditionalGeneration,
    WhisperTokenizer,
)

ct2 = pytest.importorskip("ctranslate2", reason="ctranslate2 is a test extra: pip install -e .[test]")

ROOT = Path(__file__).parents[1]
# Whisper's special-token layout (English only), after a 256-token byte-level vocabulary; the
# converter appends the <|0.00|>... timestamp tokens up to vocab_size.
SPECIAL = ["<|endoftext|>", "<|startoftranscript|>", "<|en|>", "<|translate|>", "<|transcribe|>",
           "<|startoflm|>", "<|startofprev|>", "<|nocaptions|>", "<|notimestamps|>"]
EOT, SOT = 256, 257


def run_script(*args) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "tools/whisper_from_ctranslate2.py", *map(str, args)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    """A tiny random Whisper with a tokenizer, saved as a Transformers folder."""
    folder = tmp_path_factory.mktemp("hf")
    tokenizer = WhisperTokenizer(vocab={c: i for i, c in enumerate(sorted(ByteLevel.alphabet()))}, merges=[])
    tokenizer.add_special_tokens({"additional_special_tokens": SPECIAL[1:]})
    assert tokenizer.convert_tokens_to_ids(SPECIAL) == list(range(EOT, EOT + len(SPECIAL)))
    tokenizer.save_pretrained(folder)
    config = WhisperConfig(vocab_size=300, d_model=64, encoder_layers=2, decoder_layers=2,
                           encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=128,
                           decoder_ffn_dim=128, num_mel_bins=80, max_source_positions=1500,
                           max_target_positions=448, bos_token_id=EOT, eos_token_id=EOT, pad_token_id=EOT,
                           decoder_start_token_id=SOT, suppress_tokens=[], begin_suppress_tokens=[220, EOT])
    torch.manual_seed(0)
    model = WhisperForConditionalGeneration(config).eval()
    with torch.no_grad():  # biases are zero-initialised; make them random so their mapping is tested
        for name, p in model.named_parameters():
            if name.endswith(".bias"):
                p.normal_(0, 0.1)
    model.save_pretrained(folder)
    return folder, model


def forward(model):
    gen = torch.Generator().manual_seed(1)
    features = torch.randn(1, 80, 3000, generator=gen)
    tokens = torch.tensor([[SOT, SOT + 1, SOT + 3, SOT + 7, 5, 77, 200]])
    with torch.no_grad():
        out = model(input_features=features, decoder_input_ids=tokens)
    return out.encoder_last_hidden_state, out.logits


@pytest.mark.parametrize("quantization", ["float32", "float16"])
def test_round_trip_through_ctranslate2(original, tmp_path, quantization):
    hf_dir, model = original
    ct2_dir, back_dir = tmp_path / "ct2", tmp_path / "back"
    ct2.converters.TransformersConverter(str(hf_dir)).convert(str(ct2_dir), quantization=quantization)

    r = run_script(ct2_dir, back_dir)
    assert r.returncode == 0, r.stderr
    back = WhisperForConditionalGeneration.from_pretrained(back_dir).eval()

    expected = {k: v if quantization == "float32" else v.half().float() for k, v in model.state_dict().items()}
    got = back.state_dict()
    assert got.keys() == expected.keys()
    for key, tensor in expected.items():
        assert got[key].dtype == torch.float32, key
        assert torch.equal(got[key], tensor), key
    assert back.proj_out.weight.data_ptr() == back.model.decoder.embed_tokens.weight.data_ptr()
    for name in ("d_model", "encoder_layers", "decoder_layers", "encoder_attention_heads",
                 "decoder_ffn_dim", "vocab_size", "eos_token_id", "decoder_start_token_id"):
        assert getattr(back.config, name) == getattr(model.config, name), name
    assert back.generation_config.no_timestamps_token_id == EOT + SPECIAL.index("<|notimestamps|>")

    for want, have in zip(forward(model), forward(back)):
        if quantization == "float32":
            assert torch.equal(have, want)
        else:
            torch.testing.assert_close(have, want, rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("content, message", [(None, "model.bin does not exist"),
                                              (random.Random(0).randbytes(4096), "not a CTranslate2 model.bin")])
def test_bad_input_is_one_line_and_status_2(tmp_path, content, message):
    ct2_dir, out_dir = tmp_path / "ct2", tmp_path / "out"
    ct2_dir.mkdir()
    if content is not None:
        (ct2_dir / "model.bin").write_bytes(content)
    r = run_script(ct2_dir, out_dir)
    assert r.returncode == 2
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("whisper_from_ctranslate2: error: "), r.stderr
    assert message in lines[0] and "Traceback" not in r.stderr
    assert not out_dir.exists()
