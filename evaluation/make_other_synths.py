"""Make the `other-synths/` folder: sounds from synthesis written here in numpy/scipy, not Vital.

Vital cannot copy these exactly (other oscillators, filters, envelopes, FM, plucked strings,
noise, a chord), so evaluating on them shows how a match degrades on sounds from outside the
training distribution. The last nine are built from the blocks of the settings format's
version 2 (a resonant filter with its own envelope, a second oscillator an octave or a fifth
away, noise, a pitch envelope), but with other filters, curves and mixes, so a match can come
close without copying them. Deterministic: rerunning writes the same files.

    .venv/bin/python evaluation/make_other_synths.py [OUT_DIR]

`--random N --seed S OUT_DIR` writes N random draws of the same blocks instead (see random_sound).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy import signal

RATE = 32000  # not the model's 16 kHz: evaluation also exercises resampling
SECONDS = 3.5


def hz(midi: float) -> float:
    return 440.0 * 2 ** ((midi - 69) / 12)


def t() -> np.ndarray:
    return np.arange(int(RATE * SECONDS)) / RATE


def adsr(a: float, d: float, s: float, r: float, held: float) -> np.ndarray:
    """Linear attack, exponential decay to s, exponential release after `held` seconds."""
    x = t()
    env = np.where(x < a, x / max(a, 1e-4), s + (1 - s) * np.exp(-(x - a) / max(d, 1e-4) * 4.6))
    at_off = np.interp(held, x, env)
    return np.where(x < held, env, at_off * np.exp(-(x - held) / max(r, 1e-4) * 6.9))


def polyblep_saw(freq: np.ndarray | float, shift: float = 0.0) -> np.ndarray:
    """Band-limited sawtooth (PolyBLEP) with a per-sample frequency, started `shift` cycles in."""
    inc = np.broadcast_to(np.asarray(freq, float), t().shape) / RATE
    phase = (np.cumsum(inc) + shift) % 1.0
    out = 2 * phase - 1
    lo, hi = phase < inc, phase > 1 - inc
    p = phase[lo] / inc[lo]
    out[lo] -= p + p - p * p - 1
    p = (phase[hi] - 1) / inc[hi]
    out[hi] -= p * p + p + p + 1
    return out


def ladder(x: np.ndarray, cutoff: np.ndarray, resonance: float) -> np.ndarray:
    """A four-pole resonant lowpass with a time-varying cutoff (a simple Moog-style ladder)."""
    g = 1 - np.exp(-2 * np.pi * np.clip(cutoff, 20, RATE * 0.45) / RATE)
    s = np.zeros(4)
    y = np.empty_like(x)
    for i, v in enumerate(x):
        u = np.tanh(v - resonance * s[3])
        for k in range(4):
            s[k] += g[i] * (u - s[k])
            u = s[k]
        y[i] = s[3]
    return y


def polyblep_square(freq: np.ndarray | float) -> np.ndarray:
    """Band-limited square: a sawtooth minus the same sawtooth half a cycle later."""
    return polyblep_saw(freq) - polyblep_saw(freq, shift=0.5)


def svf(x: np.ndarray, cutoff: np.ndarray | float, q: float, mode: str = "low") -> np.ndarray:
    """Two-pole state-variable filter (trapezoidal, stable with a moving cutoff): low/band/high."""
    g = np.tan(np.pi * np.broadcast_to(np.clip(cutoff, 20, RATE * 0.45), x.shape) / RATE)
    a1 = 1 / (1 + g * (g + 1 / q))
    a2, ic1, ic2, low, band = g * a1, 0.0, 0.0, [], []
    for v0, b1, b2, b3 in zip(x.tolist(), a1.tolist(), a2.tolist(), (g * a2).tolist()):
        v3 = v0 - ic2
        v1, v2 = b1 * ic1 + b2 * v3, ic2 + b2 * ic1 + b3 * v3
        ic1, ic2 = 2 * v1 - ic1, 2 * v2 - ic2
        low.append(v2)
        band.append(v1)
    low, band = np.array(low), np.array(band)
    return {"low": low, "band": band, "high": x - band / q - low}[mode]


def sweep(lowest: float, octaves: float, env: np.ndarray) -> np.ndarray:
    """A filter envelope: a cutoff `octaves` above `lowest` where the envelope is 1."""
    return lowest * 2 ** (octaves * env)


def dive(midi: float, semitones: float, tau: float) -> np.ndarray:
    """A pitch envelope: `semitones` above the note at first, falling with time constant `tau`."""
    return hz(midi) * 2 ** (semitones * np.exp(-t() / tau) / 12)


def lowpass(x: np.ndarray, cutoff: float) -> np.ndarray:
    """A fixed two-pole Butterworth lowpass."""
    b, a = signal.butter(2, cutoff / (RATE / 2))
    return signal.lfilter(b, a, x)


def moog_bass() -> np.ndarray:
    env = adsr(0.005, 0.25, 0.3, 0.15, 1.0)
    cutoff = 200 + 2500 * adsr(0.002, 0.18, 0.0, 0.1, 1.0)
    return ladder(polyblep_saw(hz(36)), cutoff, 2.5) * env


def fm_bell() -> np.ndarray:
    x, f = t(), hz(72)
    index = 6 * np.exp(-x * 1.5)
    return np.sin(2 * np.pi * f * x + index * np.sin(2 * np.pi * f * 3.5 * x)) * adsr(0.001, 2.5, 0.0, 0.5, 3.0)


def fm_epiano() -> np.ndarray:
    x, f = t(), hz(60)
    index = 2.5 * np.exp(-x * 4)
    return np.sin(2 * np.pi * f * x + index * np.sin(2 * np.pi * f * x)) * adsr(0.002, 1.2, 0.2, 0.3, 1.5)


def karplus_strong(midi: float, seconds_held: float, seed: int) -> np.ndarray:
    n = int(RATE / hz(midi))
    rng = np.random.default_rng(seed)
    buf = rng.uniform(-1, 1, n)
    out = np.empty(t().size)
    for i in range(out.size):
        out[i] = buf[i % n]
        buf[i % n] = 0.996 * 0.5 * (buf[i % n] + buf[(i + 1) % n])
    return out * adsr(0.0, 10.0, 1.0, 0.05, seconds_held)


def organ() -> np.ndarray:
    x, f = t(), hz(55)
    drawbars = {0.5: 0.6, 1: 1.0, 2: 0.8, 3: 0.5, 4: 0.4, 6: 0.2, 8: 0.25}
    tone = sum(a * np.sin(2 * np.pi * f * m * x) for m, a in drawbars.items())
    return tone * (1 + 0.1 * np.sin(2 * np.pi * 6.5 * x)) * adsr(0.01, 0.1, 1.0, 0.08, 2.2)


def pwm_lead() -> np.ndarray:
    x, f = t(), hz(67)
    duty = 0.5 + 0.35 * np.sin(2 * np.pi * 0.8 * x)
    phase = (f * x) % 1.0
    raw = np.where(phase < duty, 1.0, -1.0)
    b, a = signal.butter(2, 5000 / (RATE / 2))
    return signal.lfilter(b, a, raw) * adsr(0.03, 0.3, 0.7, 0.3, 2.0)


def noise_snare() -> np.ndarray:
    x = t()
    rng = np.random.default_rng(3)
    b, a = signal.butter(2, [1500 / (RATE / 2), 7000 / (RATE / 2)], btype="band")
    noise = signal.lfilter(b, a, rng.normal(0, 1, x.size)) * np.exp(-x * 18)
    body = np.sin(2 * np.pi * 190 * x) * np.exp(-x * 30)
    return noise + 0.6 * body


def supersaw() -> np.ndarray:
    spreads = (-0.35, -0.22, -0.1, 0.0, 0.1, 0.22, 0.35)
    tone = sum(polyblep_saw(hz(57 + s)) for s in spreads) / len(spreads)
    b, a = signal.butter(2, 3500 / (RATE / 2))
    return signal.lfilter(b, a, tone) * adsr(0.15, 0.5, 0.8, 0.5, 2.0)


def vibrato_flute() -> np.ndarray:
    x = t()
    depth = np.clip((x - 0.6) / 0.5, 0, 1) * 0.3  # delayed vibrato, 0.3 semitones
    freq = hz(74) * 2 ** (depth * np.sin(2 * np.pi * 5.5 * x) / 12)
    phase = 2 * np.pi * np.cumsum(freq) / RATE
    breath = np.random.default_rng(4).normal(0, 0.02, x.size)
    return (np.sin(phase) + 0.15 * np.sin(2 * phase) + breath) * adsr(0.08, 0.2, 0.85, 0.2, 2.4)


def chord_pad() -> np.ndarray:
    tone = sum(polyblep_saw(hz(m)) for m in (60, 64, 67))
    b, a = signal.butter(2, 1800 / (RATE / 2))
    return signal.lfilter(b, a, tone) * adsr(0.4, 0.5, 0.8, 0.6, 2.2)


def pitch_drop_bass() -> np.ndarray:
    x = t()
    freq = hz(40) * 2 ** (12 * np.exp(-x * 25) / 12)
    phase = np.cumsum(freq) / RATE
    tri = 2 * np.abs(2 * (phase % 1.0) - 1) - 1
    return tri * adsr(0.001, 0.6, 0.4, 0.2, 0.8)


def wah_saw() -> np.ndarray:
    x = t()
    cutoff = 600 * 2 ** (2.5 * (0.5 + 0.5 * np.sin(2 * np.pi * 2.0 * x)))
    return ladder(polyblep_saw(hz(50)), cutoff, 1.5) * adsr(0.01, 0.2, 0.8, 0.2, 2.5)


def acid_bass() -> np.ndarray:
    cutoff = sweep(270, 3.7, adsr(0.002, 0.2, 0.0, 0.05, 1.0))  # 3.5 kHz down to 270 Hz in 0.2 s
    return svf(polyblep_saw(hz(45)), cutoff, 8.0) * adsr(0.003, 0.3, 0.7, 0.08, 0.9)


def resonant_sweep_pad() -> np.ndarray:
    cutoff = sweep(150, 4.5, adsr(1.6, 1.0, 0.5, 0.8, 2.4))  # opens over 1.6 s, then half closes
    return svf(polyblep_saw(hz(50)), cutoff, 4.0) * adsr(0.5, 0.8, 0.85, 0.8, 2.4)


def filter_pluck() -> np.ndarray:
    cutoff = sweep(300, 4.0, adsr(0.001, 0.2, 0.0, 0.05, 1.0))
    return svf(polyblep_square(hz(59)), cutoff, 2.0) * adsr(0.001, 0.6, 0.05, 0.2, 1.0)


def sub_bass_stack() -> np.ndarray:
    sub = np.sin(2 * np.pi * hz(31) * t())  # a sine one octave below the saw
    return (0.6 * lowpass(polyblep_saw(hz(43)), 2500) + sub) * adsr(0.005, 0.3, 0.8, 0.12, 1.6)


def fifth_lead() -> np.ndarray:
    tone = polyblep_saw(hz(69)) + 0.7 * polyblep_saw(hz(76))
    return lowpass(tone, 4500) * adsr(0.02, 0.4, 0.75, 0.25, 1.8)


def breathy_pad() -> np.ndarray:
    b, a = signal.butter(2, [1500 / (RATE / 2), 6000 / (RATE / 2)], btype="band")
    breath = signal.lfilter(b, a, np.random.default_rng(5).normal(0, 1, t().size))
    tone = lowpass(polyblep_saw(hz(57)), 1200) * adsr(0.7, 0.8, 0.8, 0.8, 2.3)
    return tone + 0.3 * breath * adsr(0.35, 0.8, 0.6, 0.8, 2.3)  # the breath comes in first


def hihat() -> np.ndarray:
    b, a = signal.butter(4, 7000 / (RATE / 2), btype="high")
    noise = np.random.default_rng(6).normal(0, 1, t().size)
    return signal.lfilter(b, a, noise) * np.exp(-t() * 35)


def kick() -> np.ndarray:
    phase = 2 * np.pi * np.cumsum(dive(31, 48, 0.025)) / RATE  # from four octaves above G1
    return np.sin(phase) * adsr(0.0005, 0.45, 0.0, 0.05, 1.0)


def zap() -> np.ndarray:
    return polyblep_square(dive(48, 36, 0.02)) * adsr(0.001, 0.35, 0.0, 0.05, 1.0)  # C6 to C3


SOUNDS = {
    "moog-bass": moog_bass, "fm-bell": fm_bell, "fm-epiano": fm_epiano,
    "ks-pluck": lambda: karplus_strong(64, 1.2, 1), "ks-low-pluck": lambda: karplus_strong(45, 2.0, 2),
    "organ": organ, "pwm-lead": pwm_lead, "noise-snare": noise_snare, "supersaw": supersaw,
    "vibrato-flute": vibrato_flute, "chord-pad": chord_pad, "pitch-drop-bass": pitch_drop_bass,
    "wah-saw": wah_saw,
    "acid-bass": acid_bass, "resonant-sweep-pad": resonant_sweep_pad, "filter-pluck": filter_pluck,
    "sub-bass-stack": sub_bass_stack, "fifth-lead": fifth_lead, "breathy-pad": breathy_pad,
    "hihat": hihat, "kick": kick, "zap": zap,
}


# ---------------------------------------------------------------- random draws of the same blocks
#
# Sounds a match has to learn from outside the training distribution (the settings format's issue
# "Learn from the search"): each draw picks one of the families above and random settings for it (a
# note, envelopes, filters, FM ratios and indices, drawbars, detune...). A seed gives the same sounds
# on any machine. Single notes only (no chord): a harvested pair needs one pitch.


def _env(rng: np.random.Generator) -> np.ndarray:
    """A random amplitude envelope: percussive, plucked, held or swelling."""
    held = rng.uniform(0.4, 2.6)
    kind = rng.choice(["perc", "pluck", "held", "swell"])
    if kind == "perc":
        return adsr(rng.uniform(0.0005, 0.01), rng.uniform(0.08, 0.8), 0.0, rng.uniform(0.03, 0.3), held)
    if kind == "pluck":
        return adsr(rng.uniform(0.001, 0.02), rng.uniform(0.2, 1.5), rng.uniform(0.0, 0.3), rng.uniform(0.05, 0.6), held)
    if kind == "held":
        return adsr(rng.uniform(0.002, 0.1), rng.uniform(0.1, 1.0), rng.uniform(0.5, 1.0), rng.uniform(0.05, 0.8), held)
    return adsr(rng.uniform(0.2, 1.2), rng.uniform(0.3, 1.2), rng.uniform(0.5, 0.95), rng.uniform(0.3, 1.0), held)


def _osc(rng: np.random.Generator, freq: np.ndarray | float) -> np.ndarray:
    kind = rng.choice(["saw", "square", "tri", "sine"])
    if kind == "saw":
        return polyblep_saw(freq)
    if kind == "square":
        return polyblep_square(freq)
    phase = np.cumsum(np.broadcast_to(np.asarray(freq, float), t().shape)) / RATE
    return 2 * np.abs(2 * (phase % 1.0) - 1) - 1 if kind == "tri" else np.sin(2 * np.pi * phase)


def _cutoff(rng: np.random.Generator, midi: float) -> np.ndarray:
    """A fixed cutoff, an envelope sweep, or a wobble, a few octaves about the note."""
    low = hz(midi) * 2 ** rng.uniform(-0.5, 3.0)
    kind = rng.choice(["fixed", "sweep", "wobble"])
    if kind == "fixed":
        return np.full(t().size, low * 2 ** rng.uniform(0, 2))
    if kind == "sweep":
        return sweep(low, rng.uniform(1, 5), adsr(rng.uniform(0.001, 1.2), rng.uniform(0.05, 1.0),
                                                  rng.uniform(0, 0.6), 0.2, rng.uniform(0.5, 2.5)))
    rate, depth = rng.uniform(0.3, 7), rng.uniform(0.5, 3)
    return low * 2 ** (depth * (0.5 + 0.5 * np.sin(2 * np.pi * rate * t())))


def _rand_subtractive(rng: np.random.Generator, midi: float) -> np.ndarray:
    tone = _osc(rng, hz(midi))
    if rng.random() < 0.4:  # a second oscillator: detuned, an octave or a fifth away
        interval = rng.choice([0.0, 12.0, -12.0, 7.0, 19.0]) + rng.uniform(-0.2, 0.2)
        tone = tone + rng.uniform(0.3, 1.0) * _osc(rng, hz(midi + interval))
    cutoff = _cutoff(rng, midi)
    if rng.random() < 0.5:
        tone = ladder(tone / np.abs(tone).max(), cutoff, rng.uniform(0, 3.6))
    else:
        tone = svf(tone, cutoff, rng.uniform(0.6, 10), str(rng.choice(["low", "low", "band", "high"])))
    return tone * _env(rng)


def _rand_fm(rng: np.random.Generator, midi: float) -> np.ndarray:
    x, f = t(), hz(midi)
    ratio = rng.choice([0.5, 1, 1, 2, 2, 3, 3.5, 4, 5, 7, 1.41, 2.76])
    index = rng.uniform(0.3, 8) * np.exp(-x * rng.uniform(0, 6))
    return np.sin(2 * np.pi * f * x + index * np.sin(2 * np.pi * f * ratio * x)) * _env(rng)


def _rand_pluck(rng: np.random.Generator, midi: float) -> np.ndarray:
    return karplus_strong(midi, rng.uniform(0.3, 2.5), int(rng.integers(1 << 30)))


def _rand_organ(rng: np.random.Generator, midi: float) -> np.ndarray:
    x, f = t(), hz(midi)
    bars = {m: rng.uniform(0, 1) * (rng.random() < 0.7) for m in (0.5, 1, 1.5, 2, 3, 4, 5, 6, 8)}
    bars[1] = max(bars[1], 0.5)
    tone = sum(a * np.sin(2 * np.pi * f * m * x) for m, a in bars.items() if a)
    return tone * (1 + rng.uniform(0, 0.25) * np.sin(2 * np.pi * rng.uniform(3, 8) * x)) * _env(rng)


def _rand_pwm(rng: np.random.Generator, midi: float) -> np.ndarray:
    x, f = t(), hz(midi)
    duty = 0.5 + rng.uniform(0.05, 0.4) * np.sin(2 * np.pi * rng.uniform(0.2, 5) * x)
    raw = np.where((f * x) % 1.0 < duty, 1.0, -1.0)
    return lowpass(raw, min(rng.uniform(1500, 9000), RATE * 0.45)) * _env(rng)


def _rand_supersaw(rng: np.random.Generator, midi: float) -> np.ndarray:
    n, spread = int(rng.integers(3, 10)), rng.uniform(0.05, 0.5)
    tone = sum(polyblep_saw(hz(midi + s), shift=rng.random()) for s in np.linspace(-spread, spread, n)) / n
    return lowpass(tone, min(hz(midi) * 2 ** rng.uniform(2, 6), RATE * 0.45)) * _env(rng)


def _rand_vibrato(rng: np.random.Generator, midi: float) -> np.ndarray:
    x = t()
    delay = rng.uniform(0, 1)
    depth = np.clip((x - delay) / rng.uniform(0.1, 0.8), 0, 1) * rng.uniform(0.1, 0.8)
    freq = hz(midi) * 2 ** (depth * np.sin(2 * np.pi * rng.uniform(4, 7) * x) / 12)
    phase = 2 * np.pi * np.cumsum(freq) / RATE
    breath = np.random.default_rng(int(rng.integers(1 << 30))).normal(0, rng.uniform(0, 0.06), x.size)
    return (np.sin(phase) + rng.uniform(0, 0.4) * np.sin(2 * phase) + rng.uniform(0, 0.2) * np.sin(3 * phase)
            + breath) * _env(rng)


def _rand_drum(rng: np.random.Generator, midi: float) -> np.ndarray:
    x = t()
    lo = rng.uniform(300, 6000)
    b, a = signal.butter(2, [lo / (RATE / 2), min(lo * rng.uniform(1.5, 4), RATE * 0.45) / (RATE / 2)], btype="band")
    noise = signal.lfilter(b, a, np.random.default_rng(int(rng.integers(1 << 30))).normal(0, 1, x.size))
    body = np.sin(2 * np.pi * np.cumsum(dive(midi, rng.uniform(0, 24), rng.uniform(0.01, 0.06))) / RATE)
    mix = rng.uniform(0, 1)
    return (mix * noise / np.abs(noise).max() * np.exp(-x * rng.uniform(8, 40))
            + (1 - mix) * body * np.exp(-x * rng.uniform(4, 30)))


def _rand_dive(rng: np.random.Generator, midi: float) -> np.ndarray:
    freq = dive(midi, rng.uniform(3, 48), rng.uniform(0.01, 0.3))
    return _osc(rng, freq) * _env(rng)


RANDOM_FAMILIES = {
    "subtractive": _rand_subtractive, "fm": _rand_fm, "pluck": _rand_pluck, "organ": _rand_organ,
    "pwm": _rand_pwm, "supersaw": _rand_supersaw, "vibrato": _rand_vibrato, "drum": _rand_drum,
    "dive": _rand_dive,
}


def random_sound(seed: int, index: int) -> tuple[str, float, np.ndarray]:
    """Draw `index` of a seeded set: its family, its note and its audio (at RATE, peak 0.5)."""
    rng = np.random.default_rng([seed, index])
    family = str(rng.choice(list(RANDOM_FAMILIES)))
    midi = float(rng.integers(28, 85)) if family != "drum" else float(rng.integers(28, 55))
    x = RANDOM_FAMILIES[family](rng, midi)
    if not np.isfinite(x).all() or np.abs(x).max() < 1e-6:
        x = np.sin(2 * np.pi * hz(midi) * t()) * adsr(0.01, 0.3, 0.7, 0.2, 1.5)  # a draw gone silent: a plain tone
    return family, midi, x * (0.5 / np.abs(x).max())


def write(out: Path, name: str, x: np.ndarray) -> Path:
    lead = np.zeros(int(0.1 * RATE))  # a little silence before the note, as in a real recording
    path = out / f"{name}.flac"
    sf.write(path, np.concatenate([lead, x * (0.5 / np.abs(x).max())]).astype(np.float32), RATE, subtype="PCM_16")
    return path


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, make in SOUNDS.items():
        print(write(out, name, make()))


def main_random(out: Path, n: int, seed: int) -> None:
    """`n` random draws, named NNNNN-family; a rerun skips the files already there."""
    out.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        if not list(out.glob(f"{i:05d}-*.flac")):
            family, _, x = random_sound(seed, i)
            print(write(out, f"{i:05d}-{family}", x))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=Path(__file__).parent / "other-synths")
    parser.add_argument("--random", type=int, metavar="N", help="write N random draws instead of the fixed sounds")
    parser.add_argument("--seed", type=int, default=0, help="the random draws' seed")
    args = parser.parse_args()
    if args.random is not None:
        main_random(args.out, args.random, args.seed)
    else:
        main(args.out)
