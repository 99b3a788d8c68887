"""Two workers on 'two hosts' (own work directories) drain one queue: every run done exactly once."""

from collections import Counter

import pytest

from competitions.models import Run, TaskScore
from competitions.services.submissions import Artifact, submit
from tests.factories import PROCESS_WORKER, executions, recorded_command, wait_for

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

RUNS = 8


def test_two_workers_drain_one_queue_each_run_once(
    celery_broker, process_runs, competition, eval_phase, worker_env, start_worker, tmp_path
):
    from competitions.models import Team

    log = tmp_path / "executions.log"
    workers = [start_worker(worker_env(name, celery_broker, **PROCESS_WORKER)) for name in "ab"]
    eval_phase.max_attempts = RUNS
    eval_phase.save()
    team = Team.objects.create(name="Scale", slug="scale")
    run_ids = [
        submit(team, eval_phase, Artifact(trusted_command=recorded_command(log, 1.0))).runs.get().pk
        for _ in range(RUNS)
    ]
    wait_for(
        lambda: Run.objects.filter(pk__in=run_ids).exclude(status__in=Run.ACTIVE).count() == RUNS,
        120,
        lambda: "all runs to finish\n" + "\n".join(w.output() for w in workers),
    )
    finished = Run.objects.filter(pk__in=run_ids, status=Run.Status.FINISHED)
    assert finished.count() == RUNS, list(Run.objects.values_list("status", "failure_reason"))
    done = executions(log)
    # Exactly one execution per run, and it was the worker recorded on the run.
    assert sorted(run_id for run_id, _ in done) == sorted(run_ids)
    by_run = dict(done)
    for run in finished:
        assert by_run[run.pk] == f"worker-{run.worker}", (run.pk, run.worker, by_run[run.pk])
        assert run.platform_retries == 0
    per_worker = Counter(directory for _, directory in done)
    assert set(per_worker) == {"worker-a", "worker-b"}, per_worker
    # Scores written once per run (a second finish would have replaced, never duplicated them).
    per_run_scores = Counter(TaskScore.objects.filter(run__in=run_ids, language="").values_list(
        "run_id", flat=True))  # fmt: skip
    assert len(set(per_run_scores.values())) == 1
