"""Scores tools/retrieval_screen.py's jsonl: the default rule (network candidates by MSS, a plain
patch first when closer by MSS and log-mel) without and with the bank patches, per group: mean
log-mel L1 / median MSS / clips further than Vital's init at the played note (by log-mel), and
which kind of candidate won. Usage: python tools/retrieval_score.py OUT.jsonl [K]"""
import json
import sys
from collections import defaultdict

import numpy as np

rows = list({(r := json.loads(l))["name"]: r for l in open(sys.argv[1]) if l.strip()}.values())  # a name once
K = int(sys.argv[2]) if len(sys.argv) > 2 else 99


def choose(r, use_ret, k=K):
    pool = [tuple(c) for c in r["net"]] + ([tuple(c[:2]) for c in r["ret"][:k]] if use_ret else [])
    best = min(pool, key=lambda c: c[0])
    for c in sorted(map(tuple, r["plain"]), key=lambda c: c[0]):
        if c[0] < best[0] and c[1] < best[1]:
            return c, "plain"
    return best, ("ret" if best not in [tuple(c) for c in r["net"]] else "net")


def figures(sel, use_ret):
    ch = [choose(r, use_ret) for r in sel]
    lm = np.array([c[0][1] for c in ch])
    ms = np.array([c[0][0] for c in ch])
    fu = sum(c[0][1] > r["init"][1] for c, r in zip(ch, sel))
    src = {s: sum(c[1] == s for c in ch) for s in ("net", "ret", "plain")}
    return f"{lm.mean():.4f} / {np.median(ms):.3f} / {fu}", src


groups = defaultdict(list)
for r in rows:
    groups["all"].append(r)
    for g in r["groups"]:
        groups[g].append(r)
print(f"{len(rows)} clips, K={K}")
for g in sorted(groups, key=lambda g: (g != "all", g)):
    a, _ = figures(groups[g], False)
    b, src = figures(groups[g], True)
    print(f"{g:28s} {len(groups[g]):4d}  default {a}   +retrieval {b}  {src if g == 'all' else ''}")
