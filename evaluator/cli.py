"""Command-line front ends for scoring a prediction folder and re-ranking a results file.

Used by `python manage.py score|rerank` and `python -m evaluator.cli score|rerank`; every error
a user can cause is raised as CliError with a message that says what to fix.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys

from evaluator.ranking import METRIC_WORDS, EfficiencyRule, Entry, rerank
from evaluator.registry import UnknownTaskError
from evaluator.scoring import CONVENTION_XTREME, CONVENTIONS, Scores, ScoringError, score_directory

# rule.metric -> (headline field, repeated-measurements field) in a rerank input file
EFFICIENCY_FIELDS = {
    "runtime": ("runtime_s", "runtime_runs"),
    "energy": ("energy_kwh", "energy_runs"),
}


class CliError(ValueError):
    """A problem with the command's input, explained for the person who ran it."""


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


# --------------------------------------------------------------------------- entry point


def score_command(gold_dir, pred_dir, as_json=False, convention=CONVENTION_XTREME) -> str:
    scores = run_score(gold_dir, pred_dir, convention)
    return json.dumps(scores.to_dict(), indent=2) if as_json else format_scores(scores)


def rerank_command(path, as_json=False) -> str:
    result = run_rerank(path)
    return json.dumps(result, indent=2, ensure_ascii=False) if as_json else format_ranking(result)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluator.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    score = sub.add_parser("score", help="score predictions against gold (XTREME layout)")
    score.add_argument("gold_dir")
    score.add_argument("pred_dir")
    score.add_argument("--json", action="store_true")
    score.add_argument("--convention", choices=CONVENTIONS, default=CONVENTION_XTREME)
    rerank_parser = sub.add_parser("rerank", help="apply the efficiency re-ranking rule")
    rerank_parser.add_argument("file")
    rerank_parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:
        if args.command == "score":
            print(score_command(args.gold_dir, args.pred_dir, args.json, args.convention))
        else:
            print(rerank_command(args.file, args.json))
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
