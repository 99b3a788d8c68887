"""How far apart the two seqeval conventions put the same predictions (docs/scoring.md's table).

Run: python benchmarks/measure_conventions.py [--languages en,de] [--size full]

UD-POS: the synthetic full-size test set of every language, predictions with a share of tags
wrong (a wrong tag drawn from the gold tag frequencies, as real confusions mostly are between
frequent tags); F1 under `xtreme` (seqeval 0.0.12) and `seqeval1` (seqeval 1.x) per language.
PAN-X: predictions inside the label set (identical, as the platform only accepts those) and with
some tags outside it (`PER`, `B-PER-X`, `I-`), which only the command line scores.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evaluator.data import open_source
from evaluator.registry import get_task
from evaluator.scoring import entity_counts, read_tag_file

ERROR_RATES = (0.05, 0.10, 0.20, 0.30)
OUTSIDE = ("PER", "LOC", "B-PER-X", "I-", "B")


def predictions(gold, rate: float, rng: random.Random, weights: Counter, outside=()):
    """`rate` of the tags replaced: by a tag drawn with `weights` (or from `outside`)."""
    tags, counts = zip(*weights.items(), strict=True)
    out = []
    for sentence in gold:
        row = []
        for tag in sentence:
            if rng.random() >= rate:
                row.append(tag)
            elif outside and rng.random() < 0.5:
                row.append(rng.choice(outside))
            else:
                wrong = rng.choices(tags, weights=counts)[0]
                row.append(wrong if wrong != tag else rng.choice(tags))
        out.append(row)
    return out


def f1_both(gold, pred) -> tuple[float, float]:
    return tuple(entity_counts(gold, pred, c).f1 * 100 for c in ("xtreme", "seqeval1"))


def _difference(old: float, new: float) -> tuple[float, float, float]:
    return new - old, old, new


def _row(label: str, diffs: dict) -> None:
    worst = max(diffs, key=lambda lang: abs(diffs[lang][0]))
    values = [d for d, _, _ in diffs.values()]
    print(f"{label:>10}  {sum(values) / len(values):+7.3f}  "
          f"{sum(map(abs, values)) / len(values):8.3f}  {abs(diffs[worst][0]):7.3f}  "
          f"{worst:>8}  {diffs[worst][1]:6.2f}  {diffs[worst][2]:8.2f}")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--languages", default="all")
    parser.add_argument("--size", default="full")
    args = parser.parse_args()
    source = open_source({"source": "synthetic", "seed": 0, "size": args.size})
    rng = random.Random(0)
    chosen = None if args.languages == "all" else set(args.languages.split(","))
    print("UD-POS: F1(seqeval1) - F1(xtreme), points, over languages")
    header = ("wrong tags", "mean", "mean |d|", "max |d|")
    print("{:>10}  {:>7}  {:>8}  {:>7}  language  xtreme  seqeval1".format(*header))
    golds = {
        lang: [ex["tags"] for ex in source.examples("udpos", lang, "test") if ex["tags"]]
        for lang in get_task("udpos").languages
        if chosen is None or lang in chosen
    }
    frequent = Counter(t for gold in golds.values() for s in gold for t in s)
    uniform = Counter(dict.fromkeys(get_task("udpos").labels, 1))
    for confusions, weights in (("frequent", frequent), ("any tag", uniform)):
        print(f"  wrong tags drawn by {'gold frequency' if confusions == 'frequent' else 'chance'}")
        for rate in ERROR_RATES:
            diffs = {}
            for lang, gold in golds.items():
                diffs[lang] = _difference(*f1_both(gold, predictions(gold, rate, rng, weights)))
            _row(f"{rate:.0%}", diffs)
    mock = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "xtreme_mock"
    diffs = {}
    for path in sorted((mock / "labels" / "udpos").glob("test-*.tsv")):
        gold = read_tag_file(path)
        pred = read_tag_file(mock / "predictions" / "udpos" / path.name)
        diffs[path.stem[5:]] = _difference(*f1_both(gold, pred))
    print("  XTREME's own mock data (evaluate_test.py), 33 languages")
    _row("mock", diffs)
    print("\nPAN-X: F1(seqeval1) - F1(xtreme), points, over languages")
    panx = {
        lang: [ex["tags"] for ex in source.examples("panx", lang, "test") if ex["tags"]]
        for lang in get_task("panx").languages
        if chosen is None or lang in chosen
    }
    weights = Counter(t for gold in panx.values() for s in gold for t in s)
    for label, outside in (("inside the label set", ()), ("half the wrong tags outside", OUTSIDE)):
        values = []
        for gold in panx.values():
            old, new = f1_both(gold, predictions(gold, 0.2, rng, weights, outside))
            values.append(new - old)
        print(f"  20% wrong tags, {label}: mean {sum(values) / len(values):+.3f}, "
              f"max |d| {max(map(abs, values)):.3f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
