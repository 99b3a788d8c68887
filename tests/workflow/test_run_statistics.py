"""A real run through the worker's pipeline (a local process, the demo competition's split): the
per-example statistics it stores, the competition's scoring convention, bounded failure reasons."""

import sys
import warnings

import pytest
from seqeval.metrics import f1_score

from competitions.models import Run, RunStatistics
from competitions.services.runs import REASON_LIMIT
from competitions.services.submissions import Artifact, submit
from competitions.worker.pipeline import evaluate_run
from competitions.worker.splits import local_split
from evaluator import example_stats
from evaluator.canary_scoring import read_canaries
from evaluator.contract import load_canaries
from evaluator.registry import get_task
from evaluator.scoring import read_tag_file
from evaluator.uncertainty import board_uncertainty

pytestmark = pytest.mark.django_db

# A team's model: a deterministic guess per example, with the line endings or damage asked for.
PREDICTOR = r"""
import json, sys, zlib
from pathlib import Path
LABELS = {"xnli": ["entailment", "neutral", "contradiction"], "pawsx": ["0", "1"],
          "panx": ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"],
          "udpos": ["X", "SCONJ", "CCONJ", "INTJ", "NOUN"]}  # tags the two conventions read apart
src, out, mode = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
manifest = json.loads((src / "manifest.json").read_text())
for task, entry in manifest["tasks"].items():
    (out / task).mkdir(parents=True, exist_ok=True)
    labels = LABELS[task]
    for lang in entry["languages"]:
        lines = []
        for row in (src / task / f"test-{lang}.jsonl").read_text().splitlines():
            example = json.loads(row)
            if "tokens" in example:
                lines += [labels[zlib.crc32(t.encode()) % len(labels)] for t in example["tokens"]]
                lines.append("")
            else:
                # From the text, not the id: ids are fresh in every run (evaluator/input_order.py).
                lines.append(labels[zlib.crc32(example["sentence1"].encode()) % len(labels)])
        if mode == "garbage":
            lines = ["nonsense-" * 40] * len(lines)
        text = "\n".join(lines) + "\n"
        if mode == "cr":
            text = text.replace("\n", "\r")
        (out / task / f"test-{lang}.tsv").write_bytes(text.encode())
"""


@pytest.fixture
def process_worker(settings, tmp_path, artifact_store):
    settings.PODIUM_RUNNER = "process"
    settings.PODIUM_WORK_DIR = str(tmp_path / "work")
    settings.PODIUM_DOCKER_WORKERS = False
    settings.PODIUM_ALLOW_UNTRUSTED_PROCESS_RUNS = True
    script = tmp_path / "predictor.py"
    script.write_text(PREDICTOR)
    return script


def run_predictor(team, phase, script, mode: str) -> Run:
    command = [sys.executable, str(script), "{input}", "{output}", mode]
    run = submit(team, phase, Artifact(trusted_command=command)).runs.get()
    evaluate_run(run.pk)
    run.refresh_from_db()
    return run


def test_a_scored_run_stores_statistics_that_rebuild_its_scores(
    process_worker, team, eval_phase, tmp_path
):
    run = run_predictor(team, eval_phase, process_worker, "lf")
    assert run.status == Run.Status.FINISHED, run.failure_reason
    stored = RunStatistics.objects.get(run=run)
    split = local_split(eval_phase, tmp_path / "work")
    assert stored.split_key == split.key and stored.convention == "xtreme"
    stats = stored.example_stats()
    counts = split.manifest["tasks"]
    # The canaries are scored apart: the statistics (and the board's scores) are the originals'.
    canaries = read_canaries(load_canaries(split.gold_dir))
    assert canaries, "the demo competition's split has canaries"
    apart = {key: len(mark["positions"]) for key, mark in canaries.items()}
    assert set(stats) == {(t, lang) for t, e in counts.items() for lang in e["languages"]}
    total = sum(sum(e["counts"].values()) for e in counts.values())
    assert stored.examples == total - sum(apart.values())
    for (task, lang), entry in stats.items():
        assert len(entry) == counts[task]["counts"][lang] - apart.get((task, lang), 0)
        metric = get_task(task).primary_metric
        value = run.scores.get(task=task, language=lang, metric=metric).value
        assert example_stats.language_score(entry) == pytest.approx(value, abs=1e-9)
    assert len(bytes(stored.data)) < 20 * stored.examples  # compact: a few bytes an example
    # The bootstrap works from what was stored, and the point score is the run's own.
    board = board_uncertainty({run.pk: stats}, resamples=50)
    assert board.teams[0].overall == pytest.approx(run.overall_score, abs=1e-9)
    assert board.teams[0].overall_interval.low <= run.overall_score
    assert run.overall_score <= board.teams[0].overall_interval.high


def test_lone_cr_predictions_score_as_lf_ones_and_the_convention_is_the_competitions(
    process_worker, team, eval_phase, competition, tmp_path
):
    lf = run_predictor(team, eval_phase, process_worker, "lf")
    cr = run_predictor(team, eval_phase, process_worker, "cr")
    assert cr.status == Run.Status.FINISHED, cr.failure_reason
    assert cr.overall_score == lf.overall_score

    competition.scoring_convention = "seqeval1"
    competition.save()
    today = run_predictor(team, eval_phase, process_worker, "lf")
    assert today.status == Run.Status.FINISHED, today.failure_reason
    assert RunStatistics.objects.get(run=today).convention == "seqeval1"
    for task in ("xnli", "pawsx", "panx"):
        same = {"task": task, "language": "", "metric": get_task(task).primary_metric}
        assert today.scores.get(**same).value == lf.scores.get(**same).value
    # UD-POS under seqeval1 is what `pip install seqeval` (1.2.2) gives on the same files.
    split = local_split(eval_phase, tmp_path / "work")
    gold = read_tag_file(split.gold_dir / "udpos" / "test-en.tsv")
    pred = [[_guess(t) for t in sentence] for sentence in _tokens(split)]
    # The board scores the originals: the canaries are left out.
    apart = set(read_canaries(load_canaries(split.gold_dir))[("udpos", "en")]["positions"])
    gold = [s for i, s in enumerate(gold) if i not in apart]
    pred = [s for i, s in enumerate(pred) if i not in apart]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = f1_score(gold, pred) * 100
    assert today.scores.get(task="udpos", language="en", metric="f1").value == expected
    assert lf.scores.get(task="udpos", language="en", metric="f1").value != expected


def _guess(token: str) -> str:
    import zlib

    labels = ["X", "SCONJ", "CCONJ", "INTJ", "NOUN"]
    return labels[zlib.crc32(token.encode()) % len(labels)]


def _tokens(split):
    import json

    rows = (split.input_dir / "udpos" / "test-en.jsonl").read_text().splitlines()
    return [json.loads(row)["tokens"] for row in rows]


def test_a_long_failure_reason_is_bounded_and_kept_whole_in_the_log(
    process_worker, team, eval_phase
):
    run = run_predictor(team, eval_phase, process_worker, "garbage")
    assert run.status == Run.Status.FAILED and run.fault == Run.Fault.TEAM
    assert len(run.failure_reason) <= REASON_LIMIT
    assert run.failure_reason.startswith("invalid predictions: ")
    assert "unknown label 'nonsense-" in run.failure_reason
    assert not RunStatistics.objects.filter(run=run).exists()
    # Twenty files are wrong: the reason shows five and says the rest is in the log.
    assert "more characters in the run's log" in run.failure_reason
    assert "the failure reason in full" in run.logs
    assert run.logs.count("unknown ") >= 20
