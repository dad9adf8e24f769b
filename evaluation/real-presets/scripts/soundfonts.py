"""SoundFont synth programs (General MIDI) rendered by the fluidsynth CLI, reverb+chorus on and off.

    python scripts/soundfonts.py [--n 60] [--seed 101] [--out out/soundfont]
Each drawn (soundfont, program, note) gives two clips, NAME-fx (the soundfont engine's default reverb and
chorus on: fluidsynth's defaults, GM send levels) and NAME-dry (both off); both land in the same split.
"""
import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import common  # noqa: E402
import midi  # noqa: E402

SOUNDFONTS = {  # file -> (Debian package, licence of the samples/presets)
    "/usr/share/sounds/sf2/FluidR3_GM.sf2": ("fluid-soundfont-gm 3.1-5.3", "MIT (Frank Wen, FluidR3)"),
    "/usr/share/sounds/sf2/TimGM6mb.sf2": ("timgm6mb-soundfont 1.3-5", "GPL-2 (Tim Brechbill)"),
    "/usr/share/sounds/sf3/MuseScore_General_Lite.sf3": ("musescore-general-soundfont-small 0.2.1-1",
                                                          "MIT (MuseScore_General, S. Christian Collins; from FluidR3)"),
}
# GM programs, 0-based: 5 Electric Piano 2 (DX7-style FM), 8-15 chromatic percussion, 38-39 Synth Bass,
# 62-63 Synth Brass, 80-87 Synth Lead, 88-95 Synth Pad, 96-103 Synth FX
PROGRAMS = [5, *range(8, 16), 38, 39, 62, 63, *range(80, 104)]


def register(program: int) -> tuple[int, int]:
    if program in (38, 39):
        return (28, 55)
    if program == 87:  # Bass & Lead
        return (36, 67)
    if program == 14:  # Tubular Bells
        return (55, 77)
    if 8 <= program <= 15:
        return (55, 88)
    if program in (62, 63):
        return (45, 76)
    if 80 <= program <= 87:
        return (52, 84)
    if 88 <= program <= 95:
        return (43, 79)
    return (40, 84)


def preset_names(sf: str) -> dict[int, str]:
    out = subprocess.run(["fluidsynth", "-n", "-a", "file", "-o", "audio.file.name=/dev/null", sf],
                         input="inst 1\nquit\n", capture_output=True, text=True).stdout
    names = {}
    for line in out.splitlines():
        if line[:4] == "000-" and line[7:8] == " ":
            names[int(line[4:7])] = line[8:].strip()
    return names


def render(c, tmp: Path):
    p = c["preset"]
    mid = tmp / f"{c['draw_index']}.mid"
    mid.write_bytes(midi.one_note(p["program"], c["note"], common.VELOCITY, common.HOLD, common.RENDER_TOTAL))
    variants = []
    for variant, fx in (("fx", "1"), ("dry", "0")):
        raw = tmp / f"{c['draw_index']}-{variant}.f32"
        subprocess.run(["fluidsynth", "-ni", "-q", "-R", fx, "-C", fx, "-g", "1.0", "-r", "44100", "-O", "float",
                        "-T", "raw", "-F", str(raw), p["soundfont_file"], str(mid)], check=True,
                       capture_output=True)
        # fluidsynth's MIDI player starts the note one 64-frame block late: cut that block
        audio = np.fromfile(raw, np.float32).reshape(-1, 2)[64: int(common.RENDER_TOTAL * 44100) + 64]
        variants.append((variant, audio, 44100, {"effects": {"reverb": fx == "1", "chorus": fx == "1"},
                                                 "latency_trimmed_samples": 64}))
    return variants


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=60)
    ap.add_argument("--seed", type=int, default=101)
    ap.add_argument("--out", type=Path, default=common.OUT / "soundfont")
    a = ap.parse_args()
    pool = []
    for sf, (package, licence) in SOUNDFONTS.items():
        names = preset_names(sf)
        for prog in PROGRAMS:
            pool.append({"name": f"{Path(sf).stem} {names.get(prog, '?')}", "soundfont": Path(sf).name,
                         "soundfont_file": sf, "bank": 0, "program": prog, "gm_number": prog + 1,
                         "preset_name": names.get(prog), "package": package, "license": licence})
    cands = common.draw(pool, lambda p: register(p["program"]), a.seed)
    version = subprocess.run(["fluidsynth", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    with tempfile.TemporaryDirectory() as tmp:
        common.run("soundfont", cands, lambda c: render(c, Path(tmp)), a.n, a.seed, a.out,
                   {"renderer": f"fluidsynth CLI ({version}), 44.1 kHz, gain 1.0, default interpolation",
                    "stereo": "rendered stereo, folded to mono by the mean"})


if __name__ == "__main__":
    main()
