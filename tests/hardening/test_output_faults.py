"""What a container leaves in /output that the platform cannot take is the team's fault (issue 19.6).

A path too long or too deep for the worker's disk, or a name that is not UTF-8, used to fail the
copy with an OSError: a platform fault, retried, the attempt given back even in the final phase,
and the worker's scratch path in the reason the team reads. Now the name is judged from the
archive before anything is written, the run fails by the team's fault with what to do, and no
path of the worker's reaches the team.
"""

import errno
import io

import pytest
from django.core.files import File

from competitions.models import Run
from competitions.services import runs as run_service
from competitions.services.submissions import Artifact, submit
from competitions.worker.pipeline import evaluate_run
from evaluator.runner import TEAM, DockerRunner, Limits
from evaluator.runner.docker_runner import _short
from evaluator.runner.outcome import WORKER_PATH, without_worker_paths
from evaluator.runner.output_copy import PATH_MAX_BYTES, WHAT_TO_DO
from tests.archives import save_image_as

LIMITS = Limits(time_limit_s=30, memory_mb=256, cpus=1, output_mb=8, pids=64, tmp_mb=16)
IMAGE = "podium-example/output-tricks:latest"


@pytest.fixture(scope="module")
def runner(docker_client, built_images):
    return DockerRunner(docker_client, owner="hardening-output")


@pytest.fixture
def contract_input(tmp_path):
    root = tmp_path / "input" / "xnli"
    root.mkdir(parents=True)
    (root / "test-en.jsonl").write_text('{"id": "x0", "sentence1": "a", "sentence2": "b"}\n')
    return root.parent


@pytest.mark.docker
@pytest.mark.parametrize(
    ("trick", "words"),
    [
        ("deep-path", f"paths of at most {PATH_MAX_BYTES} bytes below /output"),
        ("odd-bytes", "xnli/bad-\\xff\\xfe.tsv: the name is not valid UTF-8"),
    ],
)
def test_names_the_platform_cannot_take_are_the_teams_fault(
    trick, words, runner, contract_input, tmp_path
):
    # A worker's scratch folder is some way down its disk; Docker's archive of /output goes to
    # about 4 KB deep, so names that fit in the container overflow PATH_MAX on the worker.
    output = tmp_path / ("scratch-" * 20) / "out"
    outcome = runner.run(IMAGE, contract_input, output, LIMITS, env={"PODIUM_TRICK": trick})
    assert f"trick {trick} done" in outcome.logs, (outcome.failure, outcome.logs[-2000:])
    assert outcome.fault == TEAM, outcome.failure
    assert words in outcome.failure and WHAT_TO_DO in outcome.failure, outcome.failure
    assert str(tmp_path) not in outcome.failure and str(tmp_path) not in outcome.logs
    # Judged before writing: nothing refused reached the worker's disk.
    written = [p.relative_to(output) for p in output.rglob("*")]
    assert all(len(str(p).encode()) <= PATH_MAX_BYTES for p in written)
    assert all(str(p).isascii() for p in written), written


@pytest.mark.docker
@pytest.mark.django_db(transaction=True)
def test_a_final_phase_run_with_an_unstorable_output_costs_the_attempt_without_retries(
    competition, team, artifact_store, docker_client, built_images, tmp_path, settings
):
    from competitions.worker.context import WorkerContext

    worker = WorkerContext(name="hardening-worker", work_dir=tmp_path / ("worker-" * 20))
    settings.PODIUM_PLATFORM_RETRIES = 3
    dockerfile = f"FROM {IMAGE}\nENV PODIUM_TRICK=deep-path\n".encode()
    docker_client.images.build(fileobj=io.BytesIO(dockerfile), tag="podium-example/deep:latest")
    archive = save_image_as(
        docker_client, "podium-example/deep:latest", "hardening/deep:v1", tmp_path / "deep.tar"
    )
    phase = competition.phases.get(key="final")  # one attempt, hidden test split
    phase.failed_runs_count = True
    phase.save()
    with archive.open("rb") as handle:
        submission = submit(team, phase, Artifact(image_file=File(handle, name="deep.tar")))
    run = submission.runs.get()
    assert evaluate_run(run.pk, worker) == Run.Status.FAILED
    run.refresh_from_db()
    submission.refresh_from_db()
    assert (run.status, run.fault, run.platform_retries) == ("failed", "team", 0), run
    assert submission.counts_as_attempt  # the team's fault: the attempt is used
    assert WHAT_TO_DO in run.failure_reason, run.failure_reason
    for text in (run.failure_reason, run.logs):
        assert str(worker.work_dir) not in text and str(tmp_path) not in text
        assert "/var/" not in text


def test_an_os_error_is_told_without_the_file_it_was_about():
    error = OSError(errno.ENOSPC, "No space left on device", "/srv/worker/runs/7-12/out/x.tsv")
    assert _short(error) == "OSError: No space left on device"


def test_worker_paths_are_scrubbed_but_container_paths_kept(tmp_path):
    scratch = tmp_path / "worker" / "runs" / "7-12"
    text = (
        f"cannot open '{scratch}/out/xnli/test-en.tsv': /var/lib/docker/volumes/podium-output-1/"
        f"_data; /output/xnli/test-en.tsv is a link to '/etc/passwd' ({scratch})"
    )
    cleaned = without_worker_paths(text, [tmp_path / "worker"])
    assert str(tmp_path) not in cleaned and "/var/lib/docker" not in cleaned
    assert cleaned.count(WORKER_PATH) == 3, cleaned
    assert "/output/xnli/test-en.tsv is a link to '/etc/passwd'" in cleaned
    # A sibling whose name only starts like a root is not the root.
    assert without_worker_paths(f"{tmp_path}/workers", [tmp_path / "worker"]).endswith("workers")


@pytest.mark.django_db
def test_fail_run_keeps_the_workers_paths_out_of_what_the_team_reads(team, eval_phase, settings):
    settings.PODIUM_PLATFORM_RETRIES = 0
    submission = submit(
        team, eval_phase, Artifact(image_ref="registry.example/t/m@sha256:" + "c" * 64)
    )
    claimed = run_service.claim_run(submission.runs.get().pk, "worker")
    where = settings.PODIUM_WORK_DIR / "runs" / f"{claimed.pk}-1" / "out" / "a.tsv"
    run_service.fail_run(claimed, f"platform error: cannot read {where}", "platform", f"at {where}")
    claimed.refresh_from_db()
    assert str(settings.PODIUM_WORK_DIR) not in claimed.failure_reason + claimed.logs
    assert claimed.failure_reason == f"platform error: cannot read {WORKER_PATH}"
    assert claimed.logs == f"at {WORKER_PATH}"
