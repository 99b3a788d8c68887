"""Runs scored through the real pipeline (a local process, the demo competition's split) whose
predictions the test chooses: the gold labels, wrong on the examples it names.

Each run gets the split's examples in an order of its own with fresh ids (evaluator/input_order.py)
and with canaries among them (scored apart, never on the board): the model answers each example by
its text, and the examples a test names are counted over the board's examples (the originals, in
the split's order), the ones the stored statistics and evaluator.uncertainty see."""

from __future__ import annotations

import json
import sys
import zlib
from pathlib import Path

from competitions.models import Run
from competitions.services.submissions import Artifact, submit
from competitions.worker.pipeline import evaluate_run
from competitions.worker.splits import local_split
from evaluator.canary_scoring import read_canaries, set_apart
from evaluator.contract import format_predictions, load_canaries, read_gold, score_output
from evaluator.registry import get_task

# The team's model: the answer to each example it is given, looked up by the example's text (not
# its position or id, both the run's own), written in the order the examples come.
ANSWER = r"""
import json, sys
from pathlib import Path
answers, src, out = json.loads(Path(sys.argv[1]).read_text()), Path(sys.argv[2]), Path(sys.argv[3])
for task, entry in json.loads((src / "manifest.json").read_text())["tasks"].items():
    (out / task).mkdir(parents=True, exist_ok=True)
    for lang in entry["languages"]:
        lines = []
        for row in (src / task / f"test-{lang}.jsonl").read_text().splitlines():
            record = json.loads(row)
            record.pop("id")
            answer = answers[f"{task}/{lang}"][json.dumps(record, sort_keys=True)]
            lines.append("".join(f"{t}\n" for t in answer) + "\n" if isinstance(answer, list)
                         else f"{answer}\n")
        (out / task / f"test-{lang}.tsv").write_text("".join(lines))
"""
ANSWERS = "answers.json"  # the model's answers by text, kept beside the predictions folder


def use_process_worker(settings, tmp_path: Path) -> None:
    settings.PODIUM_RUNNER = "process"
    settings.PODIUM_WORK_DIR = str(tmp_path / "work")
    settings.PODIUM_DOCKER_WORKERS = False
    settings.PODIUM_ALLOW_UNTRUSTED_PROCESS_RUNS = True


def _wrong(task: str, gold):
    """Another label (tagging: every tag another tag) than the gold one."""
    labels = get_task(task).labels
    if get_task(task).is_tagging:
        return [labels[(labels.index(t) + 1) % len(labels)] for t in gold]
    return labels[(labels.index(gold) + 1) % len(labels)]


def _text(row: str) -> str:
    record = json.loads(row)
    record.pop("id")
    return json.dumps(record, sort_keys=True)


def write_predictions(phase, work_dir: Path, out: Path, wrong) -> Path:
    """The model's answers (by example text) and the same predictions in the split's order: the
    gold, except the examples for which `wrong(task, lang, index)` is true, `index` counting the
    board's examples (the originals) in the split's order; canaries get their gold."""
    split = local_split(phase, work_dir)
    gold = read_gold(split.gold_dir, split.manifest)
    canaries = read_canaries(load_canaries(split.gold_dir))
    answers = {}
    for (task, lang), examples in gold.items():
        apart = set(canaries.get((task, lang), {"positions": []})["positions"])
        board_index = {
            j: i for i, j in enumerate(j for j in range(len(examples)) if j not in apart)
        }
        preds = [
            _wrong(task, g) if j in board_index and wrong(task, lang, board_index[j]) else g
            for j, g in enumerate(examples)
        ]
        (out / task).mkdir(parents=True, exist_ok=True)
        (out / task / f"test-{lang}.tsv").write_text(format_predictions(task, preds))
        rows = (split.input_dir / task / f"test-{lang}.jsonl").read_text().splitlines()
        by_text = {}
        for row, pred in zip(rows, preds, strict=True):
            # One answer per text: two examples alike must be answered alike.
            assert by_text.setdefault(_text(row), pred) == pred, f"{task}/{lang}: {row}"
        answers[f"{task}/{lang}"] = by_text
    (out.parent / f"{out.name}-{ANSWERS}").write_text(json.dumps(answers))
    return out


def share(percent: float, salt: str = ""):
    """About `percent`% of the examples, chosen by a hash (the same ones each time)."""
    return lambda task, lang, i: zlib.crc32(f"{salt}{task}{lang}{i}".encode()) % 1000 < 10 * percent


def scored_run(team, phase, predictions: Path) -> Run:
    """A run of a model that answers, by text, what `write_predictions` wrote into `predictions`,
    through the worker's pipeline."""
    script = predictions.parent / "answer.py"
    script.write_text(ANSWER)
    answers = predictions.parent / f"{predictions.name}-{ANSWERS}"
    command = [sys.executable, str(script), str(answers), "{input}", "{output}"]
    run = submit(team, phase, Artifact(trusted_command=command)).runs.get()
    evaluate_run(run.pk)
    run.refresh_from_db()
    assert run.status == Run.Status.FINISHED, run.failure_reason
    return run


def statistics_of(phase, work_dir: Path, predictions: Path) -> dict:
    """The scorer's own per-example statistics of these predictions (not the stored copy), on the
    board's examples: the canaries set apart, as the pipeline does."""
    split = local_split(phase, work_dir)
    scored = score_output(predictions, split.gold_dir, split.manifest)
    convention = scored.scores.convention
    return set_apart(scored.scores, scored.stats, load_canaries(split.gold_dir), convention)[1]


def _either(*rules):
    return lambda task, lang, i: any(rule(task, lang, i) for rule in rules)


def three_teams(settings, tmp_path, competition, phase, team, other_team):
    """Three runs and the scorer's statistics of each (run id -> stats): `team` wrong on ~10% of
    the examples; `other_team` on those and 3 more (a handful: tied with it); Gamma Ray on about
    9.5% more (10 points below, on the whole split: not tied). No efficiency bonus, so the order
    is the score order whatever the processes' timings."""
    from django.contrib.auth.models import User
    from django.core.cache import cache

    from competitions.models import EfficiencyRule, Membership, Team

    use_process_worker(settings, tmp_path)
    EfficiencyRule.objects.filter(competition=competition).update(bonus_places=[])
    gamma = Team.objects.create(name="Gamma Ray", slug="gamma-ray")
    Membership.objects.create(team=gamma, user=User.objects.create_user("gus", "", "pw-g-123"))
    work = tmp_path / "work"
    alpha_wrong = share(10)
    beta_wrong = _either(alpha_wrong, lambda t, lang, i: (t, lang) == ("xnli", "de") and i < 3)
    gamma_wrong = _either(beta_wrong, share(9.5, salt="gamma"))
    runs, stats = {}, {}
    for name, who, wrong in (
        ("alpha", team, alpha_wrong),
        ("beta", other_team, beta_wrong),
        ("gamma", gamma, gamma_wrong),
    ):
        out = write_predictions(phase, work, tmp_path / f"pred-{name}", wrong)
        runs[name] = scored_run(who, phase, out)
        stats[runs[name].pk] = statistics_of(phase, work, out)
    cache.clear()
    return runs, stats
