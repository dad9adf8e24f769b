"""The DX7 factory ROM voices (as shipped by Debian's hexter) rendered by Dexed (PyPI dexed-py, msfa engine).

    python scripts/dexed_engine.py [--n 80] [--seed 201] [--out out/dexed]
The same pool, seed and so the same voices, notes and dev/test split as scripts/dssi_engines.py hexter:
one DX7 voice never sits in dev for one emulator and in test for the other.
"""
import argparse
import sys
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import common  # noqa: E402
import dssi_engines  # noqa: E402
from dexed import DexedSynth, Patch  # noqa: E402


def render(c):
    synth = DexedSynth(sample_rate=44100)  # one per render: no state carried between voices
    synth.load_patch(Patch.from_packed(bytes.fromhex(c["preset"]["voice_hex"])))
    audio = synth.render(midi_note=c["note"], velocity=common.VELOCITY, note_duration=common.HOLD,
                         render_duration=common.RENDER_TOTAL)
    return [("", audio, 44100, {"effects": "none (Dexed has no effects)"})]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=80)
    ap.add_argument("--seed", type=int, default=dssi_engines.ENGINES["hexter"]["seed"])
    ap.add_argument("--out", type=Path, default=common.OUT / "dexed")
    a = ap.parse_args()
    pool = dssi_engines.hexter_pool()
    for p in pool:
        p.update(package=f"dexed-py {version('dexed-py')} (PyPI, GPL-3.0-or-later; msfa Apache-2.0)",
                 license="voices: Yamaha DX7 (ROM1A-4B) and TX7 factory ROM cartridges, files from Debian's "
                         "hexter 1.1.1-1 (listed under its GPL-2+), voice data originally Yamaha's, no licence from Yamaha")
    cands = common.draw(pool, lambda p: common.note_range_from_name(p["name"]), a.seed)
    common.run("dexed", cands, render, a.n, a.seed, a.out,
               {"renderer": f"dexed-py {version('dexed-py')} DexedSynth(44100).render", "pool_size": len(pool)})


if __name__ == "__main__":
    main()
