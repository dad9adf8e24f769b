"""Gather the engines' clips: OUT/all/{dev,test} (hard links, one flat folder a half, as
`whispersynth evaluate --sounds` reads it) with a sounds.json each (every clip's played note and
groups: engine, kind of sound, and the soundfont clips' effects on/off), and OUT/manifest.csv.

    python scripts/collect.py OUT
"""
import csv
import json
import os
import re
import sys
from pathlib import Path

# Kinds of sound, from the General MIDI family of a soundfont program or from words in a preset's
# name (and bank); first match wins. Crude by design: a kind is a group to read figures by.
KINDS = (("bass", r"bass|sub|808"), ("bell", r"bell|glock|celest|chime|music ?box|marimba|vib|xylo|kalimba|tubular"),
         ("keys", r"piano|e\.? ?p|rhodes|clav|organ|harpsi|keys"), ("pad", r"pad|string|choir|vox|voice|sweep|warm"),
         ("brass", r"brass|horn|trump"), ("lead", r"lead|solo|saw|square|sync|flute|whistle"),
         ("pluck", r"pluck|pizz|harp|guitar|koto|sitar"), ("fx", r"fx|noise|zap|laser|atmos|drop|rain|sweep"))
GM_FAMILY = {range(0, 8): "keys", range(8, 16): "bell", range(32, 40): "bass", range(56, 64): "brass",
             range(80, 88): "lead", range(88, 96): "pad", range(96, 104): "fx"}


def kind_of(meta: dict) -> str:
    program = meta["preset"].get("gm_number")
    if program is not None:
        return next(k for r, k in GM_FAMILY.items() if program - 1 in r)
    text = f"{meta['preset']['name']} {meta['preset'].get('bank_name', '')}".lower()
    return next((k for k, pattern in KINDS if re.search(pattern, text)), "other")


def groups_of(meta: dict) -> list[str]:
    out = [f"engine:{meta['engine']}", f"kind:{kind_of(meta)}"]
    if meta["engine"] == "soundfont":
        out.append("soundfont effects:" + ("on" if meta["variant"] == "fx" else "off"))
    return out


def main() -> None:
    out = Path(sys.argv[1])
    metas = [json.loads(j.read_text()) for j in sorted(out.glob("*/*/*.json")) if j.parts[-3] != "all"]
    sounds: dict[str, dict] = {"dev": {}, "test": {}}
    for m in metas:
        src = out / m["engine"] / m["split"] / m["file"]
        for suffix in (".flac", ".json"):
            dst = out / "all" / m["split"] / src.with_suffix(suffix).name
            dst.parent.mkdir(parents=True, exist_ok=True)
            if not dst.exists():
                os.link(src.with_suffix(suffix), dst)
        sounds[m["split"]][m["file"]] = {"note": m["note"], "groups": groups_of(m), "preset": m["preset"]["name"],
                                         "license": m["preset"]["license"]}
    for split, entries in sounds.items():
        (out / "all" / split / "sounds.json").write_text(json.dumps(entries, indent=1) + "\n")
    with open(out / "manifest.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["file", "split", "engine", "preset", "note", "groups", "package", "license"])
        for m in metas:
            w.writerow([m["file"], m["split"], m["engine"], m["preset"]["name"], m["note"],
                        " ".join(groups_of(m)), m["preset"]["package"], m["preset"]["license"]])
    counts = {s: len(e) for s, e in sounds.items()}
    print(f"{len(metas)} clips {counts} in {out / 'all'}", file=sys.stderr)


if __name__ == "__main__":
    main()
