"""DockerRunner: run a team's image once, locked down, timed by the worker, and collect /output."""

from __future__ import annotations

import contextlib
import logging
import statistics
import tarfile
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import docker
import requests

from .image_names import BASE_IMAGE
from .judging import archive_bound, judge, prepare_directories
from .limits import Limits
from .lockdown import (
    DEADLINE_GRACE_S,
    LABEL,
    OWNER_LABEL,
    VolumeRefused,
    deadline_config,
    declared_volume_tmpfs,
    input_filler_config,
    keeper_config,
    locked_down_config,
    output_volume_options,
)
from .outcome import (
    PLATFORM,
    TEAM,
    RunOutcome,
    TailBuffer,
    combine_logs,
    without_worker_paths,
)
from .output_copy import OutputTooLarge, copy_output_archive
from .timestamps import docker_duration_s

log = logging.getLogger(__name__)
ENGINE_FAILED = "platform error while running the container"

# Time allowed for Docker to act on a kill or removal before the run counts as a platform fault.
DOCKER_GRACE_S = 60


@dataclass(frozen=True)
class StartupOverhead:
    """Start-to-exit time of an empty container (`true`): the fixed cost inside every duration."""

    median_s: float
    measurements: tuple[float, ...]
    docker_median_s: float | None


class DockerRunner:
    """Runs images with the Podium lockdown. One instance per worker; not thread-safe. `owner`
    labels every Docker object it creates (the worker's slot, e.g. "gpu0@host"), so that
    `remove_leftovers(client, owner)` after a crash touches only its own."""

    def __init__(self, client, *, helper_image: str = BASE_IMAGE, owner: str = "default") -> None:
        self.client = client  # evaluator.runner.engine.docker_client()
        self.helper_image = helper_image
        self.owner = owner
        self.startup_overhead_s: float | None = None
        self._container = None  # the team's container while it runs, for stop()
        self._stop_reason = ""
        # stop() and the container's start exclude each other: a kill sent while dockerd is still
        # starting the container is refused ("not running") and the run would go on to its limit.
        self._starting = threading.Lock()

    def stop(self, reason: str) -> None:
        """Kill the running team container now (another thread calls this, e.g. on a cancel);
        the outcome then says it was stopped, as a platform matter, never the team's fault."""
        with self._starting:
            self._stop_reason = reason
            container = self._container
        if container is not None:
            _kill_quietly(container)

    def run(
        self,
        image: str,
        input_dir,
        output_dir,
        limits: Limits,
        *,
        gpu: int | None = None,
        cpuset: str | None = None,
        env: dict[str, str] | None = None,
    ) -> RunOutcome:
        """Run `image` once on `input_dir`; regular files from its /output land in `output_dir`.
        Never raises for what the container does or Docker errors (the outcome says what happened
        and whose fault); ValueError only for caller mistakes (no input, non-empty output)."""
        total_start = time.perf_counter_ns()
        input_dir, output_dir = prepare_directories(input_dir, output_dir)
        worker_paths = (input_dir, output_dir, output_dir.parent)
        for attempt in (1, 2):
            outcome = RunOutcome(exit_code=None, duration_s=None)
            outcome.startup_overhead_s = self.startup_overhead_s
            created = []  # (kind, object) to remove in reverse order, whatever happens
            try:
                self._run(image, input_dir, output_dir, limits, gpu, cpuset, env, outcome, created)
            except (docker.errors.DockerException, requests.RequestException, OSError) as error:
                # The worker's own paths (its scratch folder, Docker's volumes) stay on the worker.
                text = without_worker_paths(_short(error), worker_paths)
                outcome.failure, outcome.fault = f"{ENGINE_FAILED}: {text}", PLATFORM
            finally:
                self._container = None
                for kind, thing in reversed(created):
                    _remove_quietly(kind, thing, outcome)
            # The engine failed before anything of the team's ran (seen under load): once more.
            if attempt == 2 or outcome.started_at or not outcome.failure.startswith(ENGINE_FAILED):
                break
        outcome.runner_total_s = (time.perf_counter_ns() - total_start) / 1e9
        if self._stop_reason:
            outcome.failure, outcome.fault = f"stopped: {self._stop_reason}", PLATFORM
        return outcome

    def _run(self, image, input_dir, output_dir, limits, gpu, cpuset, env, outcome, created):
        run_id = outcome.run_id = uuid.uuid4().hex[:12]
        declared = (self.client.images.get(image).attrs.get("Config") or {}).get("Volumes")
        try:
            declared_volume_tmpfs(declared, limits)
        except VolumeRefused as refusal:
            outcome.failure, outcome.fault = str(refusal), TEAM
            return
        input_volume = self._fill_input_volume(input_dir, run_id, created)
        volume = self.client.volumes.create(
            name=f"podium-output-{run_id}",
            driver="local",
            driver_opts=output_volume_options(limits),
            labels={LABEL: "output", OWNER_LABEL: self.owner},
        )
        created.append(("volume", volume))
        keeper = self.client.containers.create(
            self.helper_image,
            ["sleep", "infinity"],
            name=f"podium-keeper-{run_id}",
            **keeper_config(volume.name, self.owner),
        )
        created.append(("container", keeper))
        keeper.start()
        for attempt in (1, 2):
            deadline = self._start_deadline(run_id, limits, created)
            config = locked_down_config(
                limits,
                input_volume=input_volume.name,
                output_volume=volume.name,
                gpu=gpu,
                cpuset=cpuset,
                env=env,
                owner=self.owner,
                declared_volumes=declared,
                deadline_container=deadline.id,
            )
            try:
                container = self.client.containers.create(
                    image, name=f"podium-run-{run_id}", **config
                )
                created.append(("container", container))
                outcome.image_id = container.image.id if container.image else None
                exit_code, duration_ns = self._start_and_wait(container, limits, outcome)
                break
            except docker.errors.APIError as error:
                if attempt == 1 and _engine_lost_the_start(error):
                    # Nothing of the team's ran (the engine lost the start): start both again.
                    log.warning("run %s: the engine lost the start (%s); again", run_id, error)
                    for thing in (container, deadline):
                        created.remove(("container", thing))
                        _remove_quietly("container", thing, outcome)
                    continue
                if not _is_image_fault(error):
                    raise
                outcome.failure = (
                    f"the image could not be started: {_short(error.explanation or str(error))}; "
                    "check its ENTRYPOINT/CMD and that the program exists in the image"
                )
                outcome.fault = TEAM
                return
        outcome.exit_code = exit_code
        outcome.duration_s = duration_ns / 1e9
        outcome.measurements = (outcome.duration_s,)

        container.reload()
        state = container.attrs["State"]
        if exit_code != 0 and not outcome.timed_out and _has_exited(deadline):
            # The deadline keeper ended the run: the worker's own kill did not come in time.
            outcome.timed_out = True
        outcome.oom_killed = bool(state.get("OOMKilled"))
        outcome.docker_duration_s = docker_duration_s(
            state.get("StartedAt"), state.get("FinishedAt")
        )
        outcome.stdout = _tail(container, stdout=True)
        outcome.stderr = _tail(container, stdout=False)
        outcome.logs = combine_logs(outcome.stdout, outcome.stderr)

        try:
            chunks, _ = keeper.get_archive("/output")
            copied = copy_output_archive(chunks, output_dir, archive_bound(limits))
        except OutputTooLarge:
            copied = None
        judge(outcome, limits, copied)

    def _start_deadline(self, run_id: str, limits: Limits, created: list):
        """The run's deadline keeper, started before the run (which joins its PID namespace)."""
        deadline = self.client.containers.create(
            self.helper_image,
            ["sleep", f"{limits.time_limit_s + DEADLINE_GRACE_S:.3f}"],
            name=f"podium-deadline-{run_id}",
            **deadline_config(self.owner),
        )
        created.append(("container", deadline))
        deadline.start()
        return deadline

    def _fill_input_volume(self, input_dir: Path, run_id: str, created: list):
        """The run's /input as a volume of its own, copied from `input_dir` (outside the timed
        window): files readable by everyone, owned by root, so the run cannot change them."""
        volume = self.client.volumes.create(
            name=f"podium-input-{run_id}",
            driver="local",
            labels={LABEL: "input", OWNER_LABEL: self.owner},
        )
        created.append(("volume", volume))
        filler = self.client.containers.create(
            self.helper_image,
            ["true"],
            name=f"podium-input-filler-{run_id}",
            **input_filler_config(volume.name, self.owner),
        )
        try:
            with tempfile.TemporaryFile() as archive:
                with tarfile.open(fileobj=archive, mode="w") as tar:
                    tar.add(input_dir, arcname=".", filter=_public_read_only)
                archive.seek(0)
                if not filler.put_archive("/input", archive):
                    raise OSError(f"could not copy the input into {volume.name}")
        finally:
            filler.remove(force=True)
        return volume

    def _start_and_wait(self, container, limits: Limits, outcome: RunOutcome) -> tuple[int, int]:
        """Start the container and wait for it; the timed window is exactly start() .. wait()."""
        outcome.started_at = datetime.now(UTC)
        start = time.perf_counter_ns()
        with self._starting:
            if self._stop_reason:  # stopped while the container was being prepared
                return -1, 0
            self._container = container
            container.start()
        remaining = max(limits.time_limit_s - (time.perf_counter_ns() - start) / 1e9, 0.001)
        try:
            result = container.wait(timeout=remaining)
        except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
            elapsed = (time.perf_counter_ns() - start) / 1e9
            if elapsed < limits.time_limit_s * 0.99:
                raise  # the daemon went away; not the team's fault
            outcome.timed_out = True
            _kill_quietly(container)
            result = container.wait(timeout=DOCKER_GRACE_S)
        end = time.perf_counter_ns()
        self._container = None
        outcome.finished_at = datetime.now(UTC)
        return int(result.get("StatusCode", -1)), end - start

    def measure_startup_overhead(
        self, image: str | None = None, repeats: int = 5, *, cpuset: str | None = None
    ) -> StartupOverhead:
        """Time `true` in an otherwise identical locked-down container, `repeats` times.

        The result is remembered and copied into each later RunOutcome.startup_overhead_s.
        Raises docker errors: a worker that cannot start an empty container is broken.
        """
        timings = [self.time_probe(["true"], image=image, cpuset=cpuset) for _ in range(repeats)]
        measurements = [window for window, _ in timings]
        docker_values = [docker for _, docker in timings if docker is not None]
        overhead = StartupOverhead(
            median_s=statistics.median(measurements),
            measurements=tuple(measurements),
            docker_median_s=statistics.median(docker_values) if docker_values else None,
        )
        self.startup_overhead_s = overhead.median_s
        return overhead

    def time_probe(
        self,
        command: list[str],
        *,
        image: str | None = None,
        cpuset: str | None = None,
    ) -> tuple[float, float | None]:
        """Run a platform probe `command` locked down as a run would be, timed exactly as a run.

        Returns (the worker's start..exit window, dockerd's window) in seconds. Probes are the
        platform's own commands in the helper image (no input, no output); a probe that fails is
        a broken worker, so this raises instead of judging.
        """
        limits = Limits(
            time_limit_s=120, memory_mb=256, cpus=1, gpus=0, output_mb=1, tmp_mb=1, pids=16
        )
        with tempfile.TemporaryDirectory(prefix="podium-empty-input-") as empty:
            Path(empty).chmod(0o755)
            config = locked_down_config(
                limits,
                input_dir=Path(empty),
                output_volume=None,
                cpuset=cpuset,
                role="probe",
                owner=self.owner,
            )
            container = self.client.containers.create(image or self.helper_image, command, **config)
            try:
                start = time.perf_counter_ns()
                container.start()
                status = container.wait(timeout=limits.time_limit_s)
                window = (time.perf_counter_ns() - start) / 1e9
                if status.get("StatusCode") != 0:
                    raise RuntimeError(
                        f"probe {command[0]} exited with {status.get('StatusCode')}: "
                        + container.logs(tail=5).decode(errors="replace").strip()
                    )
                container.reload()
                state = container.attrs["State"]
                return window, docker_duration_s(state.get("StartedAt"), state.get("FinishedAt"))
            finally:
                container.remove(force=True, v=True)


# What dockerd says when the image itself cannot be started: the team's to fix, not ours.
# runc reports a missing or unrunnable program as `exec: "<path>": <reason>`.
_IMAGE_FAULTS = ('exec: "', "no command specified", "exec format error")


def _engine_lost_the_start(error: docker.errors.APIError) -> bool:
    return "cannot start a stopped process" in str(error.explanation or error)


def _is_image_fault(error: docker.errors.APIError) -> bool:
    if isinstance(error, docker.errors.ImageNotFound):
        return False  # the worker should have loaded or pulled it: a platform problem
    text = str(error.explanation or error).lower()
    return any(fragment in text for fragment in _IMAGE_FAULTS)


def _tail(container, *, stdout: bool) -> str:
    buffer = TailBuffer()
    for chunk in container.logs(stdout=stdout, stderr=not stdout, stream=True, follow=False):
        buffer.write(chunk)
    return buffer.text()


def _public_read_only(member: tarfile.TarInfo) -> tarfile.TarInfo | None:
    """Input files as the run sees them: root's, readable by all, links and specials dropped."""
    if not (member.isfile() or member.isdir()):
        return None
    member.uid = member.gid = 0
    member.uname = member.gname = "root"
    member.mode = 0o755 if member.isdir() else 0o644
    return member


def _has_exited(container) -> bool:
    try:
        container.reload()
    except docker.errors.NotFound:
        return True
    return container.status != "running"


def _kill_quietly(container) -> None:
    # APIError: it exited on its own between the timeout and the kill.
    with contextlib.suppress(docker.errors.APIError):
        container.kill()


def _remove_quietly(kind: str, thing, outcome: RunOutcome) -> None:
    try:
        # v=True: an anonymous volume Docker made for the container goes with it.
        thing.remove(force=True, v=True) if kind == "container" else thing.remove(force=True)
    except docker.errors.NotFound:
        pass
    except (docker.errors.DockerException, requests.RequestException) as error:
        outcome.notes.append(f"could not remove {kind} {getattr(thing, 'name', '')}: {error}")


def _short(error: Exception) -> str:
    # An OSError's text names the file it was about: a path on the worker, never shown.
    text = (
        f"{type(error).__name__}: {error.strerror}"
        if isinstance(error, OSError) and error.strerror
        else str(error)
    )
    return text if len(text) <= 500 else text[:500] + "..."
