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
