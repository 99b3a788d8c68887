"""Command-line front ends: a local public sample, scoring a prediction folder, re-ranking, and
checking an image against the contract.

Used by `python manage.py score|rerank` and `python -m evaluator.cli sample|score|rerank|check`
(the starter kit runs these without the platform's repository); every error a user can cause is
raised as CliError with a message that says what to fix.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys

from evaluator.contract import write_sample
from evaluator.data import SPLITS, DataSourceError, open_source
from evaluator.efficiency_rule import METRIC_WORDS, EfficiencyRule
from evaluator.ranking import Entry, rerank
from evaluator.registry import TASKS, UnknownTaskError, get_task
from evaluator.scoring import CONVENTION_XTREME, CONVENTIONS, Scores, ScoringError, score_directory

# rule.metric -> (headline field, repeated-measurements field) in a rerank input file
EFFICIENCY_FIELDS = {
    "runtime": ("runtime_s", "runtime_runs"),
    "energy": ("energy_kwh", "energy_runs"),
}


class CliError(ValueError):
    """A problem with the command's input, explained for the person who ran it."""


# --------------------------------------------------------------------------- sample


def sample_data_config(data: str, data_path: str | None, seed: int, size: str) -> dict:
    """The `data:` mapping for the sample's source, as a competition's YAML would give it."""
    if data == "synthetic":
        return {"source": "synthetic", "seed": seed, "size": int(size) if size.isdigit() else size}
    if data == "local":
        if not data_path:
            raise CliError("--data local needs --data-path DIR (XTREME's download_data.sh layout)")
        return {"source": "local", "path": data_path}
    return {"source": "huggingface"}


def sample_selection(source, tasks: str, languages: str, split: str):
    """{task: [languages]} that the source has `split` data for, and the (task, lang) skipped.

    XTREME's real training data is English-only for xnli and pawsx: those languages are skipped
    (and reported) rather than failing the whole sample.
    """
    try:
        specs = [get_task(t.strip()) for t in tasks.split(",") if t.strip()]
    except UnknownTaskError as exc:
        raise CliError(str(exc)) from None
    wanted = None if languages == "all" else {x.strip() for x in languages.split(",") if x.strip()}
    known = {lang for spec in specs for lang in spec.languages}
    if wanted is not None and (not wanted or wanted - known):
        bad = ", ".join(sorted(wanted - known)) or "none given"
        raise CliError(f"--languages: {bad} not among {', '.join(sorted(known))} (or use 'all')")
    selection, skipped = {}, []
    for spec in specs:
        for lang in spec.languages:
            if wanted is not None and lang not in wanted:
                continue
            try:
                has_data = bool(source.examples(spec.id, lang, split))
            except DataSourceError:
                has_data = False
            if has_data:
                selection.setdefault(spec.id, []).append(lang)
            else:
                skipped.append((spec.id, lang))
    if not selection:
        raise CliError(f"the data source has no {split} data for the tasks and languages asked")
    return selection, skipped


def run_sample(out_dir, config: dict, tasks: str, languages: str, per_language: int, split: str):
    """Write out_dir/input (what a container sees at /input) and out_dir/gold (its answers)."""
    if per_language < 1:
        raise CliError("--per-language must be at least 1")
    if os.path.isdir(out_dir) and os.listdir(out_dir):
        raise CliError(f"{out_dir} is not empty; give a new folder so no stale file is scored")
    try:
        source = open_source(config)
        selection, skipped = sample_selection(source, tasks, languages, split)
        input_dir, gold_dir = os.path.join(out_dir, "input"), os.path.join(out_dir, "gold")
        manifest = write_sample(source, selection, input_dir, gold_dir, per_language, split)
    except DataSourceError as exc:
        raise CliError(str(exc)) from None
    return manifest, skipped


def format_sample(out_dir, manifest: dict, skipped, split: str) -> str:
    counts = sum(n for entry in manifest["tasks"].values() for n in entry["counts"].values())
    files = sum(len(entry["languages"]) for entry in manifest["tasks"].values())
    lines = [
        f"wrote {counts:,} {split} examples in {files} files:",
        f"  {os.path.join(out_dir, 'input')}  (mount it as /input, exactly as the platform does)",
        f"  {os.path.join(out_dir, 'gold')}   (the answers, for `score`)",
    ]
    if skipped:
        lines.append(
            f"  skipped (no {split} data in the source): "
            + ", ".join(f"{t}/{lang}" for t, lang in skipped)
        )
    if split == "train":
        lines.append(
            "  note: a model trained on these examples scores higher here than on the test"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------- score


def run_score(gold_dir: str, pred_dir: str, convention: str = CONVENTION_XTREME) -> Scores:
    for path, what in ((gold_dir, "GOLD_DIR"), (pred_dir, "PRED_DIR")):
        if not os.path.isdir(path):
            raise CliError(
                f"{what} {path} is not a folder; "
                "give folders in XTREME's <task>/test-<lang>.tsv layout"
            )
    try:
        return score_directory(gold_dir, pred_dir, convention=convention)
    except (ScoringError, UnknownTaskError) as exc:
        raise CliError(str(exc)) from None


def format_scores(scores: Scores) -> str:
    lines = []
    for task_id, averages in scores.task_metrics.items():
        metric = scores.primary_metric[task_id]
        lines.append(f"{task_id} ({metric}): {scores.per_task[task_id]:.2f}")
        langs = [(lang, m) for (t, lang), m in scores.per_language.items() if t == task_id]
        lines.append("  " + "  ".join(f"{lang} {m[metric]:.2f}" for lang, m in langs))
        extras = [f"{name} {value:.2f}" for name, value in averages.items() if name != metric]
        if extras:
            lines.append("  averages: " + ", ".join(extras))
    if scores.overall is not None:
        lines.append(f"overall: {scores.overall:.2f}")
    lines.append(f"(seqeval convention: {scores.convention})")
    return "\n".join(lines)


# --------------------------------------------------------------------------- rerank


def _number(value, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise CliError(f"{where} must be a number, got {value!r}")
    return float(value)


def parse_rerank_input(data) -> tuple[EfficiencyRule, list[Entry]]:
    """{"rule": {...}, "entries": [{"team", "score", "runtime_s", "runtime_runs"?}, ...]}."""
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise CliError(
            'the file must be a JSON object with an "entries" list (and optionally "rule")'
        )
    rule_data = data.get("rule") or {}
    if not isinstance(rule_data, dict):
        raise CliError(
            '"rule" must be an object, e.g. {"bonus_places": [2, 1], "max_score_gap": 10.0}'
        )
    known = {"metric", "bonus_places", "max_score_gap", "min_efficiency_gap"}
    unknown = sorted(set(rule_data) - known)
    if unknown:
        raise CliError(
            f"unknown rule field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(known))}"
        )
    try:
        if "bonus_places" in rule_data:
            rule_data = {**rule_data, "bonus_places": tuple(rule_data["bonus_places"])}
        rule = EfficiencyRule(**rule_data)
    except (TypeError, ValueError) as exc:
        raise CliError(f"rule: {exc}") from None
    headline, runs = EFFICIENCY_FIELDS[rule.metric]
    entries = []
    for index, item in enumerate(data["entries"], start=1):
        where = f"entries[{index}]"
        if not isinstance(item, dict) or not isinstance(item.get("team"), str) or not item["team"]:
            raise CliError(f'{where} needs a "team" name')
        where = f"{where} ({item['team']})"
        # An entry without the figure was not measured: it keeps its score place.
        measurements = item.get(runs, [])
        if not isinstance(measurements, list):
            raise CliError(f'{where}: "{runs}" must be a list of numbers')
        if measurements and item.get(headline) is None:
            raise CliError(
                f'{where} has "{runs}" but no "{headline}" ({METRIC_WORDS[rule.metric][2]}, '
                "lower is better); give both or neither"
            )
        figure = item.get(headline)
        entries.append(
            Entry(
                team=item["team"],
                score=_number(item.get("score"), f"{where} score"),
                efficiency=None if figure is None else _number(figure, f"{where} {headline}"),
                measurements=tuple(_number(m, f"{where} {runs}") for m in measurements),
            )
        )
    return rule, entries


def run_rerank(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        raise CliError(f"{path}: no such file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CliError(f"{path}: not valid JSON ({exc})") from None
    rule, entries = parse_rerank_input(data)
    try:
        ranked = rerank(entries, rule)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    return {
        "ranking": [
            {
                "team": r.team,
                "performance_rank": r.performance_rank,
                "final_rank": r.final_rank,
                "moved": r.moved,
                "reason": r.reason,
            }
            for r in ranked
        ]
    }


def format_ranking(result: dict) -> str:
    width = max((len(r["team"]) for r in result["ranking"]), default=4)
    lines = [f"{'#':>2}  {'team':<{width}}  perf  reason"]
    for r in result["ranking"]:
        lines.append(
            f"{r['final_rank']:>2}  {r['team']:<{width}}  {r['performance_rank']:>4}  {r['reason']}"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------- check


def check_command(args) -> tuple[bool, str]:
    """Run the image on a public sample as a worker would; (passed, what to print)."""
    from evaluator import check
    from evaluator.runner.engine import DockerUnavailable, docker_client

    try:
        splits: dict = {}
        if args.rules:
            tasks, limits, splits = check.rules_from_file(args.rules)
        else:
            tasks = {task_id: list(spec.languages) for task_id, spec in TASKS.items()}
            limits = check.Limits()
        client = docker_client()
        notes, report = check.check_local(
            client,
            args.image,
            tasks,
            limits,
            fit=not args.rules,
            overrides={"cpus": args.cpus, "memory_mb": args.memory_mb},
            per_language=args.per_language,
            gpu=args.gpu,
        )
    except (check.CheckRefused, DockerUnavailable) as error:
        raise CliError(str(error)) from None
    lines = notes + report.lines()
    for title, counts in splits.items() if report.passed else ():
        estimate = check.estimate_run(report, counts, title, limits.time_limit_s)
        lines += [estimate.line()] if estimate else []
    if not report.passed and report.logs:
        lines.append("  last output of the container:\n" + report.logs[-2000:])
    lines.append(check.PASSED_WORDS if report.passed else check.FAILED_WORDS)
    return report.passed, "\n".join(lines)


# --------------------------------------------------------------------------- entry point


def score_command(gold_dir, pred_dir, as_json=False, convention=CONVENTION_XTREME) -> str:
    scores = run_score(gold_dir, pred_dir, convention)
    return json.dumps(scores.to_dict(), indent=2) if as_json else format_scores(scores)


def rerank_command(path, as_json=False) -> str:
    result = run_rerank(path)
    return json.dumps(result, indent=2, ensure_ascii=False) if as_json else format_ranking(result)


def sample_command(args) -> str:
    config = sample_data_config(args.data, args.data_path, args.data_seed, args.size)
    manifest, skipped = run_sample(
        args.out_dir, config, args.tasks, args.languages, args.per_language, args.split
    )
    return format_sample(args.out_dir, manifest, skipped, args.split)


def main(argv=None) -> int:
    defaults = argparse.ArgumentDefaultsHelpFormatter
    parser = argparse.ArgumentParser(prog="python -m evaluator.cli", formatter_class=defaults)
    sub = parser.add_subparsers(dest="command", required=True)
    sample = sub.add_parser(
        "sample",
        formatter_class=defaults,
        help="write a public sample (input and gold apart) in the hidden split's layout",
        description="Write OUT_DIR/input (manifest.json, <task>/test-<lang>.jsonl: exactly what a "
        "submission reads at /input) and OUT_DIR/gold (<task>/test-<lang>.tsv) from data teams "
        "already have, then run your image or predictor on it and `score` its output.",
    )
    sample.add_argument("out_dir")
    sample.add_argument(
        "--data", default="synthetic", choices=["synthetic", "local", "huggingface"]
    )
    sample.add_argument("--data-path", help="folder for --data local (XTREME's layout)")
    sample.add_argument("--data-seed", type=int, default=0, help="synthetic data seed")
    sample.add_argument("--size", default="small", help="synthetic size: tiny, small, full, N")
    sample.add_argument("--tasks", default=",".join(TASKS), help="comma-separated task ids")
    sample.add_argument("--languages", default="all", help="'all' or a comma list")
    sample.add_argument("--per-language", type=int, default=100, help="examples per file")
    sample.add_argument("--split", default="train", choices=SPLITS[:2], help="which public data")
    score = sub.add_parser(
        "score",
        formatter_class=defaults,
        help="score predictions against gold (XTREME layout)",
    )
    score.add_argument("gold_dir")
    score.add_argument("pred_dir")
    score.add_argument("--json", action="store_true", help="print JSON")
    score.add_argument(
        "--convention",
        choices=CONVENTIONS,
        default=CONVENTION_XTREME,
        help="seqeval convention (docs/scoring.md)",
    )
    rerank_parser = sub.add_parser(
        "rerank", formatter_class=defaults, help="apply the efficiency re-ranking rule"
    )
    rerank_parser.add_argument("file")
    rerank_parser.add_argument("--json", action="store_true", help="print JSON")
    check = sub.add_parser(
        "check",
        formatter_class=defaults,
        help="run an image on a public sample exactly as a worker would and check its /output",
        description="IMAGE is a local image name or a `docker save` .tar/.tar.gz. Costs no "
        "attempt; the sample's score says nothing about the real one.",
    )
    check.add_argument("image")
    check.add_argument(
        "--rules", help="the competition's tasks and limits (the starter kit's competition.json)"
    )
    check.add_argument("--per-language", type=int, default=5, help="sample examples per language")
    check.add_argument("--gpu", type=int, help="GPU index to pass to the container")
    check.add_argument("--cpus", type=float, help="fewer CPUs than the competition's")
    check.add_argument("--memory-mb", type=int, help="less memory than the competition's")
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            passed, text = check_command(args)
            print(text)
            return 0 if passed else 1
        if args.command == "sample":
            print(sample_command(args))
        elif args.command == "score":
            print(score_command(args.gold_dir, args.pred_dir, args.json, args.convention))
        else:
            print(rerank_command(args.file, args.json))
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
