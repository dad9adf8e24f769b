import numpy as np
import torch
from transformers import WhisperFeatureExtractor

from whispersynth import features, model as M
from whispersynth.train import Collator

RNG = np.random.default_rng(0)
CLIPS = (RNG.normal(size=(4, 48000)) * np.linspace(0, 1, 48000) ** 2).astype(np.float32)


def test_torch_front_end_matches_whisper_feature_extractor():
    fe = WhisperFeatureExtractor(feature_size=80, sampling_rate=16000, hop_length=160, chunk_length=3, n_fft=400)
    ref = fe(list(CLIPS), sampling_rate=16000, return_tensors="np").input_features
    ours = features.LogMel(1)(torch.from_numpy(CLIPS)).numpy()
    assert ours.shape == ref.shape == (4, 80, 300)
    assert np.abs(ours - ref).max() < 1e-4
    pooled = features.LogMel(2)(torch.from_numpy(CLIPS)).numpy()
    assert pooled.shape == (4, 80, 150)
    assert np.allclose(pooled[..., 7], ours[..., 14:16].mean(-1), atol=1e-6)


def test_training_and_matching_hear_the_same_features():
    # what the Collator feeds in training is exactly what match/app feed the trained model
    model = M.build("debug", pool=2)
    rows = [{"audio": np.round(c * 32767).astype(np.int16), "labels": np.zeros(15, np.int64)} for c in CLIPS]
    trained_on = Collator(pool=2)(rows)["input_features"]
    heard = M.features(model, np.stack([r["audio"] for r in rows]).astype(np.float32) / 32767)
    assert torch.equal(trained_on, heard)
