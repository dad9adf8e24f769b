"""tools/average_models.py: the element-wise mean of models of one shape, a model folder again."""

import subprocess
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file

from whispersynth import model as M
from whispersynth.tokens import Vocab

TOOL = Path(__file__).parents[1] / "tools" / "average_models.py"


def _run(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(TOOL), *map(str, args)], capture_output=True, text=True, timeout=300)


def test_the_mean_of_two_models_is_a_model(tmp_path):
    for seed in (1, 2):
        M.save(M.build("debug", pool=2, seed=seed), tmp_path / f"m{seed}", Vocab())
    r = _run(tmp_path / "mean", tmp_path / "m1", tmp_path / "m2")
    assert r.returncode == 0, r.stderr
    a, b, mean = (load_file(str(tmp_path / d / "model.safetensors")) for d in ("m1", "m2", "mean"))
    assert set(mean) == set(a) and any(not torch.equal(a[k], b[k]) for k in a)
    for k in a:
        assert mean[k].dtype == a[k].dtype
        if a[k].is_floating_point():
            assert torch.allclose(mean[k], (a[k] + b[k]) / 2, atol=1e-6), k
    net, vocab = M.load(tmp_path / "mean")  # loads as any model folder does
    assert len(vocab) == len(Vocab())


def test_models_of_other_shapes_are_refused_in_one_line(tmp_path):
    M.save(M.build("debug", pool=2, seed=1), tmp_path / "small", Vocab())
    M.save(M.build("debug", pool=2, seed=1, vocab=Vocab.version(1)), tmp_path / "v1", Vocab.version(1))
    r = _run(tmp_path / "out", tmp_path / "small", tmp_path / "v1")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "not the same shape" in r.stderr
    r = _run(tmp_path / "out", tmp_path / "small", tmp_path / "missing")
    assert r.returncode == 2 and "missing: cannot read model.safetensors" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "out").exists()
