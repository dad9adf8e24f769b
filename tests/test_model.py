import json
import shutil

import numpy as np
import pytest
import torch
from transformers import WhisperConfig, WhisperForConditionalGeneration

from whispersynth import model as M
from whispersynth.model import ModelError
from whispersynth.spec import FIELD
from whispersynth.tokens import BOS, Vocab

VOCAB = Vocab()
RNG = np.random.default_rng(0)
CLIPS = (RNG.normal(size=(4, 48000)) * np.linspace(0, 1, 48000) ** 2).astype(np.float32)


def test_shapes_are_the_whisper_ones_and_cpu_is_small():
    counts = {s: sum(p.numel() for p in M.build(s).parameters()) for s in ("debug", "cpu", "tiny")}
    assert counts["debug"] < counts["cpu"] < counts["tiny"]
    assert 5e6 < counts["cpu"] < 7.5e6 and 15e6 < counts["tiny"] < 20e6
    small = M.whisper_config("small")
    assert (small.d_model, small.encoder_layers, small.decoder_layers) == (768, 12, 12)
    assert M.whisper_config("cpu", pool=2).max_source_positions == 75  # 3 s, not Whisper's 30 s
    with pytest.raises(ModelError, match="unknown model size"):
        M.whisper_config("huge")


@pytest.mark.parametrize("seed", range(6))
def test_untrained_model_always_decodes_valid_patches(seed):
    model = M.build("debug", seed=seed).eval()
    with torch.no_grad():  # sharpen the random logits (tied to the embeddings) so decoding wanders
        model.model.decoder.embed_tokens.weight.normal_(0, 3.0)
    clips = (np.random.default_rng(seed).normal(size=(3, 48000))).astype(np.float32)
    greedy = M.predict(model, VOCAB, clips)
    beams = M.predict(model, VOCAB, clips, beams=4, top_k=3)
    assert [len(g) for g in greedy] == [1, 1, 1] and [len(b) for b in beams] == [3, 3, 3]
    seen = {g.patch for row in greedy + beams for g in row}  # every one is a valid Patch
    assert len(seen) > 1
    for row in beams:
        assert row[0].score >= row[1].score >= row[2].score


def test_save_and_load_round_trip_with_safetensors_only(tmp_path):
    model = M.build("debug", seed=3).eval()
    M.save(model, tmp_path / "m", VOCAB)
    files = sorted(p.name for p in (tmp_path / "m").iterdir())
    assert "model.safetensors" in files and not [f for f in files if f.endswith((".bin", ".pt", ".pkl"))]
    loaded, vocab = M.load(tmp_path / "m")
    assert [g[0].patch for g in M.predict(loaded, vocab, CLIPS)] == [g[0].patch for g in M.predict(model, VOCAB, CLIPS)]
    (tmp_path / "m" / "vocab.json").write_text(json.dumps(VOCAB.to_json()[:-1]))
    with pytest.raises(ModelError, match="other settings tokens"):
        M.load(tmp_path / "m")
    with pytest.raises(ModelError, match="not a model folder"):
        M.load(tmp_path)


def test_init_from_a_pretrained_whisper_checkpoint_saved_offline(tmp_path):
    cfg = WhisperConfig(vocab_size=300, num_mel_bins=80, d_model=64, encoder_layers=1, decoder_layers=1,
                        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=128,
                        decoder_ffn_dim=128, max_source_positions=1500, max_target_positions=448,
                        pad_token_id=0, bos_token_id=1, eos_token_id=2, decoder_start_token_id=1)
    torch.manual_seed(1)
    pre = WhisperForConditionalGeneration(cfg)
    pre.save_pretrained(tmp_path / "whisper-mini")  # stands in for openai/whisper-small
    model = M.init_from(str(tmp_path / "whisper-mini"), pool=2)
    enc, penc = model.model.encoder, pre.model.encoder
    assert torch.equal(enc.conv1.weight, penc.conv1.weight)
    assert torch.equal(enc.embed_positions.weight, penc.embed_positions.weight[:75])
    assert torch.equal(model.model.decoder.layers[0].fc1.weight, pre.model.decoder.layers[0].fc1.weight)
    assert model.model.decoder.embed_tokens.weight.shape[0] == len(VOCAB)
    assert len(M.predict(model.eval(), VOCAB, CLIPS[:1])[0]) == 1
    with pytest.raises(ModelError, match="cannot load Whisper weights"):
        M.init_from(str(tmp_path / "missing"))


def test_lora_trains_adapters_and_saves_as_a_plain_model(tmp_path):
    model = M.add_lora(M.build("debug", seed=2), rank=4)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    assert 0 < trainable < total
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    assert any("lora_A" in n for n in names)
    with torch.no_grad():
        for n, p in model.named_parameters():
            if "lora_B" in n:
                p.normal_(0, 0.5)  # as if trained: the merged model must carry the change
    model.eval()
    M.save(model, tmp_path / "m", VOCAB)
    plain, _ = M.load(tmp_path / "m")
    assert not any("lora" in n for n, _ in plain.named_parameters())
    feats = M.features(plain, CLIPS[:2])
    dec = torch.full((2, 1), 1)
    with torch.no_grad():
        a = model(input_features=feats, decoder_input_ids=dec).logits
        b = plain(input_features=feats, decoder_input_ids=dec).logits
    assert torch.allclose(a, b, atol=1e-4)


def test_half_precision_folder_is_half_the_size_and_decodes_alike(tmp_path):
    from whispersynth.sampler import clip_rng, sample_patch
    from whispersynth import synth

    net = M.build("debug", pool=2, seed=3)
    M.save(net, tmp_path / "full", Vocab())
    M.save(net, tmp_path / "half", Vocab(), half=True)
    full, half = (tmp_path / d / "model.safetensors" for d in ("full", "half"))
    assert half.stat().st_size < 0.6 * full.stat().st_size
    a, vocab = M.load(tmp_path / "full")
    b, _ = M.load(tmp_path / "half")
    assert next(b.parameters()).dtype == torch.float32  # computed in float32
    clips = np.stack([synth.render(sample_patch(clip_rng(8, i))) for i in range(4)])
    la = a(input_features=M.features(a, clips), decoder_input_ids=torch.ones(4, 1, dtype=torch.long)).logits
    lb = b(input_features=M.features(b, clips), decoder_input_ids=torch.ones(4, 1, dtype=torch.long)).logits
    assert torch.allclose(la, lb, atol=0.05)


# ---------------------------------------------------------------- bad --model folders


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A tiny model folder saved by this test, to damage copies of."""
    folder = tmp_path_factory.mktemp("model") / "good"
    M.save(M.build("debug", pool=2, seed=0), folder, VOCAB)
    return folder


def _rewrite(name: str, content):
    """A damage: replace one file of the folder (bytes, text, or a function of its bytes)."""
    def damage(folder):
        path = folder / name
        new = content(path.read_bytes()) if callable(content) else content
        path.write_bytes(new if isinstance(new, bytes) else new.encode())
    return damage


def _config(**changes):
    return _rewrite("config.json", lambda old: json.dumps({**json.loads(old), **changes}))


def _other_tensors(folder):
    from safetensors.torch import save_file

    save_file({"encoder.weight": torch.zeros(4, 4)}, folder / "model.safetensors")


BAD_FOLDERS = {
    "no config.json": (lambda f: (f / "config.json").unlink(), "not a model folder (no config.json)"),
    "no model.safetensors": (lambda f: (f / "model.safetensors").unlink(), "not a model folder (no model.safetensors)"),
    "no vocab.json": (lambda f: (f / "vocab.json").unlink(), "not a model folder (no vocab.json)"),
    "safetensors of random bytes": (_rewrite("model.safetensors", RNG.bytes(5000)), "cannot load model.safetensors"),
    "safetensors empty": (_rewrite("model.safetensors", b""), "cannot load model.safetensors"),
    "safetensors cut in its header": (_rewrite("model.safetensors", lambda b: b[:100]), "cannot load"),
    "safetensors cut in half": (_rewrite("model.safetensors", lambda b: b[: len(b) // 2]), "cannot load"),
    "safetensors one byte short": (_rewrite("model.safetensors", lambda b: b[:-1]), "cannot load model.safetensors"),
    "safetensors of other tensors": (_other_tensors, "model.safetensors lacks"),
    "config not JSON": (_rewrite("config.json", "{not json"), "config.json is not readable JSON"),
    "config not UTF-8": (_rewrite("config.json", b"\xff\xfe{}"), "config.json is not readable JSON"),
    "config a JSON list": (_rewrite("config.json", "[1, 2]"), "config.json is not a Whisper config"),
    "config of another model type": (_rewrite("config.json", '{"model_type": "bert"}'), "not a Whisper config"),
    "config of OpenAI's Whisper vocabulary": (_config(vocab_size=51865), "not a Whisper config"),
    "config of another shape": (_config(d_model=128), "model.safetensors has other shapes"),
    "config with a bad value": (_config(d_model="wide"), "cannot load model.safetensors"),
    "vocab one token short": (_rewrite("vocab.json", json.dumps(VOCAB.to_json()[:-1])), "other settings tokens"),
    "vocab reordered": (_rewrite("vocab.json", json.dumps(VOCAB.to_json()[::-1])), "other settings tokens"),
    "vocab with a new token": (_rewrite("vocab.json", json.dumps([*VOCAB.to_json(), "<reverb:on>"])),
                               "other settings tokens"),
    "vocab not JSON": (_rewrite("vocab.json", "<pad> <bos> <eos>"), "vocab.json is not readable JSON"),
    "vocab not UTF-8": (_rewrite("vocab.json", b"\x89PNG\r\n"), "vocab.json is not readable JSON"),
}


@pytest.mark.parametrize("case", list(BAD_FOLDERS))
def test_a_bad_model_folder_is_one_model_error(case, saved, tmp_path, capfd):
    damage, message = BAD_FOLDERS[case]
    folder = tmp_path / "m"
    shutil.copytree(saved, folder)
    damage(folder)
    with pytest.raises(ModelError) as err:
        M.load(folder)
    assert str(err.value).startswith(f"{folder}: ") and message in str(err.value)
    assert "\n" not in str(err.value)
    assert capfd.readouterr().err == ""  # no multi-line load report from transformers either


def test_the_undamaged_copy_loads(saved, capfd):
    net, vocab = M.load(saved)
    assert vocab.to_json() == VOCAB.to_json() and not net.training
    assert capfd.readouterr().err == ""


def test_forced_prefix_decoding_keeps_the_forced_values_and_stays_valid():
    model = M.build("debug", pool=2, seed=0).eval()
    mask = M.ValidPatchOnly(VOCAB)
    encoded = model.get_encoder()(input_features=M.features(model, CLIPS[0]))
    [(greedy, steps)] = M.complete(model, VOCAB, encoded, [[]], mask)
    assert VOCAB.decode(greedy) == M.predict(model, VOCAB, CLIPS[0])[0][0].patch  # no prefix: plain greedy
    assert len(steps) == len(greedy) and all(torch.isclose(s.exp().sum(), torch.tensor(1.0)) for s in steps)
    square = int(VOCAB.fields["waveform"].ids[VOCAB.fields["waveform"].values.index("Square")])
    one_voice = int(VOCAB.fields["voices"].ids[VOCAB.fields["voices"].values.index(1)])
    prefixes = [[square], [square, one_voice]]
    for prefix, (seq, _) in zip(prefixes, M.complete(model, VOCAB, encoded, prefixes, mask)):
        assert seq[: len(prefix)] == prefix
        patch = VOCAB.decode(seq)  # a valid patch whatever was forced
        assert patch.waveform == "Square" and (len(prefix) == 1 or (patch.voices == 1 and patch.detune is None))


def test_batched_completion_decodes_as_generate_does_after_each_prefix():
    """`complete` runs every forced prefix in one batch with its own loop: each row must come out
    as Transformers' greedy `generate` decodes that prefix alone, with the same step log-probabilities."""
    from transformers import GenerationMixin, LogitsProcessorList

    model = M.build("debug", pool=2, seed=3).eval()
    encoded = model.get_encoder()(input_features=M.features(model, CLIPS[2]))
    [(greedy, _)] = M.complete(model, VOCAB, encoded, [[]], M.ValidPatchOnly(VOCAB))
    note = VOCAB.table.index(FIELD["note"])
    other_note = next(int(t) for t in VOCAB.fields["note"].ids if t != greedy[note])
    prefixes = [[*greedy[:3], int(VOCAB.allowed(greedy[:3])[0])], [*greedy[:note], other_note], greedy[:1]]
    batched = M.complete(model, VOCAB, encoded, prefixes, M.ValidPatchOnly(VOCAB))
    for prefix, (seq, steps) in zip(prefixes, batched):
        out = GenerationMixin.generate(
            model, encoder_outputs=encoded, decoder_input_ids=torch.tensor([[1, *prefix]]),
            max_new_tokens=len(VOCAB.table) + 1 - len(prefix), num_beams=1, do_sample=False,
            logits_processor=LogitsProcessorList([M.ValidPatchOnly(VOCAB)]), output_scores=True,
            return_dict_in_generate=True, decoder_start_token_id=1, eos_token_id=2, pad_token_id=0)
        assert seq == out.sequences[0, 1:].tolist() and seq[: len(prefix)] == prefix
        assert len(steps) == len(out.scores) == len(seq) - len(prefix)
        for mine, theirs in zip(steps, out.scores):
            finite = torch.isfinite(theirs[0])
            assert torch.equal(torch.isfinite(mine), finite)  # the same tokens masked
            assert torch.allclose(mine[finite], torch.log_softmax(theirs[0].float(), -1)[finite], atol=1e-4)


def test_doubts_gives_distinct_patches_greedy_first_within_the_budget():
    model = M.build("debug", pool=2, seed=0).eval()
    greedy = M.predict(model, VOCAB, CLIPS[1])[0][0].patch
    found = M.doubts(model, VOCAB, CLIPS[1], 6)
    assert 2 <= len(found) <= 6 and found[0].patch == greedy
    assert len({g.patch for g in found}) == len(found)
    mask = M.ValidPatchOnly(VOCAB)
    for g in found[:3]:  # each score is its sequence's log-probability under the constrained decoder
        ids = [1, *VOCAB.encode(g.patch)]
        logits = model(input_features=M.features(model, CLIPS[1]), decoder_input_ids=torch.tensor([ids[:-1]])).logits
        logp = sum(float(torch.log_softmax(mask(torch.tensor([ids[: t + 1]]), logits[:, t].clone()), -1)[0, ids[t + 1]])
                   for t in range(len(ids) - 1))
        assert g.score == pytest.approx(logp, abs=1e-3)
    for g in found[1:]:  # each alternative differs from greedy at a branched field at least
        assert any(getattr(g.patch, f.name) != getattr(greedy, f.name) for f in VOCAB.table if M.branched(f))


@pytest.mark.parametrize("front", ["fine", "pitch", "cqt", "envelope", "logmel"])
def test_a_trained_model_widened_to_another_front_end_hears_the_same(tmp_path, front):
    old = M.build("debug", pool=2, seed=4).eval()
    M.save(old, tmp_path / "old", VOCAB)
    wide = M.init_from(str(tmp_path / "old"), pool=3, front=front).eval()  # its own pooling is kept
    assert M.front_of(wide.config) == front and M.features_pool(wide) == 2
    conv = wide.model.encoder.conv1.weight
    assert conv.shape[1] == M.channels(front) and not conv[:, 80:].any()
    assert torch.equal(conv[:, :80], old.model.encoder.conv1.weight)
    dec = torch.ones(4, 3, dtype=torch.long)
    with torch.no_grad():
        a = old(input_features=M.features(old, CLIPS), decoder_input_ids=dec).logits
        b = wide(input_features=M.features(wide, CLIPS), decoder_input_ids=dec).logits
    assert torch.allclose(a, b, atol=1e-5)
    M.save(wide, tmp_path / "wide", VOCAB)
    again, _ = M.load(tmp_path / "wide")
    assert M.front_of(again.config) == front
    if front != "logmel":
        with pytest.raises(ModelError, match="only log-mel models widen"):
            M.init_from(str(tmp_path / "wide"), front="cqt" if front != "cqt" else "fine")


def test_a_model_of_an_unknown_front_end_is_refused(tmp_path):
    M.save(M.build("debug", front="pitch"), tmp_path / "m", VOCAB)
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    (tmp_path / "m" / "config.json").write_text(json.dumps({**config, "whispersynth_front_end": "mfcc"}))
    with pytest.raises(ModelError, match="front end this version does not have"):
        M.load(tmp_path / "m")
    (tmp_path / "m" / "config.json").write_text(json.dumps({**config, "num_mel_bins": 80}))
    with pytest.raises(ModelError, match="113 channels of its 'pitch' front end"):
        M.load(tmp_path / "m")
    with pytest.raises(ModelError, match="unknown front end"):
        M.build("debug", front="mfcc")


def test_a_version_1_model_loads_decodes_off_lines_and_widens_to_version_2(tmp_path):
    v1 = Vocab.version(1)
    old = M.build("debug", pool=2, seed=5, vocab=v1).eval()
    M.save(old, tmp_path / "v1", v1)
    loaded, vocab = M.load(tmp_path / "v1")
    assert vocab.tokens == v1.tokens and len(vocab.table) == 14
    patch = M.predict(loaded, vocab, CLIPS[:1])[0][0].patch
    assert patch.noise == float("-inf") and patch.osc2_wave is None and patch.resonance == 0.0
    wide = M.init_from(str(tmp_path / "v1"), front="logmel", vocab=VOCAB).eval()
    assert wide.config.vocab_size == len(VOCAB)
    dec = torch.tensor([[BOS, *v1.encode(patch)[:5]]])
    with torch.no_grad():
        a = old(input_features=M.features(old, CLIPS[:1]), decoder_input_ids=dec).logits
        b = wide(input_features=M.features(wide, CLIPS[:1]), decoder_input_ids=dec).logits
    assert torch.allclose(a, b[..., : len(v1)], atol=1e-5)  # the old tokens' logits are the old model's
    assert M.predict(wide, VOCAB, CLIPS[:1])[0][0].patch.values().keys() == patch.values().keys()
    (tmp_path / "v1" / "vocab.json").write_text(json.dumps(v1.to_json()[:-3]))
    with pytest.raises(ModelError, match="other settings tokens"):
        M.load(tmp_path / "v1")


def test_doubts_branch_on_version_2_lines_on_or_off():
    lp = torch.full((len(VOCAB),), -50.0)
    noise = VOCAB.fields["noise"]
    off = int(noise.ids[noise.values.index(float("-inf"))])
    lp[int(noise.ids[40])] = -1.0
    assert M.switch(VOCAB, FIELD["noise"], off, lp) == [int(noise.ids[40])]  # off -> its likeliest on value
    assert M.switch(VOCAB, FIELD["noise"], int(noise.ids[40]), lp) == [off]
    assert M.switch(VOCAB, FIELD["fenv_decay"], off, lp) == []  # a later part follows its line's first
    assert M.switch(VOCAB, FIELD["sustain"], off, lp) == []  # version 1's fields: as before
    assert M.branched(FIELD["osc2_semitones"]) and M.branched(FIELD["osc2_wave"]) and not M.branched(FIELD["noise"])


def test_the_bundled_kind_of_version_2_model_widens_to_version_3(tmp_path, monkeypatch):
    """A version-2 model made with 32 decoder positions (as the bundled one) decodes every
    version-3 line as off, and widens to version 3's tokens and 48 positions keeping its own."""
    v2 = Vocab.version(2)
    monkeypatch.setattr(M, "MAX_TOKENS", 32)
    old = M.build("debug", pool=2, seed=6, vocab=v2).eval()
    monkeypatch.undo()
    M.save(old, tmp_path / "v2", v2)
    loaded, vocab = M.load(tmp_path / "v2")
    patch = M.predict(loaded, vocab, CLIPS[:1])[0][0].patch
    assert patch.reverb_decay is None and patch.dist_type is None and patch.fm_amount is None
    wide = M.init_from(str(tmp_path / "v2"), front="logmel", vocab=VOCAB).eval()
    assert wide.config.max_target_positions == M.MAX_TOKENS == 48 and wide.config.vocab_size == len(VOCAB)
    positions = "model.decoder.embed_positions.weight"
    assert torch.equal(wide.state_dict()[positions][:32], old.state_dict()[positions])
    dec = torch.tensor([[BOS, *v2.encode(patch)[:20]]])
    with torch.no_grad():
        a = old(input_features=M.features(old, CLIPS[:1]), decoder_input_ids=dec).logits
        b = wide(input_features=M.features(wide, CLIPS[:1]), decoder_input_ids=dec).logits
    assert torch.allclose(a, b[..., : len(v2)], atol=1e-5)


def test_doubts_branch_on_version_3_lines_on_or_off():
    lp = torch.full((len(VOCAB),), -50.0)
    reverb = VOCAB.fields["reverb_decay"]
    off = int(reverb.ids[reverb.values.index(None)])
    lp[int(reverb.ids[60])] = -1.0
    assert M.switch(VOCAB, FIELD["reverb_decay"], off, lp) == [int(reverb.ids[60])]
    assert M.switch(VOCAB, FIELD["reverb_mix"], off, lp) == []  # a later part follows its line's first
    assert M.branched(FIELD["dist_type"]) and not M.branched(FIELD["dist_drive"])
