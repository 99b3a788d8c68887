"""Issue 19.2: an image that tells a timed repeat (or an audit round) from its scored run, and
exits at once there, gets no better figure than its honest runtime, and the organisers see why.

podium-example/repeat-detector asks the kernel whether a file of its own image is in the page
cache (the probe's channel): cold, it is the scored run and does 1.5 s of "work"; warm, it writes
other (valid) predictions at once. podium-example/valid is the honest twin: same predictions
every time, never flagged.
"""

import pytest
from django.core.management import call_command
from django.urls import reverse

from competitions.models import AuditMeasurement, TimingAudit
from competitions.reads.boards import leaderboard
from competitions.services.submissions import Artifact, submit
from competitions.worker.context import WorkerContext
from competitions.worker.pipeline import evaluate_run
from tests.factories import logged_in

pytestmark = [pytest.mark.docker, pytest.mark.django_db(transaction=True)]

DETECTOR = "podium-example/repeat-detector:latest"
WORK_S = 1.5  # the detector's honest run takes at least this (docker/examples/repeat-detector)


def cold_start(docker_client) -> None:
    """Drop the detector's marker from the page cache: its next run is a first run."""
    docker_client.containers.run(DETECTOR, ["python3", "/app/predict.py", "evict"], remove=True)


def evaluated(team, phase, ref, worker):
    run = submit(team, phase, Artifact(image_ref=ref)).runs.get()
    assert evaluate_run(run.pk, worker) == "finished", run.failure_reason
    run.refresh_from_db()
    # The scored run is the honest one (if the worker ever reads the image's files before its
    # first run, the detector cannot tell and this test says so here).
    assert "the first run" in run.logs or "wrote predictions" in run.logs, run.logs
    return run


def test_fast_repeats_with_other_predictions_are_not_counted_and_flagged(
    with_limits, team, other_team, pushed_example, docker_client, organiser, tmp_path
):
    competition = with_limits(time_limit_s=20, memory_mb=256, cpus=1, output_mb=16)
    competition.timing_repeats = 3
    competition.save()
    phase = competition.phases.get(key="eval")
    worker = WorkerContext(name="repeats-worker", work_dir=tmp_path / "worker")

    detector, valid = pushed_example("repeat-detector"), pushed_example("valid")
    cold_start(docker_client)  # after the push, which reads the image's files
    gamer = evaluated(team, phase, detector, worker)
    honest = evaluated(other_team, phase, valid, worker)

    # The gamer's board figure is its scored run's time, not its repeats' (which took ~0.4 s).
    board = leaderboard(phase, as_organiser=True)
    row = next(r for r in board.rows if r.team == team.name)
    assert row.runtime_s == gamer.runtime_s >= WORK_S
    # Its fastest kept figure is the scored run's: no spoiled repeat lowers it (one slowed past it
    # by a loaded machine may be kept, which only ever counts against the team).
    assert min(row.runtime_measurements) == row.runtime_measurements[0] == gamer.runtime_s
    assert gamer.timing_flag.startswith("timed repeats not counted")
    assert "repeat 2" in gamer.timing_flag and "repeat 3" in gamer.timing_flag
    assert "holds other predictions than the scored run's" in gamer.timing_flag
    # The honest image: every repeat counted, nothing flagged.
    assert len(honest.runtime_measurements) == 3 and honest.timing_flag == ""
    assert honest.predictions_digest and gamer.predictions_digest

    # The flag is for the organisers: on their run page and organiser page, not the team's.
    run_url = reverse("run", args=[gamer.pk])
    organiser_page = logged_in(organiser).get(run_url).content.decode()
    assert 'data-testid="timing-flag"' in organiser_page and "repeat 2" in organiser_page
    overview = logged_in(organiser).get(reverse("organiser", args=[competition.slug]))
    assert 'data-testid="timing-flag"' in overview.content.decode()
    team_page = logged_in(team.members.get()).get(run_url).content.decode()
    assert 'data-testid="timing-flag"' not in team_page


@pytest.mark.slow
def test_audit_rounds_with_other_predictions_are_not_counted(
    with_limits, team, other_team, pushed_example, docker_client, organiser, tmp_path, settings
):
    competition = with_limits(time_limit_s=20, memory_mb=256, cpus=1, output_mb=16)
    competition.timing_repeats = 1
    competition.save()
    phase = competition.phases.get(key="eval")
    settings.PODIUM_WORK_DIR = str(tmp_path / "worker")
    worker = WorkerContext.from_settings()

    detector, valid = pushed_example("repeat-detector"), pushed_example("valid")
    cold_start(docker_client)  # after the push, which reads the image's files
    gamer = evaluated(team, phase, detector, worker)
    honest = evaluated(other_team, phase, valid, worker)

    # Every audit round follows the warm-up: the detector spoils them all and exits at once.
    call_command("audit_timing", competition.slug, "eval", rounds=2)

    audit = TimingAudit.objects.get()
    assert audit.status == TimingAudit.Status.FINISHED
    rounds = AuditMeasurement.objects.filter(audit=audit, round__gte=1)
    gamed = rounds.filter(run=gamer)
    # It did game: its rounds predicted other labels (valid ones) than its scored run.
    assert gamed.count() == 2 and all(m.overall_score != gamer.overall_score for m in gamed)
    assert not any(m.counted for m in gamed)
    assert all("differ from the run's scored predictions" in m.failure for m in gamed)
    assert all(m.counted for m in rounds.filter(run=honest))

    # No audit figure from rounds that did not do the work: the gamer keeps its honest time.
    board = leaderboard(phase, as_organiser=True)
    row = next(r for r in board.rows if r.team == team.name)
    assert row.audit_rounds == () and row.efficiency >= WORK_S
    assert len(next(r for r in board.rows if r.team == other_team.name).audit_rounds) == 2
    overview = logged_in(organiser).get(reverse("organiser", args=[competition.slug]))
    assert 'data-testid="audit-uncounted"' in overview.content.decode()
