"""The front end of the audio stage: what the network hears of a standard clip.

Whisper's log-mel spectrogram (80 bands, 25 ms windows every 10 ms), computed in torch so
training, `match`, the app and the metrics share one implementation (`front_end`).
"""

from __future__ import annotations

import functools

import numpy as np
import torch

from .audio import CLIP_SAMPLES, CLIP_SECONDS, SAMPLE_RATE

N_MELS, N_FFT, HOP = 80, 400, 160  # Whisper's front end: 25 ms windows every 10 ms
FRAMES = CLIP_SAMPLES // HOP  # 300 frames for the 3 s clip


class LogMel(torch.nn.Module):
    """Whisper's log-mel front end in torch (tested against WhisperFeatureExtractor), with
    optional averaging of `pool` frames in time."""

    def __init__(self, pool: int = 1) -> None:
        super().__init__()
        from transformers import WhisperFeatureExtractor

        fe = WhisperFeatureExtractor(feature_size=N_MELS, sampling_rate=SAMPLE_RATE, hop_length=HOP,
                                     chunk_length=int(CLIP_SECONDS), n_fft=N_FFT)
        self.register_buffer("mel", torch.from_numpy(fe.mel_filters.T.astype(np.float32)), persistent=False)
        self.register_buffer("window", torch.hann_window(N_FFT), persistent=False)
        self.pool = pool

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        """(batch, samples) at 16 kHz -> (batch, 80, frames / pool)."""
        audio = torch.nn.functional.pad(audio, (0, max(0, FRAMES * HOP - audio.shape[-1])))[..., : FRAMES * HOP]
        stft = torch.stft(audio, N_FFT, HOP, window=self.window, return_complex=True)
        power = (stft[..., :-1].abs() ** 2).contiguous()
        log_spec = torch.clamp(self.mel @ power, min=1e-10).log10()
        top = log_spec.amax(dim=(1, 2), keepdim=True)
        log_spec = (torch.maximum(log_spec, top - 8.0) + 4.0) / 4.0
        if self.pool > 1:
            log_spec = torch.nn.functional.avg_pool1d(log_spec, self.pool)
        return log_spec


@functools.lru_cache(maxsize=4)
def front_end(pool: int) -> LogMel:
    """The front end with `pool` frames averaged; one per pooling (building it computes the mel filters)."""
    return LogMel(pool)
