"""What real recordings carry that the settings format does not say, as training-time
augmentation of standard clips (16 kHz mono): a room or a plate beyond Vital's reverb, an EQ
tilt, saturation, a noise floor, a lossy codec's holes and band limit, a stereo pair summed
to mono, level and a small time shift. The patch (the label) is unchanged: the network learns
to hear the synth through them. Each process is drawn per clip with its chance in `CHANCES`;
the result is brought back to the standard clip's peak, as `match` brings every input.

The codec is an imitation, not a real encoder (no MP3/AAC encoder is a dependency): per STFT
frame, bins more than 25-45 dB under the frame's loudest are zeroed, everything above a 4-7.5 kHz
band limit is cut, and the kept magnitudes are jittered, which is what a low-bit-rate
perceptual codec does to a synth note's spectrogram.
"""

from __future__ import annotations

import math

import torch

from .audio import PEAK, SAMPLE_RATE

CHANCES = {"room": 0.1, "plate": 0.1, "tilt": 0.3, "saturate": 0.15, "noise": 0.3, "codec": 0.15,
           "stereo": 0.15, "shift": 0.5}
MAX_SHIFT = 160  # samples: 10 ms


def _u(lo: float, hi: float, g: torch.Generator | None) -> float:
    return lo + (hi - lo) * float(torch.rand((), generator=g))


def _decaying_noise(n: int, rt60: float, g: torch.Generator | None) -> torch.Tensor:
    t = torch.arange(n) / SAMPLE_RATE
    return torch.randn(n, generator=g) * torch.exp(-6.91 * t / rt60)


def _smooth(x: torch.Tensor, width: int) -> torch.Tensor:
    """A moving average (a gentle low-pass)."""
    kernel = torch.ones(1, 1, width) / width
    return torch.nn.functional.conv1d(x[None, None], kernel, padding=width // 2)[0, 0, : x.numel()]


def room_ir(g: torch.Generator | None = None) -> torch.Tensor:
    """A small-to-medium room: a few early reflections within 5-60 ms, then a diffuse tail
    (RT60 0.2-1.2 s) whose highs die twice as fast as its lows."""
    rt60 = _u(0.2, 1.2, g)
    n = int(rt60 * SAMPLE_RATE)
    ir = torch.zeros(n)
    ir[0] = 1.0
    for _ in range(int(_u(4, 12, g))):
        at = int(_u(0.005, 0.06, g) * SAMPLE_RATE)
        ir[min(at, n - 1)] += _u(-0.6, 0.6, g)
    start = int(_u(0.01, 0.03, g) * SAMPLE_RATE)
    low = _smooth(_decaying_noise(n - start, rt60, g), 4)
    high = _decaying_noise(n - start, rt60 / 2, g)
    ir[start:] += 0.3 * (low + 0.5 * (high - _smooth(high, 4)))
    return ir


def plate_ir(g: torch.Generator | None = None) -> torch.Tensor:
    """A plate: dense and bright from the start, RT60 0.8-3 s."""
    rt60 = _u(0.8, 3.0, g)
    ir = 0.2 * _decaying_noise(int(rt60 * SAMPLE_RATE), rt60, g)
    ir[0] = 1.0
    return ir


def convolve(x: torch.Tensor, ir: torch.Tensor) -> torch.Tensor:
    """x filtered by ir (FFT convolution), cut to x's length."""
    size = 1 << math.ceil(math.log2(x.numel() + ir.numel()))
    return torch.fft.irfft(torch.fft.rfft(x, size) * torch.fft.rfft(ir, size), size)[: x.numel()]


def reverb(x: torch.Tensor, ir: torch.Tensor, g: torch.Generator | None) -> torch.Tensor:
    """The dry clip plus its reverberated copy (the IR's direct sound removed) 6-20 dB below it."""
    wet = convolve(x, torch.cat([torch.zeros(1), ir[1:]]) / ir[1:].norm().clamp_min(1e-9))
    return x + wet * (x.norm() / wet.norm().clamp_min(1e-9)) * 10 ** (_u(-20, -6, g) / 20)


def tilt(x: torch.Tensor, g: torch.Generator | None) -> torch.Tensor:
    """An EQ tilt of -4..+4 dB per octave around 1 kHz, flat below 50 Hz."""
    slope = _u(-4.0, 4.0, g)
    spectrum = torch.fft.rfft(x)
    freqs = torch.fft.rfftfreq(x.numel(), 1 / SAMPLE_RATE).clamp_min(50.0)
    gain = 10 ** (slope * torch.log2(freqs / 1000.0) / 20)
    return torch.fft.irfft(spectrum * gain, x.numel())


def saturate(x: torch.Tensor, g: torch.Generator | None) -> torch.Tensor:
    """tanh saturation, 4-18 dB of drive, a little asymmetric (a tube's even harmonics)."""
    drive, bias = 10 ** (_u(4, 18, g) / 20), _u(0.0, 0.2, g)
    return torch.tanh(drive * (x / x.abs().max().clamp_min(1e-9) + bias)) - math.tanh(drive * bias)


def noise_floor(x: torch.Tensor, g: torch.Generator | None) -> torch.Tensor:
    """White or pink noise (and mains hum half the time) 40-75 dB under the peak."""
    n = x.numel()
    noise = torch.randn(n, generator=g)
    if _u(0, 1, g) < 0.5:  # pink: 1/f power
        spectrum = torch.fft.rfft(noise)
        noise = torch.fft.irfft(spectrum / torch.arange(1, spectrum.numel() + 1).sqrt(), n)
    if _u(0, 1, g) < 0.5:
        t = torch.arange(n) / SAMPLE_RATE
        mains = 50.0 if _u(0, 1, g) < 0.5 else 60.0
        noise = noise / noise.std() + 2 * torch.sin(2 * math.pi * mains * t) + 0.7 * torch.sin(2 * math.pi * 3 * mains * t)
    level = x.abs().max() * 10 ** (_u(-75, -40, g) / 20)
    return x + noise / noise.abs().max().clamp_min(1e-9) * level


def codec(x: torch.Tensor, g: torch.Generator | None) -> torch.Tensor:
    """A low-bit-rate codec's traces (see the module's docstring)."""
    n_fft, hop = 512, 128
    window = torch.hann_window(n_fft)
    spec = torch.stft(x, n_fft, hop, window=window, return_complex=True)
    mag = spec.abs()
    floor = mag.amax(dim=0, keepdim=True) * 10 ** (-_u(25, 45, g) / 20)
    keep = mag >= floor
    freqs = torch.fft.rfftfreq(n_fft, 1 / SAMPLE_RATE)
    keep &= (freqs <= _u(4000, 7500, g))[:, None]
    jitter = 1 + _u(0.05, 0.25, g) * (2 * torch.rand(mag.shape, generator=g) - 1)
    return torch.istft(spec * keep * jitter, n_fft, hop, window=window, length=x.numel())


def stereo_to_mono(x: torch.Tensor, g: torch.Generator | None) -> torch.Tensor:
    """The mono sum of a stereo pair whose channels differ by a 0.1-1.5 ms delay and a level."""
    delay, level = int(_u(0.0001, 0.0015, g) * SAMPLE_RATE) or 1, _u(0.3, 1.0, g)
    other = torch.nn.functional.pad(x[:-delay], (delay, 0))
    return (x + level * other) / (1 + level)


def shift(x: torch.Tensor, g: torch.Generator | None) -> torch.Tensor:
    s = int(torch.randint(1, MAX_SHIFT + 1, (), generator=g))
    return torch.nn.functional.pad(x[:-s], (s, 0))


def one(x: torch.Tensor, g: torch.Generator | None = None, chances: dict[str, float] | None = None) -> torch.Tensor:
    """One clip through the processes drawn for it, in a recording's order (the room, then the
    chain, then what the file went through), back at the standard peak."""
    chances = CHANCES if chances is None else chances
    drawn = {name for name, p in chances.items() if float(torch.rand((), generator=g)) < p}
    if "room" in drawn:
        x = reverb(x, room_ir(g), g)
    elif "plate" in drawn:
        x = reverb(x, plate_ir(g), g)
    for name, process in (("tilt", tilt), ("saturate", saturate), ("stereo", stereo_to_mono),
                          ("noise", noise_floor), ("codec", codec), ("shift", shift)):
        if name in drawn:
            x = process(x, g)
    peak = x.abs().max()
    return x * (PEAK / peak) if peak > 0 else x


def batch(audio: torch.Tensor, g: torch.Generator | None = None) -> torch.Tensor:
    """Every clip of a batch (clips, samples), each through its own draw."""
    return torch.stack([one(x, g) for x in audio])
