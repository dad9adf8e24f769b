import math
import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from whispersynth import data, settings
from whispersynth import model as M
from whispersynth.data import DatasetSpec, load_clips
from whispersynth.tokens import Vocab
from whispersynth.spec import FIELDS
from whispersynth.train import (ClipStream, Collator, FieldLoss, TrainConfig, bin_errors, plain_ce, run_vocab, train,
                                validate)

VOCAB = Vocab()


@pytest.fixture(scope="module")
def clips32(tmp_path_factory):
    out = tmp_path_factory.mktemp("clips32")
    data.generate(out, DatasetSpec(n=32, seed=0, part_size=16), progress=False)
    return out


def test_soft_loss_knows_distance_and_plain_ce_does_not():
    loss = FieldLoss(VOCAB, sigma=1.0)
    cut = VOCAB.fields["cutoff"]
    pluck = settings.load(Path(__file__).parents[1] / "src/whispersynth/examples/pluck.txt")
    labels = torch.tensor([VOCAB.encode(pluck.replace(cutoff=int(cut.values[cut.n_special + 100])))])
    true = int(labels[0, 4])

    def predicting(token: int) -> torch.Tensor:  # confident in the truth everywhere but the cutoff
        logits = torch.full((1, labels.shape[1], len(VOCAB)), 0.0)
        logits[0, torch.arange(labels.shape[1]), labels[0]] = 12.0
        logits[0, 4, true] = 0.0
        logits[0, 4, token] = 12.0
        return logits

    near, far = predicting(int(cut.ids[cut.n_special + 101])), predicting(int(cut.ids[cut.n_special + 130]))
    assert loss(near, labels) < loss(far, labels)
    assert torch.isclose(plain_ce(near, labels), plain_ce(far, labels))
    row = loss.targets[true]
    assert torch.isclose(row.sum(), torch.tensor(1.0)) and row.argmax() == true
    assert row[int(cut.ids[cut.n_special + 101])] > 0
    assert loss.targets[int(VOCAB.fields["waveform"].ids[1])].max() == 1.0  # categories stay one-hot


def test_stream_is_reproducible_and_skips_exactly(clips32):
    first = [int(x["labels"][0]) * 100000 + int(x["audio"][1000]) for _, x in zip(range(80), ClipStream(clips32, 5))]
    later = [int(x["labels"][0]) * 100000 + int(x["audio"][1000]) for _, x in zip(range(30), ClipStream(clips32, 5, 50))]
    assert later == first[50:80]
    one_epoch = [tuple(x["labels"]) for _, x in zip(range(32), ClipStream(clips32, 5))]
    truth = [tuple(VOCAB.encode(data.patch_from_row(r))) for r in data.iter_rows(clips32)]
    assert sorted(one_epoch) == sorted(truth)  # each clip once per epoch
    batch = Collator(pool=2, augment=True)([next(iter(ClipStream(clips32)))] * 2)
    assert batch["input_features"].shape == (2, 80, 150)
    assert batch["decoder_input_ids"][0, 0] == 1 and torch.equal(batch["decoder_input_ids"][0, 1:], batch["labels"][0, :-1])


def test_a_folder_given_twice_is_drawn_twice_an_epoch(clips32, tmp_path):
    few = tmp_path / "few"
    data.generate(few, DatasetSpec(n=4, seed=3, part_size=4), progress=False)
    epoch = [tuple(x["labels"]) for _, x in zip(range(40), ClipStream([clips32, few, few], 2))]
    once = [tuple(VOCAB.encode(data.patch_from_row(r))) for r in data.iter_rows(clips32)]
    twice = [tuple(VOCAB.encode(data.patch_from_row(r))) for r in data.iter_rows(few)]
    assert sorted(epoch) == sorted(once + 2 * twice)


def test_pooled_folders_stream_every_clip_of_each_in_the_latest_vocabulary(clips32, tmp_path):
    v2 = tmp_path / "v2"
    data.generate(v2, DatasetSpec(n=8, seed=9, part_size=4, version=2), progress=False)
    cfg = TrainConfig(data=[str(clips32), str(v2)], out=str(tmp_path / "run"))
    vocab = run_vocab(cfg)
    assert vocab.tokens == Vocab.version(2).tokens
    assert run_vocab(TrainConfig(data=str(clips32), out="x")).tokens == Vocab.version(1).tokens
    epoch = [tuple(x["labels"]) for _, x in zip(range(40), ClipStream(cfg.data, 3, vocab=vocab))]
    truth = [tuple(vocab.encode(data.patch_from_row(r))) for d in (clips32, v2) for r in data.iter_rows(d)]
    assert sorted(epoch) == sorted(truth)  # each clip of both folders once per epoch
    off = [vocab.encode(data.patch_from_row(r))[len(Vocab.version(1).table) : -1] for r in data.iter_rows(clips32)]
    assert len({tuple(o) for o in off}) == 1  # version-1 clips: every version-2 line off, the same tokens
    with pytest.raises(data.DataError, match="no part"):
        ClipStream([str(clips32), str(tmp_path)])


def test_debug_model_overfits_32_clips(clips32, tmp_path):
    cfg = TrainConfig(data=str(clips32), out=str(tmp_path / "run"), size="debug", steps=300, batch_size=32,
                      lr=3e-3, warmup=20, eval_every=10**6, save_every=10**6, progress=False)
    folder = train(cfg)
    model, vocab = M.load(folder)
    audio, truth = load_clips(clips32, 32)
    preds = [g[0].patch for g in M.predict(model, vocab, audio)]
    exact = np.mean([vocab.encode(p) == vocab.encode(t) for p, t in zip(preds, truth)])
    assert exact >= 0.9


def test_valid_rate_counts_real_decode_failures(clips32):
    # an untrained network decoding without the constraint writes tokens no patch can hold
    model, (audio, truth) = M.build("debug", pool=2, seed=0), load_clips(clips32, 32)
    assert validate(model, VOCAB, audio, truth)["valid_rate"] == 1.0
    broken = validate(model, VOCAB, audio, truth, constrained=False)["valid_rate"]
    assert broken < 0.5


def _losses(run) -> dict[int, float]:
    with open(run / "log.csv") as fh:
        return {int(r["step"]): float(r["value"]) for r in csv.DictReader(fh) if r["key"] == "loss"}


@pytest.mark.parametrize("grad_accum", [1, 2])
def test_resume_continues_from_the_same_step_and_loss(clips32, tmp_path, grad_accum):
    common = dict(data=str(clips32), size="debug", steps=12, batch_size=8, grad_accum=grad_accum, lr=3e-3,
                  warmup=2, save_every=6, eval_every=10**6, progress=False)
    full = tmp_path / "full"
    train(TrainConfig(out=str(full), **common))
    part = tmp_path / "part"
    train(TrainConfig(out=str(part), **{**common, "steps": 12}))
    # forget everything after the step-6 checkpoint, then resume
    shutil.rmtree(part / "checkpoints" / "checkpoint-12")
    shutil.rmtree(part / "model")
    log = [ln for ln in (part / "log.csv").read_text().splitlines() if not ln[0].isdigit() or int(ln.split(",")[0]) <= 6]
    (part / "log.csv").write_text("\n".join(log) + "\n")
    train(TrainConfig(out=str(part), resume=True, **common))
    a, b = _losses(full), _losses(part)
    assert sorted(b) == sorted(a) and max(a) == 12
    for step in a:
        assert abs(a[step] - b[step]) < 1e-4, step


def test_each_field_can_have_its_own_soft_target_width():
    wide = FieldLoss(VOCAB, sigma=1.0, sigmas={"cutoff": 9.0})
    narrow = FieldLoss(VOCAB, sigma=1.0)
    cut, att = VOCAB.fields["cutoff"], VOCAB.fields["attack"]
    mid_cut, mid_att = int(cut.ids[cut.n_special + 100]), int(att.ids[att.n_special + 100])
    neighbour = int(cut.ids[cut.n_special + 109])  # 9 bins away: exp(-1/2) of the peak at sigma 9
    row = wide.targets[mid_cut]
    assert torch.isclose(row[neighbour] / row[mid_cut], torch.tensor(np.exp(-0.5), dtype=torch.float32), rtol=1e-4)
    assert narrow.targets[mid_cut][neighbour] < 1e-10
    assert torch.equal(wide.targets[mid_att], narrow.targets[mid_att])  # other fields keep `sigma`


def test_a_time_limit_stops_training_early_and_a_step_limit_repeats_it(clips32, tmp_path):
    common = dict(data=str(clips32), size="debug", steps=10**5, batch_size=4, warmup=1, eval_every=10**6,
                  save_every=10**6, progress=False)
    def saved_at(run: str) -> int:  # the step of the run's one checkpoint, saved when it stopped
        (checkpoint,) = (tmp_path / run / "checkpoints").glob("checkpoint-*")
        return json.loads((checkpoint / "trainer_state.json").read_text())["global_step"]

    folder = train(TrainConfig(out=str(tmp_path / "timed"), max_minutes=0.002, **common))
    steps = saved_at("timed")
    assert 0 < steps < 10**5
    again = train(TrainConfig(out=str(tmp_path / "stepped"), stop_after=steps, **common))
    assert saved_at("stepped") == steps
    a, b = M.load(folder)[0], M.load(again)[0]
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def test_bin_errors_measure_how_many_bins_off_each_field_is(clips32, monkeypatch):
    audio, truth = load_clips(clips32, 32)
    cut = VOCAB.fields["cutoff"]
    bins = list(cut.ids[cut.n_special :])
    k = [f.name for f in FIELDS].index("cutoff")
    assert any(VOCAB.encode(t)[k] in bins for t in truth)  # some clips have a filter

    def off_by_three(model, vocab, clips, **kwargs):  # right everywhere but 3 bins off in cutoff
        seqs = []
        for true in truth:
            seq = [1] + vocab.encode(true)  # <bos> first, as generate returns it
            if seq[k + 1] in bins:
                i = bins.index(seq[k + 1])
                seq[k + 1] = bins[i + 3 if i + 3 < len(bins) else i - 3]
            seqs.append(seq)
        return seqs, [0.0] * len(seqs)

    monkeypatch.setattr(M, "generate_ids", off_by_three)
    errors = bin_errors(None, VOCAB, audio, truth)
    assert errors["cutoff"] == 3.0 and errors["attack"] == 0.0 and errors["note"] == 0.0
    assert "waveform" not in errors  # categories have no distance


def test_validation_decodes_a_lora_model_as_its_base(clips32):
    audio, truth = load_clips(clips32, 8)
    base = M.build("debug", pool=2, seed=0)
    expected = validate(base, VOCAB, audio, truth)
    lora = M.add_lora(M.build("debug", pool=2, seed=0), rank=4)  # fresh adapters add nothing yet
    assert validate(lora, VOCAB, audio, truth) == expected


def test_bf16_autocast_trains_alike(clips32, tmp_path):
    """bfloat16 autocast (--bf16) learns as float32 does: 60 steps of the debug model on the same
    clips end within 10 % of float32's loss (benchmarks/train.py measures the speed and the curve)."""
    def final_loss(bf16: bool) -> float:
        cfg = TrainConfig(data=str(clips32), out=str(tmp_path / f"bf16-{bf16}"), size="debug", steps=60, batch_size=8,
                          lr=3e-3, warmup=5, eval_every=10**6, save_every=10**6, progress=False, bf16=bf16, seed=3)
        train(cfg)
        rows = [r.split(",") for r in (tmp_path / f"bf16-{bf16}" / "log.csv").read_text().splitlines()[1:]]
        return [float(value) for _, key, value in rows if key == "loss"][-1]  # step,key,value

    f32, bf = final_loss(False), final_loss(True)
    assert math.isfinite(bf) and abs(bf / f32 - 1) < 0.1
