"""Real engines with random settings: sounds for the harvest (`whispersynth data harvest`), never for evaluation.

    python scripts/random_settings.py ENGINE --n N --seed S --out DIR [--workers 2]    (N audible sounds)
ENGINE: hexter (random DX7 voices), or amsynth, xsynth or whysynth (random values of every control
port: 41, 32 and 196 of them; amsynth over its defaults, the others with no program selected; see
PORT_RULES). No factory preset and no statistic of one is used: each value is drawn from the
engine's own range (the DX7 voice format's limits; the plugin's LADSPA port bounds, which
`dssi_render list` prints), with a few generic choices that keep a draw playable as a held note
(named below). Each kept sound is a standard clip like the evaluation set's (common.to_clip), a
FLAC with a JSON sidecar naming the settings; silent draws are skipped and counted. Needs
dssi_render (built by render_all.sh, or: gcc -O2 -o OUT/dssi_render dssi/dssi_render.c -ldl -lm)
in REAL_PRESETS_OUT.
"""
import argparse
import json
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).parent))
import common  # noqa: E402
import dssi_engines  # noqa: E402


def dx7_voice(rng: np.random.Generator) -> bytes:
    """A random DX7 voice in the 128-byte packed (cartridge) format.

    Every field within the format's limits; generic choices for a playable held note: carriers and
    modulators alike start loud enough to be heard (L1 >= 60), the pitch envelope is flat (all levels
    50) four times in five, the transpose is centred (the played note sounds), and ratios are mostly
    small whole numbers (coarse 0-4, fine 0 three times in four)."""
    u = lambda lo, hi: int(rng.integers(lo, hi + 1))
    v = bytearray(128)
    for op in range(6):
        o = op * 17
        v[o:o + 4] = bytes(u(15, 99) for _ in range(4))  # EG rates R1-R4
        v[o + 4:o + 8] = bytes([u(60, 99), u(40, 99), u(0, 99), u(0, 20)])  # EG levels L1-L4
        v[o + 8], v[o + 9], v[o + 10] = u(0, 99), u(0, 60), u(0, 60)  # level scaling break point, depths
        v[o + 11] = u(0, 3) << 2 | u(0, 3)  # right | left curve
        v[o + 12] = u(4, 10) << 3 | u(0, 7)  # detune (7 = none) | rate scaling
        v[o + 13] = u(0, 7) << 2 | u(0, 3)  # key velocity sensitivity | amp mod sensitivity
        v[o + 14] = u(40, 99)  # output level
        fixed = rng.random() < 0.05
        coarse = u(0, 3) if fixed else int(rng.choice([0, 1, 1, 1, 2, 2, 3, 4, u(5, 31)]))
        v[o + 15] = coarse << 1 | int(fixed)
        v[o + 16] = 0 if rng.random() < 0.75 else u(0, 99)  # fine
    flat = rng.random() < 0.8
    v[102:106] = bytes(u(0, 99) for _ in range(4))  # pitch EG rates
    v[106:110] = bytes([50] * 4) if flat else bytes(u(35, 65) for _ in range(4))  # pitch EG levels
    v[110] = u(0, 31)  # algorithm
    v[111] = u(0, 1) << 3 | u(0, 7)  # osc key sync | feedback
    v[112], v[113], v[114], v[115] = u(0, 99), u(0, 99), u(0, 30), u(0, 40)  # LFO speed, delay, PMD, AMD
    v[116] = u(0, 4) << 4 | u(0, 5) << 1 | u(0, 1)  # pitch mod sensitivity | LFO wave | LFO sync
    v[117] = 24  # transpose: C3, the played note sounds
    v[118:128] = b"RANDOM    "
    return bytes(v)


def plugin_ports(plugin: str) -> dict[str, tuple[float, float]]:
    """{control name: (lower, upper)} from the plugin's LADSPA port range hints (`dssi_render list`)."""
    err = subprocess.run([str(dssi_engines.HOST), "list", plugin, "0", "-"],
                         capture_output=True, text=True, timeout=60).stderr
    return {m[1]: (float(m[2]), float(m[3]))
            for m in re.finditer(r"control \d+ (.+?) = \S+ \[(\S+), (\S+)\]", err)}


# How each engine's control ports are drawn: the plugin; `stepped` controls (a regex on the port's name)
# take whole values; `square` ones (times) the square of a uniform, so short times are as likely as on a
# log scale; `log` ones (rates, frequencies, pitch ratios with a positive lower bound) log-uniform;
# `sparse` ones (modulation depths) zero half the time, so a draw is not always modulated by every
# source at once; `fixed` ones a set value; every other control uniform within its bounds. The fixed
# values are generic choices for a held note, never read from a preset: the level at the plugin's
# default (clips are normalised afterwards), no glide, the standard tuning, the first oscillator at
# the played note.
PORT_RULES = {
    "amsynth": dict(plugin="/usr/lib/dssi/amsynth_dssi.so",
                    stepped=r"osc1_waveform|osc2_waveform|lfo_waveform|osc2_range|osc_mix_mode|osc2_sync|"
                            r"filter_type|filter_slope|freq_mod_osc|osc2_pitch",
                    square=r".*_(attack|decay|release)", log=None, sparse=None,
                    fixed={"master_vol": 0.75, "portamento_time": 0.0, "keyboard_mode": 0.0, "portamento_mode": 0.0}),
    "xsynth": dict(plugin="/usr/lib/dssi/xsynth-dssi.so",
                   stepped=r".*(Waveform|Sync|Mode)", square=None, log=r".*(Pitch|Frequency|Rate)",
                   sparse=r".*(Pitch|Cutoff) Mod",
                   fixed={"OSC1 Pitch": 1.0, "Volume": 0.25, "Glide Rate": 0.002, "Tuning": 440.0}),
    "whysynth": dict(plugin="/usr/lib/dssi/whysynth.so",
                     stepped=r".*(Mode|Waveform|Src|Source|Shape \d|Pitch)", square=r".*(Time \d|Delay)",
                     log=r".*LFO Frequency", sparse=r".*Mod\d? Amt",
                     fixed={"Osc1 Pitch": 0.0, "Volume": 0.25, "Glide Rate": 0.002, "Bend Range": 0.0,
                            "Tuning": 440.0}),
}
PORT_ENGINES = tuple(PORT_RULES)


def port_settings(rng: np.random.Generator, ports: dict, rule: dict) -> dict[str, float]:
    """One random value of each control port, drawn as the engine's PORT_RULES say (uniform by default)."""
    match = lambda key, name: rule[key] is not None and re.fullmatch(rule[key], name)
    out = {}
    for name, (lo, hi) in ports.items():
        if name in rule["fixed"]:
            out[name] = rule["fixed"][name]
        elif match("sparse", name) and lo <= 0 <= hi and rng.random() < 0.5:
            out[name] = 0.0
        elif match("stepped", name):
            out[name] = float(rng.integers(int(lo), int(hi) + 1))
        elif match("square", name):
            out[name] = round(lo + (hi - lo) * rng.random() ** 2, 4)
        elif match("log", name) and lo > 0:
            out[name] = float(f"{np.exp(rng.uniform(np.log(lo), np.log(hi))):.5g}")
        else:
            out[name] = round(float(rng.uniform(lo, hi)), 4)
    return out


def render(engine: str, settings, note: int, tmp: str) -> np.ndarray:
    """The evaluation set's own renderers (dssi_engines), given a drawn voice or control values as the preset."""
    if engine == "hexter":
        (_, audio, _, _), = dssi_engines.hexter_render({"preset": {"voice_hex": settings.hex()}, "note": note}, tmp)
    elif engine == "amsynth":
        (_, audio, _, _), = dssi_engines.amsynth_render({"preset": {"params": settings}, "note": note}, tmp)
    else:  # no program is selected ("-"): every control port is set from the draw
        audio, _ = dssi_engines.host_render(PORT_RULES[engine]["plugin"], [(f"port:{k}", v) for k, v in settings.items()],
                                            "-", "-", note, tmp=tmp)
    return audio


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("engine", choices=("hexter",) + PORT_ENGINES)
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(a.seed)
    rule = PORT_RULES.get(a.engine)
    ports = plugin_ports(rule["plugin"]) if rule else None
    if ports is not None and len(ports) < 20:
        sys.exit(f"error: {a.engine}'s ports not listed ({len(ports)}): is {dssi_engines.HOST} built?")
    # draws are made in order from one generator: the k-th draw depends only on the seed, and --n N keeps
    # the first N audible ones (a larger N adds sounds, it does not change the first N)
    draws = []
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(a.workers) as pool:
        def job(k):
            name = f"{a.engine}-random-{a.seed}-{k:04d}"
            if (a.out / f"{name}.flac").exists():
                return True  # resumed
            settings, note = draws[k]
            clip, measures = common.to_clip(render(a.engine, settings, note, tmp), dssi_engines.RATE)
            if clip is None:
                return False
            meta = {"engine": a.engine, "seed": a.seed, "index": k, "note": note, "measures": measures,
                    "settings": settings.hex() if isinstance(settings, bytes) else settings}
            (a.out / f"{name}.json").write_text(json.dumps(meta, indent=1) + "\n")
            tmp_flac = a.out / f".{name}.flac"
            sf.write(tmp_flac, clip, common.SAMPLE_RATE, subtype="PCM_16", format="FLAC")
            tmp_flac.replace(a.out / f"{name}.flac")  # atomic: an interrupted run resumes
            return True

        kept = silent = 0
        while kept < a.n:
            start = len(draws)
            draws += [(dx7_voice(rng) if ports is None else port_settings(rng, ports, rule), int(rng.integers(36, 85)))
                      for _ in range(a.n - kept)]
            audible = list(pool.map(job, range(start, len(draws))))  # a batch holds at most the sounds wanted
            kept, silent = kept + sum(audible), silent + audible.count(False)
            if len(draws) > 20 * a.n:
                sys.exit(f"error: {a.engine}: only {kept} audible sounds in {len(draws)} draws")
    print(f"{a.engine}: {kept} sounds, {silent} silent draws skipped, in {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
