"""DockerRunner against the real engine: the valid example and every hostile example."""

import io
import os

import pytest

from evaluator.runner import PLATFORM, TEAM, Limits, remove_leftovers

pytestmark = pytest.mark.docker


def run_example(runner, name, sample_input, tmp_path, limits, **kwargs):
    return runner.run(
        f"podium-example/{name}:latest", sample_input, tmp_path / "out", limits, **kwargs
    )


def test_valid_image_writes_predictions(
    runner, assert_cleaned_up, sample_input, tmp_path, small_limits
):
    outcome = run_example(runner, "valid", sample_input, tmp_path, small_limits, cpuset="0")
    assert outcome.ok, outcome.failure
    assert (outcome.exit_code, outcome.fault, outcome.timed_out, outcome.oom_killed) == (
        0,
        None,
        False,
        False,
    )
    assert (tmp_path / "out" / "xnli" / "test-en.tsv").read_text() == "entailment\n" * 3
    assert (tmp_path / "out" / "panx" / "test-de.tsv").read_text() == "O\nO\nO\n\n"
    assert "wrote predictions for 2 test files" in outcome.logs
    # The runner's own clock: positive, inside the limit, and no shorter than dockerd's window.
    assert 0 < outcome.docker_duration_s <= outcome.duration_s < small_limits.time_limit_s
    assert outcome.runner_total_s > outcome.duration_s
    assert outcome.started_at < outcome.finished_at
    assert outcome.measurements == (outcome.duration_s,)
    assert_cleaned_up(outcome)


def test_timed_window_holds_the_whole_run(runner, sample_input, tmp_path, small_limits):
    # A run whose true length is known (a fixed sleep): both windows must contain all of it, and
    # the runner's window adds only the start-up cost, not the copy-out or the removal after exit.
    env = {"PODIUM_SLEEP_SECONDS": "1.5"}
    outcome = run_example(runner, "cpu-bound", sample_input, tmp_path, small_limits, env=env)
    assert outcome.ok, outcome.failure
    assert "slept 1.5 s" in outcome.logs
    assert 1.5 <= outcome.docker_duration_s <= outcome.duration_s < 1.5 + 3
    assert outcome.runner_total_s > outcome.duration_s


def test_inputs_are_untouched(runner, sample_input, tmp_path, small_limits):
    before = {p: p.read_bytes() for p in sample_input.rglob("*") if p.is_file()}
    run_example(runner, "escape-write", sample_input, tmp_path, small_limits)
    after = {p: p.read_bytes() for p in sample_input.rglob("*") if p.is_file()}
    assert before == after


HOSTILE = [
    # name, failure must contain, log must contain, extra checks
    ("bad-exit", "exited with code 3; last lines: error: model weights not found", "loading model"),
    ("sleeper", "time limit of 5 s exceeded", ""),
    ("memory-hog", "out of memory: the container used more than 128 MB", "allocated 16 MB"),
    ("network", "exited with code 1", "Network is unreachable"),
    ("fork-bomb", "exited with code 1", "Resource temporarily unavailable"),
    ("output-flood", "output limit exceeded: /output may hold at most 8 MB", "No space left"),
    ("escape-write", "all writes outside /output were refused", "Read-only file system"),
    ("symlink", "is a link to", "left symbolic links"),
    ("volume-fill", "exited with code 2", "every declared volume was capped"),
]


@pytest.mark.parametrize(("name", "failure", "log"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_image_fails_as_team_fault(
    runner, assert_cleaned_up, sample_input, tmp_path, small_limits, name, failure, log
):
    outcome = run_example(runner, name, sample_input, tmp_path, small_limits)
    assert outcome.fault == TEAM, outcome
    assert failure in outcome.failure
    assert log in outcome.logs
    assert_cleaned_up(outcome)


def test_time_limit_kills_promptly(runner, sample_input, tmp_path, small_limits):
    outcome = run_example(runner, "sleeper", sample_input, tmp_path, small_limits)
    assert outcome.timed_out and not outcome.oom_killed
    assert 5 <= outcome.duration_s < 8
    assert outcome.runner_total_s < 12


def test_oom_is_detected(runner, sample_input, tmp_path, small_limits):
    outcome = run_example(runner, "memory-hog", sample_input, tmp_path, small_limits)
    assert outcome.oom_killed and outcome.exit_code == 137 and not outcome.timed_out


def test_fork_bomb_stops_at_the_pids_limit(runner, sample_input, tmp_path, small_limits):
    outcome = run_example(runner, "fork-bomb", sample_input, tmp_path, small_limits)
    count = int(outcome.stderr.split("fork failed after ")[1].split()[0])
    assert count < small_limits.pids


def test_network_is_unreachable(runner, sample_input, tmp_path, small_limits):
    outcome = run_example(runner, "network", sample_input, tmp_path, small_limits)
    assert "NETWORK REACHED" not in outcome.logs
    assert "connect 1.1.1.1:53 failed: [Errno 101] Network is unreachable" in outcome.logs
    assert "connect 172.17.0.1:2375 failed: [Errno 101] Network is unreachable" in outcome.logs


def test_output_cap_is_enforced_by_the_kernel(runner, sample_input, tmp_path, small_limits):
    outcome = run_example(runner, "output-flood", sample_input, tmp_path, small_limits)
    flood = tmp_path / "out" / "flood.bin"
    assert flood.stat().st_size <= small_limits.output_mb * 1024 * 1024
    assert outcome.output_bytes == flood.stat().st_size


def test_escape_writes_are_refused(runner, sample_input, tmp_path, small_limits):
    outcome = run_example(runner, "escape-write", sample_input, tmp_path, small_limits)
    assert "ESCAPED" not in outcome.logs
    assert "/tmp full after 1" in outcome.stderr  # /tmp capped at 16 MB, not filled to 4 GB
    assert not (sample_input / "podium-escape").exists()


def test_symlinks_are_never_created_or_followed(runner, sample_input, tmp_path, small_limits):
    run_example(runner, "symlink", sample_input, tmp_path, small_limits)
    out = tmp_path / "out"
    assert not any(p.is_symlink() for p in out.rglob("*"))
    assert not (out / "xnli" / "test-en.tsv").exists()
    assert not (out / "escape.tsv").exists()


def test_environment_holds_only_the_contract(
    runner, sample_input, tmp_path, small_limits, monkeypatch
):
    monkeypatch.setenv("PODIUM_SECRET_KEY", "do-not-leak")
    outcome = run_example(runner, "env-secrets", sample_input, tmp_path, small_limits)
    assert outcome.ok
    env = dict(
        line[4:].split("=", 1) for line in outcome.stdout.splitlines() if line.startswith("ENV ")
    )
    assert "do-not-leak" not in outcome.logs
    assert env["PODIUM_INPUT"] == "/input" and env["PODIUM_OUTPUT"] == "/output"
    # The image's own variables, Docker's HOSTNAME and the contract's: nothing from the worker.
    allowed = {"PATH", "HOME", "HOSTNAME", "LANG", "PYTHONDONTWRITEBYTECODE"}
    assert {key for key in env if not key.startswith("PODIUM_")} <= allowed
    assert set(env) & {key for key in os.environ if key not in allowed} <= {
        "PODIUM_INPUT",
        "PODIUM_OUTPUT",
        "PODIUM_TIME_LIMIT_S",
        "PODIUM_MEMORY_MB",
    }
    assert "PATH /var/run/docker.sock exists=False" in outcome.stdout


def test_container_runs_locked_down(runner, docker_client, sample_input, tmp_path, small_limits):
    """Inspect a live container: the settings really reach the engine."""
    outcome_holder = {}
    original_start = runner._start_and_wait

    def inspect_then_wait(container, limits, outcome):
        container.reload()
        outcome_holder["host"] = container.attrs["HostConfig"]
        outcome_holder["config"] = container.attrs["Config"]
        return original_start(container, limits, outcome)

    runner._start_and_wait = inspect_then_wait
    try:
        run_example(runner, "valid", sample_input, tmp_path, small_limits, cpuset="1")
    finally:
        del runner._start_and_wait
    host, config = outcome_holder["host"], outcome_holder["config"]
    assert host["NetworkMode"] == "none" and host["ReadonlyRootfs"] is True
    assert host["CapDrop"] == ["ALL"] and "no-new-privileges" in host["SecurityOpt"]
    assert config["User"] == "65534:65534"
    assert host["PidsLimit"] == 64
    assert host["Memory"] == host["MemorySwap"] == 128 * 1024 * 1024
    assert host["CpusetCpus"] == "1"
    assert not host.get("DeviceRequests")
    mounts = {m["Target"]: m for m in host["Mounts"]}
    # /input is a volume filled for the run, not a bind of the worker's split folder (issue 14).
    assert mounts["/input"]["ReadOnly"] is True and mounts["/input"]["Type"] == "volume"
    assert mounts["/output"]["Type"] == "volume"


def test_missing_image_is_a_platform_fault(runner, docker_client, sample_input, tmp_path):
    outcome = runner.run(
        "podium-example/does-not-exist:latest", sample_input, tmp_path / "o", Limits(cpus=1)
    )
    assert outcome.fault == PLATFORM
    assert "platform error" in outcome.failure
    leftovers = {
        n.lstrip("/")
        for c in docker_client.containers.list(all=True, sparse=True)
        for n in c.attrs["Names"]
    }  # sparse: no inspect of a container another test removes
    assert f"podium-keeper-{outcome.run_id}" not in leftovers


def test_output_directory_must_be_empty(runner, sample_input, tmp_path, small_limits):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "stale.tsv").write_text("x")
    with pytest.raises(ValueError, match="must be empty"):
        run_example(runner, "valid", sample_input, tmp_path, small_limits)


def test_startup_overhead(runner, small_limits):
    overhead = runner.measure_startup_overhead(repeats=3, cpuset="1")
    assert len(overhead.measurements) == 3 and 0 < overhead.median_s < 5
    assert overhead.median_s == sorted(overhead.measurements)[1]


def test_image_that_cannot_start_is_a_team_fault(runner, docker_client, sample_input, tmp_path):
    dockerfile = io.BytesIO(b'FROM podium/base:bookworm\nCMD ["/app/missing-predictor"]\n')
    image, _ = docker_client.images.build(fileobj=dockerfile, tag="podium-test/no-program:latest")
    outcome = runner.run(image.tags[0], sample_input, tmp_path / "out", Limits(cpus=1))
    assert outcome.fault == TEAM, outcome.failure
    assert "could not be started" in outcome.failure and "/app/missing-predictor" in outcome.failure


def test_leftovers_are_removed_per_owner(docker_client, built_images):
    from evaluator.runner.lockdown import LABEL, OWNER_LABEL

    mine, theirs = (
        docker_client.containers.create(
            "podium/base:bookworm", ["true"], labels={LABEL: "run", OWNER_LABEL: owner}
        )
        for owner in ("test-owner-a", "test-owner-b")
    )
    try:
        assert remove_leftovers(docker_client, "test-owner-a") == 1
        names = {c.id for c in docker_client.containers.list(all=True, sparse=True)}
        assert mine.id not in names and theirs.id in names
    finally:
        theirs.remove(force=True)


def test_a_stop_while_dockerd_is_starting_the_container_still_stops_it(
    docker_client, built_images, sample_input, tmp_path, monkeypatch
):
    # The cancel race CI met: a kill sent while dockerd is still starting the container is
    # refused ("not running"), and the container then ran to its limit. The real container's
    # start is held open until the stop has had its chance, which forces that interleaving.
    import threading
    import time

    from docker.models.containers import ContainerCollection

    from evaluator.runner import DockerRunner

    runner = DockerRunner(docker_client, owner="stop-race")
    starting, stop_sent = threading.Event(), threading.Event()
    real_create = ContainerCollection.create

    def create(collection, image, *args, **kwargs):
        container = real_create(collection, image, *args, **kwargs)
        if kwargs.get("name", "").startswith("podium-run-"):
            real_start = container.start

            def start(*a, **k):
                starting.set()
                stop_sent.wait(3)  # the old runner's stop lands here, before the start
                return real_start(*a, **k)

            container.start = start
        return container

    def stop_when_starting():
        starting.wait(60)
        runner.stop("cancelled by the test")
        stop_sent.set()

    monkeypatch.setattr(ContainerCollection, "create", create)
    stopper = threading.Thread(target=stop_when_starting, daemon=True)
    stopper.start()
    began = time.monotonic()
    outcome = runner.run(
        "podium-example/sleeper:latest",
        sample_input,
        tmp_path / "out",
        Limits(time_limit_s=45, memory_mb=128, output_mb=4, cpus=1, gpus=0),
    )
    stopper.join(5)
    assert time.monotonic() - began < 30, "the container ran on after the stop"
    assert (outcome.fault, outcome.failure) == (PLATFORM, "stopped: cancelled by the test")
    assert not docker_client.containers.list(all=True, filters={"label": "podium.owner=stop-race"})
