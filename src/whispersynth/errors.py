"""Typed errors: each carries a message that tells the user what to fix."""


class WhisperSynthError(Exception):
    """Base of every error the CLI reports as one line with exit code 2."""


class SettingsError(WhisperSynthError, ValueError):
    """Settings text or values that do not follow docs/FORMAT.md."""


class AudioError(WhisperSynthError, ValueError):
    """Audio that cannot be used: unreadable, empty, silent, non-finite, too long."""
