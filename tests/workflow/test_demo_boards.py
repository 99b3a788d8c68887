"""The demo never compares runs timed two ways (issue 23.2): its own models run as local processes
on a board of their own, closed to teams, and a team's image is scored in Docker on a board where
every runtime was measured the same way. Real process runs, a real Docker run, the real pages."""

import pytest
from django.test import Client

from competitions.models import Membership
from competitions.reads.boards import leaderboard
from competitions.services import demo
from competitions.services.eligibility import refusal_now
from competitions.services.submissions import Artifact, submit
from competitions.worker import entry
from competitions.worker.context import WorkerContext
from competitions.worker.pipeline import evaluate_run

pytestmark = [pytest.mark.docker, pytest.mark.django_db(transaction=True)]

# The demo's models, by the majority predictor only: the trained checkpoints take minutes, and
# every model of the demo runs the same way (a local command through the process runner).
QUICK_MODELS = (demo.DemoModel("Token Ring", "Majority class, as a sanity check", None),)


def test_the_demos_own_runs_and_a_teams_docker_image_are_never_on_one_board(
    artifact_store, pushed_example, monkeypatch, tmp_path, settings
):
    monkeypatch.setattr(demo, "MODELS", QUICK_MODELS)
    settings.PODIUM_ALLOW_UNTRUSTED_PROCESS_RUNS = True  # as `make demo` sets it
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # its accounts
    here = WorkerContext(
        name="demo-here", work_dir=tmp_path / "here", runner="process", allow_untrusted_process=True
    )
    competition = demo.seed(
        say=lambda line: print(__import__("time").monotonic(), line),
        evaluate=lambda run_id: evaluate_run(run_id, here),
        prepare=entry.prepare_phase,
    )
    showcase = competition.phases.get(key=demo.SHOWCASE)
    evaluation = competition.phases.get(key="eval")
    ada_team = Membership.objects.get(user__username="ada").team
    assert refusal_now(ada_team, showcase) is not None  # teams submit their images elsewhere
    assert refusal_now(ada_team, evaluation) is None

    run = submit(ada_team, evaluation, Artifact(image_ref=pushed_example("valid"))).runs.get()
    assert evaluate_run(run.pk, WorkerContext(name="demo-docker", work_dir=tmp_path / "docker"))
    run.refresh_from_db()
    assert run.status == run.Status.FINISHED, run.failure_reason

    boards = {phase.key: leaderboard(phase) for phase in competition.phases.all()}
    assert {key: len(board.hardware_ids) for key, board in boards.items()} == {
        "showcase": 1,
        "eval": 1,
        "final": 0,
    }
    assert boards["showcase"].hardware_ids != boards["eval"].hardware_ids  # timed two ways
    assert [r.team for r in boards["showcase"].rows] == ["Token Ring"]
    (row,) = boards["eval"].rows
    assert (row.team, row.run_id, row.set_aside) == (ada_team.name, run.pk, False)
    for key in boards:
        page = Client().get(f"/c/demo/leaderboard/{key}/").content.decode()
        assert 'data-testid="mixed-hardware"' not in page
        assert 'data-testid="set-aside"' not in page
