"""Helpers shared by the tests."""

import contextlib
import signal

import pytest


@contextlib.contextmanager
def _alarm(seconds: int):
    """Fail instead of hanging: SIGALRM interrupts a blocked open() and fails the test there
    (pytest's Failed is no OSError, so no reader's `except OSError` can swallow it)."""

    def fail(*_):
        pytest.fail(f"still blocked after {seconds} s")

    old = signal.signal(signal.SIGALRM, fail)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.fixture
def no_hang():
    """`with no_hang(5): ...` fails the test if the block is still blocked after 5 s."""
    return _alarm


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory):
    """A tiny untrained model folder (the `debug` shape, the current vocabulary) saved by the
    tests themselves: the real loading path, nothing downloaded. Read it; damage only copies."""
    from whispersynth import model as M
    from whispersynth.tokens import Vocab

    out = tmp_path_factory.mktemp("model")
    M.save(M.build("debug", pool=2, seed=0), out, Vocab())
    return out
