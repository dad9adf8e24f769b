"""Factory presets of DSSI synth plugins from Debian, rendered offline by dssi/dssi_render (a small C host).

    python scripts/dssi_engines.py ENGINE [--n 80] [--seed S] [--out out/ENGINE]
ENGINE: hexter (DX7 ROM cartridges), amsynth (its factory banks), whysynth, xsynth, zynaddsubfx.
"""
import argparse
import functools
import hashlib
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import common  # noqa: E402

HOST = common.OUT / "dssi_render"  # built by render_all.sh
RATE = 44100
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


@functools.lru_cache(None)
def pkg_version(pkg: str) -> str:
    v = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", pkg], capture_output=True, text=True).stdout
    return f"{pkg} {v}"


def programs(plugin: str) -> list[tuple[int, int, str]]:
    out = subprocess.run([str(HOST), "list", plugin, "0", "-"], capture_output=True, text=True, timeout=300).stdout
    return [(int(b), int(p), n.strip()) for b, p, n in (l.split("\t", 2) for l in out.splitlines() if l.count("\t") >= 2)]


def host_render(plugin, config_lines, bank, program, note, warm=0.05, sleep_us=0, tmp=None):
    with tempfile.TemporaryDirectory(dir=tmp) as d:
        cfg, raw = Path(d) / "config.txt", Path(d) / "out.f32"
        cfg.write_text("".join(f"{k}\t{v}\n" for k, v in config_lines))
        env = dict(os.environ, DSSI_WARM_SLEEP_US=str(sleep_us))
        r = subprocess.run([str(HOST), "render", plugin, "0", str(cfg), str(RATE), str(bank), str(program),
                            str(note), str(common.VELOCITY), str(common.HOLD), str(common.RENDER_TOTAL),
                            str(warm), str(raw)], capture_output=True, text=True, env=env, timeout=120)
        if r.returncode or re.search(r"^(configure |no port )", r.stderr, re.M):
            raise RuntimeError(f"dssi_render rc {r.returncode}: {r.stderr[-300:]}")
        ch = int(re.search(r"channels=(\d+)", r.stderr).group(1))
        return np.fromfile(raw, np.float32).reshape(-1, ch), r.stderr


# ---------------------------------------------------------------- hexter (Yamaha DX7)

def encode_7in6(data: bytes) -> str:
    """hexter's gui_data.c encode_7in6: the value of its "patchesN" configure keys."""
    out, reg, above, below, i, total = [], 0, 0, 0, 0, 0
    n_out = (len(data) * 7 + 5) // 6
    while n_out:
        if above == 6:
            out.append(B64[reg >> 7]); reg &= 0x7F; above = 0; n_out -= 1
        if below == 0:
            if i < len(data):
                reg |= data[i] & 0x7F; total += data[i]
            below = 7; i += 1
        shift = min(6 - above, below)
        reg <<= shift; above += shift; below -= shift
    return f"{len(data)} {''.join(out)} {total}"


def dx7_name(v: bytes) -> str:
    return "".join(chr(c) if 32 <= c < 127 and c not in (92, 126) else " " for c in v[118:128]).strip()


def hexter_pool():
    pool, seen = [], set()
    for f, cart in (("/usr/share/hexter/dx7_roms.dx7", "DX7 ROM1A-4B"), ("/usr/share/hexter/tx7_roms.dx7", "TX7 ROM")):
        data = Path(f).read_bytes()
        for k in range(len(data) // 128):
            v = data[128 * k: 128 * (k + 1)]
            h = hashlib.sha1(v).hexdigest()
            if h in seen:
                continue
            seen.add(h)
            pool.append({"name": dx7_name(v), "bank_file": f, "cartridge": cart, "index_in_file": k,
                         "voice_sha1": h[:12], "voice_hex": v.hex()})
    return pool


def hexter_render(c, tmp):
    v = bytes.fromhex(c["preset"]["voice_hex"])
    bank = (v * 32)[: 32 * 128]  # the voice in section 0 (program 0 plays it)
    audio, _ = host_render("/usr/lib/dssi/hexter.so", [("patches0", encode_7in6(bank))], 0, 0, c["note"], tmp=tmp)
    return [("", audio, RATE, {"effects": "none (hexter has no effects)"})]


# ---------------------------------------------------------------- amsynth

def amsynth_pool():
    pool, seen = [], set()
    for f in sorted(Path("/usr/share/amsynth/banks").iterdir()):
        presets, cur = [], None
        for line in f.read_text(errors="replace").splitlines():
            if line.startswith("<preset> <name> "):
                cur = {"name": line[len("<preset> <name> "):].strip(), "params": {}}
                presets.append(cur)
            elif line.startswith("<parameter> ") and cur is not None:
                _, k, v = line.split()[:3]
                cur["params"][k] = float(v)
        for k, p in enumerate(presets):
            key = tuple(sorted(p["params"].items()))
            if not p["name"] or not p["params"] or key in seen:
                continue  # empty slots and exact duplicates (e.g. 59 copies of "YouPickWhich")
            seen.add(key)
            pool.append({"name": p["name"], "bank_file": f.name, "program": k, "params": p["params"]})
    return pool


def amsynth_render(c, tmp):
    p = c["preset"]["params"]
    # program 0/0 first: the plugin's own (empty) bank writes amsynth's true defaults into every port
    # (its DSSI select_program does not reach the factory banks), then the preset's values override them
    audio, _ = host_render("/usr/lib/dssi/amsynth_dssi.so", [(f"port:{k}", v) for k, v in p.items()], 0, 0,
                           c["note"], tmp=tmp)
    fx = {k: p.get(k, 0.0) for k in ("reverb_wet", "distortion_crunch")}
    return [("", audio, RATE, {"effects": f"as in the preset (amsynth reverb_wet {fx['reverb_wet']:.2f}, "
                                          f"distortion_crunch {fx['distortion_crunch']:.2f})"})]


# ---------------------------------------------------------------- whysynth, xsynth, zynaddsubfx: the plugin's own programs

def listed_pool(plugin, skip=lambda b, n: False, bank_name=lambda b: None):
    pool, seen, section_skipped = [], set(), False
    for b, p, n in programs(plugin):
        if n.strip().startswith("="):  # a list separator; WhySynth/Xsynth end with "Test"/"Development" patches
            section_skipped = bool(re.search(r"test|development", n, re.I))
            continue
        n = n.strip()
        if section_skipped or re.fullmatch(r"<.*>|- new voice -", n):
            continue
        if n in seen or skip(b, n) or not n or n == "<-->" or re.search(r"^=|init", n, re.I):
            continue  # placeholders, list separators ("===== Test patches:") and init voices
        seen.add(n)
        pool.append({"name": n, "bank": b, "program": p, **({"bank_name": bank_name(b)} if bank_name(b) else {})})
    return pool


ZYN_BANKS = sorted(os.listdir("/usr/share/zynaddsubfx/banks")) if Path("/usr/share/zynaddsubfx/banks").is_dir() else []

ENGINES = {
    "hexter": dict(plugin="/usr/lib/dssi/hexter.so", package="hexter", pool=hexter_pool, render=hexter_render,
                   license="hexter GPL-2+ (Sean Bolton); the voices are Yamaha's DX7 (ROM1A-4B) and TX7 factory "
                           "ROM cartridges as shipped by hexter; Debian lists them under hexter's GPL-2+ (Files: *), "
                           "but the voice data are Yamaha's (1983) with no licence from Yamaha",
                   seed=201),
    "amsynth": dict(plugin="/usr/lib/dssi/amsynth_dssi.so", package="amsynth", pool=amsynth_pool,
                    render=amsynth_render, license="GPL-2+ (amsynth, Nick Dowell et al.; factory banks in the "
                                                   "package, Debian copyright Files: *)", seed=301),
    "whysynth": dict(plugin="/usr/lib/dssi/whysynth.so", package="whysynth", seed=401,
                     license="GPL-2+ (WhySynth, Sean Bolton; built-in patches)"),
    "xsynth": dict(plugin="/usr/lib/dssi/xsynth-dssi.so", package="xsynth-dssi", seed=501,
                   license="GPL-2+ (Xsynth-DSSI, Steve Brookes / Sean Bolton; built-in patches)"),
    "zynaddsubfx": dict(plugin="/usr/lib/dssi/libzynaddsubfx_dssi.so", package="zynaddsubfx-dssi", seed=601,
                        data_package="zynaddsubfx-data", warm=3.0, sleep_us=2000, latency=256,
                        skip=lambda b, n: ZYN_BANKS[b] == "Drums",
                        bank_name=lambda b: ZYN_BANKS[b] if b < len(ZYN_BANKS) else None,
                        license="GPL-2+ (ZynAddSubFX instrument banks, zynaddsubfx-data, Debian copyright Files: *)"),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("engine", choices=ENGINES)
    ap.add_argument("--n", type=int, default=80)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path)
    a = ap.parse_args()
    e = ENGINES[a.engine]
    seed = a.seed if a.seed is not None else e["seed"]
    if "pool" in e:
        pool = e["pool"]()
        render = e["render"]
    else:
        pool = listed_pool(e["plugin"], e.get("skip", lambda b, n: False), e.get("bank_name", lambda b: None))

        def render(c, tmp):
            p = c["preset"]
            tries = [(e.get("warm", 0.05), e.get("sleep_us", 0))]
            if e.get("sleep_us"):  # ZynAddSubFX loads a program in its own thread: wait in real time, check, retry
                tries.append((8.0, 5000))
            for warm, sleep_us in tries:
                if sleep_us:  # the default sound after the same number of warm-up blocks (no program loaded)
                    default, _ = host_render(e["plugin"], [], "-", "-", c["note"], warm=warm, tmp=tmp)
                audio, err = host_render(e["plugin"], [], p["bank"], p["program"], c["note"], warm=warm,
                                         sleep_us=sleep_us, tmp=tmp)
                if not e.get("sleep_us") or audio.shape != default.shape or np.abs(audio - default).max() > 1e-6:
                    break
            else:
                raise RuntimeError("the program did not load: the render is the plugin's default sound")
            lat = e.get("latency", 0)  # ZynAddSubFX starts a note one 256-sample internal buffer late
            audio = audio[lat:]
            return [("", audio, RATE, {"effects": "as in the preset (the engine's own effects, if any)",
                                       "latency_trimmed_samples": lat,
                                       "host_log": err.strip().splitlines()[-3:],
                                       **({"warmup_s": warm, "warmup_sleep_us_per_64": sleep_us} if sleep_us else {})})]
    for p in pool:
        p.update(package=pkg_version(e["package"]), license=e["license"])
        if "data_package" in e:
            p["data_package"] = pkg_version(e["data_package"])
    cands = common.draw(pool, lambda p: common.note_range_from_name(p["name"] + " " + p.get("bank_name", "")), seed)
    print(f"{a.engine}: pool of {len(pool)} presets", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        common.run(a.engine, cands, lambda c: render(c, tmp), a.n, seed, a.out or common.OUT / a.engine,
                   {"renderer": f"dssi/dssi_render (offline DSSI host, {RATE} Hz, 64-frame blocks) + {e['plugin']}",
                    "pool_size": len(pool)}, workers=a.workers)


if __name__ == "__main__":
    main()
