"""Fits the ranking's evidence weights (WEIGHTS in src/ranking/score.rs) to the studied task sets.

Input: the JSON lines the ranking's eval test writes (each task's evidence for every candidate,
so a variant's top 3 may come from anywhere in the catalog):

    cd tests/fixtures && SETS=$(ls $PWD/recommend-*.json | paste -sd,) DUMP=/tmp/ev.jsonl \
        cargo test --release --lib eval -- --ignored
    python3 bench/fit_weights.py /tmp/ev.jsonl

Coordinate ascent on how many tasks have a fitting model in the top 3 (a quarter point for the
top 1), with the top 3 picked as the server picks it (src/ranking/mod.rs `spread`: each pick
costs the next ones of its category SAME_CATEGORY points and of its family SAME_FAMILY).
Meaning's weight is the scale (100); `--hold` leaves sets out and reports them, and
`--folds` estimates how the fit does on a set it has not seen (each blind set left out in turn).
A fit is adopted only when a fresh blind set, run once, agrees; docs/ranking.md records one that
did not.
"""

import argparse
import json
import os

import numpy as np

SAME_CATEGORY, SAME_FAMILY = 20.0, 10.0
TOP1 = float(os.environ.get("TOP1", "0.25"))
FIXED = {"meaning"}
BLIND = ["dev", "round1", "round2", "round3", "round4", "round5", "round6"]
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")


def categories():
    found = {}
    for m in json.load(open(os.path.join(FIXTURES, "catalog-real.json")))["models"]:
        found[m["endpoint_id"]] = m.get("category", "")
    for m in json.load(open(os.path.join(FIXTURES, "catalog.json"))):
        found.setdefault(m["endpoint_id"], m.get("category", ""))
    return found


def codes(values):
    seen = {}
    return np.array([seen.setdefault(v, len(seen)) for v in values])


def load(path):
    category = categories()
    tasks = []
    for line in open(path):
        t = json.loads(line)
        ids = [c[0] for c in t["candidates"]]
        tasks.append({
            "set": t["set"].rsplit("/", 1)[-1].removeprefix("recommend-").removesuffix(".json"),
            "evidence": np.array([c[1] for c in t["candidates"]], dtype=np.float64),
            "deprecated": np.array([c[2] for c in t["candidates"]], dtype=bool),
            "fits": np.array([i in t["fits"] for i in ids], dtype=bool),
            "category": codes([category.get(i, "") for i in ids]),
            "family": codes(["/".join(i.split("/")[:2]) for i in ids]),
        })
    return tasks, t["evidence"], t["weights"]


def hits(tasks, weights):
    """Per task: (a fitting model in the top 3, in the top 1)."""
    out = []
    for t in tasks:
        points = t["evidence"] @ weights - 1000.0 * t["deprecated"]
        best = np.argsort(-points, kind="stable")[:30]
        left, category, family = points[best].copy(), t["category"][best], t["family"][best]
        picked = []
        for _ in range(3):
            i = int(np.argmax(left))
            picked.append(best[i])
            left -= SAME_CATEGORY * (category == category[i]) + SAME_FAMILY * (family == family[i])
            left[i] = -np.inf
        out.append((t["fits"][picked].any(), t["fits"][picked[0]]))
    return np.array(out, dtype=np.float64)


def objective(tasks, weights):
    h = hits(tasks, weights)
    return h[:, 0].sum() + TOP1 * h[:, 1].sum()


def fit(tasks, start, names, rounds=4):
    weights = np.array(start, dtype=np.float64)
    best = objective(tasks, weights)
    grid = [-40, -20, -10, -5, 0, 5, 10, 20, 30, 40, 60]
    for _ in range(rounds):
        improved = False
        for i, name in enumerate(names):
            if name in FIXED:
                continue
            for value in grid + [weights[i] * 0.5, weights[i] * 1.5]:
                trial = weights.copy()
                trial[i] = value
                score = objective(tasks, trial)
                if score > best + 1e-9:
                    best, weights, improved = score, trial, True
        if not improved:
            break
    return weights


def report(tasks, weights, label):
    by_set = {}
    for t, (top3, top1) in zip(tasks, hits(tasks, weights)):
        by_set.setdefault(t["set"], []).append((top3, top1))
    print(label)
    for name, rows in by_set.items():
        rows = np.array(rows)
        print(f"  {name:10} top-3 {100 * rows[:, 0].mean():5.1f}%  top-1 {100 * rows[:, 1].mean():5.1f}%  ({len(rows)})")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dump")
    parser.add_argument("--hold", action="append", default=[])
    parser.add_argument("--folds", action="store_true")
    args = parser.parse_args()
    tasks, names, start = load(args.dump)
    report(tasks, np.array(start), "the weights in score.rs")
    if args.folds:
        before = after = 0.0
        for held in BLIND:
            fitted = fit([t for t in tasks if t["set"] != held], start, names)
            test = [t for t in tasks if t["set"] == held]
            b, a = hits(test, np.array(start))[:, 0].sum(), hits(test, fitted)[:, 0].sum()
            print(f"  {held}: {b:.0f} → {a:.0f} of {len(test)} top-3 when fitted without it")
            before, after = before + b, after + a
        print(f"left out in turn: {before:.0f} → {after:.0f} top-3")
    weights = fit([t for t in tasks if t["set"] not in args.hold], start, names)
    report(tasks, weights, "fitted" + (" without " + ", ".join(args.hold) if args.hold else ""))
    print("WEIGHTS:", ", ".join(f"{w:g}" for w in weights))


if __name__ == "__main__":
    main()
