"""Runs scored through the real pipeline (a local process, the demo competition's split) whose
predictions the test chooses: the gold labels, wrong on the examples it names."""

from __future__ import annotations

import sys
import zlib
from pathlib import Path

from competitions.models import Run
from competitions.services.submissions import Artifact, submit
from competitions.worker.pipeline import evaluate_run
from competitions.worker.splits import local_split
from evaluator.contract import format_predictions, read_gold, score_output
from evaluator.registry import get_task

COPY = "import shutil, sys; shutil.copytree(sys.argv[1], sys.argv[2], dirs_exist_ok=True)"


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


def write_predictions(phase, work_dir: Path, out: Path, wrong) -> Path:
    """Gold predictions, except the examples for which `wrong(task, lang, index)` is true."""
    split = local_split(phase, work_dir)
    gold = read_gold(split.gold_dir, split.manifest)
    for (task, lang), examples in gold.items():
        preds = [_wrong(task, g) if wrong(task, lang, i) else g for i, g in enumerate(examples)]
        (out / task).mkdir(parents=True, exist_ok=True)
        (out / task / f"test-{lang}.tsv").write_text(format_predictions(task, preds))
    return out


def share(percent: float, salt: str = ""):
    """About `percent`% of the examples, chosen by a hash (the same ones each time)."""
    return lambda task, lang, i: zlib.crc32(f"{salt}{task}{lang}{i}".encode()) % 1000 < 10 * percent


def scored_run(team, phase, predictions: Path) -> Run:
    """A run of a model that writes these predictions, through the worker's pipeline."""
    command = [sys.executable, "-c", COPY, str(predictions), "{output}"]
    run = submit(team, phase, Artifact(trusted_command=command)).runs.get()
    evaluate_run(run.pk)
    run.refresh_from_db()
    assert run.status == Run.Status.FINISHED, run.failure_reason
    return run


def statistics_of(phase, work_dir: Path, predictions: Path) -> dict:
    """The scorer's own per-example statistics of these predictions (not the stored copy)."""
    split = local_split(phase, work_dir)
    return score_output(predictions, split.gold_dir, split.manifest).stats


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
