"""Scoring benchmark: a full-size synthetic XTREME-4 test set, our scorer vs seqeval directly.

Run: python benchmarks/bench_scoring.py  (make bench-scoring); --short: 300 examples per file
(CI), --json PATH. Each scorer runs in its own subprocess so its peak resident memory (ru_maxrss)
is its own; both read the same files and must produce identical numbers, or the benchmark fails.
Goals: at least 5x faster than seqeval (measured in the same run), under 1 GiB each.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# PAN-X 40 x 10,000 sentences (issue 3), UD-POS real sizes, XNLI 15 x 5,010, PAWS-X 7 x 2,000.
SIZES = {"panx": 10_000, "udpos": "full", "xnli": "full", "pawsx": "full"}
SHORT_SIZES = dict.fromkeys(SIZES, 300)
TAGGING = ("panx", "udpos")

from goals import Report, add_arguments  # noqa: E402


def build(root: Path, sizes: dict) -> tuple[int, int]:
    """Write gold and noisy predictions; returns (sentences/examples, tokens)."""
    from evaluator.contract import format_predictions, write_split
    from evaluator.data import open_source
    from evaluator.registry import TASKS

    source = open_source({"source": "synthetic", "seed": 0, "size": sizes})
    manifest = write_split(source, list(TASKS), "test", root / "input", root / "gold")
    rng = random.Random(0)
    examples = tokens = 0
    for task_id, entry in manifest["tasks"].items():
        labels = TASKS[task_id].labels
        (root / "pred" / task_id).mkdir(parents=True, exist_ok=True)
        for lang in entry["languages"]:
            gold = source.examples(task_id, lang, "test")
            examples += len(gold)
            if task_id in TAGGING:
                # 15% of tags replaced at random: plenty of partial and wrong entities.
                preds = [
                    [t if rng.random() > 0.15 else rng.choice(labels) for t in ex["tags"]]
                    for ex in gold
                ]
                tokens += sum(len(ex["tags"]) for ex in gold)
            else:
                preds = [ex["label"] if rng.random() > 0.3 else rng.choice(labels) for ex in gold]
            text = format_predictions(task_id, preds)
            (root / "pred" / task_id / f"test-{lang}.tsv").write_text(text, encoding="utf-8")
    return examples, tokens


def run_ours(gold: str, pred: str, convention: str) -> dict:
    from evaluator.scoring import score_directory

    scores = score_directory(gold, pred, convention=convention)
    return {f"{t}/{lang}": m for (t, lang), m in scores.per_language.items()}


def run_seqeval(gold: str, pred: str) -> dict:
    """What evaluate.py does: read both files, then seqeval's f1, precision and recall."""
    from seqeval.metrics import f1_score, precision_score, recall_score

    from evaluator.registry import TASKS
    from evaluator.scoring import read_xtreme_file

    warnings.simplefilter("ignore")  # seqeval warns on every un-prefixed POS tag
    results = {}
    for task_id, spec in TASKS.items():
        for lang in spec.languages:
            g = read_xtreme_file(task_id, os.path.join(gold, task_id, f"test-{lang}.tsv"))
            p = read_xtreme_file(task_id, os.path.join(pred, task_id, f"test-{lang}.tsv"))
            if task_id in TAGGING:
                results[f"{task_id}/{lang}"] = {
                    "f1": f1_score(g, p) * 100,
                    "precision": precision_score(g, p) * 100,
                    "recall": recall_score(g, p) * 100,
                }
            else:
                results[f"{task_id}/{lang}"] = {
                    "accuracy": sum(a == b for a, b in zip(p, g, strict=True)) / len(p) * 100
                }
    return results


def phase(name: str, gold: str, pred: str) -> None:
    started = time.perf_counter()
    if name == "seqeval":
        results = run_seqeval(gold, pred)
    else:
        results = run_ours(gold, pred, "seqeval1" if name == "ours-seqeval1" else "xtreme")
    wall = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"wall_s": wall, "peak_mib": peak_kib / 1024, "results": results}))


def measure(name: str, root: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--phase", name, str(root / "gold"), str(root / "pred")],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(out.stdout)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser, short_help="300 examples per task-language file (CI)")
    args = parser.parse_args(argv)
    report = Report.start("scoring", args)
    with tempfile.TemporaryDirectory(prefix="bench-scoring-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        examples, tokens = build(root, SHORT_SIZES if args.short else SIZES)
        built_s = time.perf_counter() - started
        print(f"built {examples:,} test examples ({tokens:,} tagged tokens) in {built_s:.1f} s")
        ours = measure("ours-seqeval1", root)
        ours_xtreme = measure("ours-xtreme", root)
        reference = measure("seqeval", root)

    mismatches = []
    for key, metrics in reference["results"].items():
        for metric, value in metrics.items():
            if ours["results"][key][metric] != value:
                mismatches.append(
                    f"{key} {metric}: ours {ours['results'][key][metric]!r} vs seqeval {value!r}"
                )
            if key.startswith("panx/") and ours_xtreme["results"][key][metric] != value:
                mismatches.append(f"{key} {metric} (xtreme convention) differs from seqeval")
    speedup = reference["wall_s"] / ours["wall_s"]
    for label, run in (
        ("seqeval 1.2.2 (evaluate.py path)", reference),
        ("ours, seqeval1 convention", ours),
        ("ours, xtreme convention", ours_xtreme),
    ):
        print(f"{label:<34} {run['wall_s']:7.2f} s  peak {run['peak_mib']:5.0f} MiB")
    print(f"speed-up (seqeval1 convention, same numbers): {speedup:.1f}x")
    print(f"identical numbers: {not mismatches} ({len(reference['results'])} task-language files)")
    for line in mismatches[:10]:
        print("  MISMATCH", line)
    report.check("identical numbers to seqeval", not mismatches,
                 f"{len(mismatches)} mismatches in {len(reference['results'])} files")  # fmt: skip
    report.goal("speed-up vs seqeval, seqeval1 convention", speedup, "x", above=5)
    for label, run in (("seqeval1", ours), ("xtreme", ours_xtreme)):
        report.goal(f"peak memory, {label} convention", run["peak_mib"], "MiB", below=1024)
    report.figures.update(examples=examples, tagged_tokens=tokens, build_s=round(built_s, 1),
                          seqeval=_timing(reference), ours_seqeval1=_timing(ours),
                          ours_xtreme=_timing(ours_xtreme))  # fmt: skip
    return report.finish()


def _timing(run: dict) -> dict:
    return {"wall_s": round(run["wall_s"], 3), "peak_mib": round(run["peak_mib"], 1)}


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--phase":
        phase(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(main())
