"""Energy: estimated with codecarbon when a competition ranks by it, labelled with its method."""

import pytest

from baselines import majority
from competitions.models import Run
from competitions.services.submissions import Artifact, submit
from competitions.worker.context import WorkerContext
from competitions.worker.pipeline import evaluate_run
from evaluator.runner.energy import measure_energy

pytestmark = pytest.mark.django_db(transaction=True)


def test_measure_energy_labels_its_method():
    with measure_energy(True) as reading:
        sum(i * i for i in range(2_000_000))
    assert reading.kwh is not None and reading.kwh > 0
    assert reading.method.startswith("codecarbon ") and "CPU" in reading.method


def test_disabled_meter_reads_nothing():
    with measure_energy(False) as reading:
        pass
    assert reading.kwh is None and reading.method == ""


def test_run_records_energy_when_the_rule_ranks_by_it(competition, team, settings, tmp_path):
    settings.PODIUM_ALLOW_UNTRUSTED_PROCESS_RUNS = True
    rule = competition.efficiency_rule
    rule.metric = "energy"
    rule.save()
    command = majority.local_command()
    submission = submit(team, competition.phases.get(key="eval"), Artifact(trusted_command=command))
    run = submission.runs.get()
    evaluate_run(run.pk, WorkerContext(name="w", work_dir=tmp_path, allow_untrusted_process=True))
    run.refresh_from_db()
    assert run.status == Run.Status.FINISHED, run.failure_reason
    assert run.energy_kwh is not None and run.energy_kwh > 0
    assert "codecarbon" in run.energy_method
