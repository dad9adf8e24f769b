"""WhisperSynth: a sound in, the synth settings that make it out."""

from .errors import AudioError, SettingsError, WhisperSynthError
from .spec import Patch

__version__ = "0.1.0"
__all__ = ["AudioError", "Patch", "SettingsError", "WhisperSynthError", "__version__"]
