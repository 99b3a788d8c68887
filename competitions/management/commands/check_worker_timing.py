"""`manage.py check_worker_timing`: how steady timings are on this worker, recorded."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from competitions.management.engine import docker_client_or_error
from competitions.worker import entry
from evaluator.runner.gpu import describe_clocks


class Command(BaseCommand):
    help = (
        "Time a fixed sleep and a fixed amount of CPU work, alternately, in locked-down containers "
        "on this worker's cores (PODIUM_CPUSET), and record the spread. Run it on each worker host "
        "after installing it; workers also run it at start (PODIUM_TIMING_CHECK_REPEATS). It also "
        "reports whether the worker's GPU (PODIUM_GPU) has locked clocks and persistence mode."
    )

    def add_arguments(self, parser):
        parser.add_argument("--repeats", type=int, default=10, help="measurements of each probe")
        parser.add_argument("--sleep", type=float, default=1.0, help="length of the sleep probe")
        parser.add_argument(
            "--fail-above",
            type=float,
            help="exit with an error when the spread (CV %%) is above this "
            "(default: PODIUM_TIMING_GOAL_CV_PERCENT)",
        )

    def handle(self, *args, repeats: int, sleep: float, fail_above=None, **options):
        import docker

        if repeats < 2:
            raise CommandError("--repeats must be at least 2: a spread needs two measurements")
        if sleep <= 0:
            raise CommandError("--sleep must be positive")
        client = docker_client_or_error()
        goal = settings.PODIUM_TIMING_GOAL_CV_PERCENT if fail_above is None else fail_above
        try:
            check = entry.check_worker_timing(
                entry.WorkerContext.from_settings(), repeats=repeats, sleep_s=sleep, client=client
            )
        except docker.errors.ImageNotFound:
            raise CommandError(
                f"the probe image {settings.PODIUM_STARTUP_PROBE_IMAGE} is missing: make images"
            ) from None
        self.stdout.write(entry.describe(check, goal))
        self.stdout.write("  " + describe_clocks(check.hardware))
        self.stdout.write(
            "  sleep windows (s): " + " ".join(f"{w:.3f}" for w in check.sleep_windows)
        )
        self.stdout.write(
            "  CPU-work windows (s): " + " ".join(f"{w:.3f}" for w in check.spin_windows)
        )
        if not check.meets(goal):
            raise CommandError(
                f"timings on this worker vary {check.cv_percent:.1f}% run to run, more than "
                f"{goal:g}%: efficiency ranks from it would be noise. Give the worker dedicated "
                "cores (PODIUM_CPUSET), stop other work on the host, and check again "
                "(docs/deploy.md, Timing quality)"
            )
        self.stdout.write(self.style.SUCCESS("timings on this worker are steady enough to rank"))
