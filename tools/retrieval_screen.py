"""A screen of `match --retrieve` on a folder of sounds (or a generated split), one pass a clip:
the default match's candidates (the network's, ranked by MSS, and the plain patches), K bank
patches retrieved at the network's best note (float pooled log-mel, as retrieve.features, not
yet quantised), and Vital's init at the played note, each with its MSS and log-mel, appended to
a jsonl (a rerun resumes; STRIDE scores every STRIDE-th clip). tools/retrieval_score.py scores
the default rule with and without the bank patches from it.

Usage: python tools/retrieval_screen.py SOUNDS BANK_DATASET OUT.jsonl K WIDTH [LIMIT [STRIDE]]
(the model card's figures: data/real-presets/all/dev data/bank-prod runs/retrieval/dev-k4w2.jsonl 4 2,
then again with 100000 3)."""
import json
import sys
from pathlib import Path

import numpy as np
import torch

from whispersynth import match as M
from whispersynth.data import load_clips
from whispersynth.evaluate import load_sounds, sound_info
from whispersynth.model import Guess
from whispersynth.retrieve import features
from whispersynth.synth import VITAL_INIT
from whispersynth.settings import format as format_patch

sounds, bank_dir, out = sys.argv[1], sys.argv[2], Path(sys.argv[3])
K, W = int(sys.argv[4]), int(sys.argv[5])
limit = int(sys.argv[6]) if len(sys.argv) > 6 else 100000


def feats(clips) -> torch.Tensor:
    return torch.from_numpy(features(clips))  # the product's pooling, not quantised


def main():
    cache = Path(bank_dir) / "feats.npz"
    if cache.exists():
        z = np.load(cache, allow_pickle=True)
        bank, notes = torch.from_numpy(z["f"]).float(), z["n"]
        from whispersynth.data import read_part
        patches = []
        for p in sorted(Path(bank_dir).glob("part-*.parquet")):
            patches += read_part(p)[1]
    else:
        clips, patches = load_clips(Path(bank_dir), 10**9)
        bank = torch.cat([feats(clips[i:i + 500]) for i in range(0, len(clips), 500)])
        notes = np.array([p.note for p in patches])
        np.savez(cache, f=bank.half().numpy(), n=notes)
        del clips
    print("bank", bank.shape, flush=True)

    if (Path(sounds) / "dataset.json").exists():
        from whispersynth.evaluate import load_test_set
        clips, truth = load_test_set(sounds, limit)
        names = [str(i) for i in range(len(clips))]
        info = [{"note": p.note, "groups": []} for p in truth]
    else:
        clips, names = load_sounds(sounds, limit)
        info = sound_info(sounds, names)
        if not all("note" in i for i in info):
            from whispersynth.match import estimate_note
            info = [{"note": i.get("note", estimate_note(c) or 60), "groups": i.get("groups", [])} for i, c in zip(info, clips)]
    model, vocab = M.load_model(None)
    opts = M.MatchOptions()
    done = set()
    if out.exists():
        done = {json.loads(l)["name"] for l in out.read_text().splitlines() if l.strip()}
    with M.search_pool(opts) as pool, out.open("a") as log:
        stride = int(sys.argv[7]) if len(sys.argv) > 7 else 1
        for j, (clip, name, inf) in enumerate(zip(clips, names, info)):
            if name in done or j % stride:
                continue
            ranked = M.rank(clip, M.guesses(clip, model, vocab, opts), pool)
            seen = {c.patch for c in ranked}
            plain = M.rank(clip, [Guess(p, float("nan")) for p in dict.fromkeys(M.plain_patches(clip, ranked[0].patch, M.estimate_note(clip)))
                                  if p not in seen], pool)
            note = ranked[0].patch.note
            q = feats(clip[None])[0]
            sel = np.flatnonzero(np.abs(notes - note) <= W)
            d = (bank[sel] - q).abs().mean(1)
            top = sel[torch.argsort(d)[: 3 * K].numpy()]
            ret = []
            for i in top:
                p = patches[int(i)].replace(note=note)
                if p not in seen and p not in ret:
                    ret.append(p)
                if len(ret) == K:
                    break
            rr = M.rank(clip, [Guess(p, float("nan")) for p in ret], pool)
            init = M.rank(clip, [Guess(VITAL_INIT.replace(note=int(inf["note"])), float("nan"))])[0]
            row = {"name": name, "groups": inf.get("groups", []), "note": inf.get("note"),
                   "init": [init.distance, init.logmel],
                   "net": [[c.distance, c.logmel] for c in ranked],
                   "plain": [[c.distance, c.logmel] for c in plain],
                   "ret": [[c.distance, c.logmel] for c in rr],
                   "ret_text": [format_patch(c.patch) for c in rr[:1]]}
            log.write(json.dumps(row) + "\n")
            log.flush()
            print(name, f"net {ranked[0].distance:.3f}/{ranked[0].logmel:.3f} ret {rr[0].distance:.3f}/{rr[0].logmel:.3f}",
                  flush=True)


if __name__ == '__main__':
    main()
