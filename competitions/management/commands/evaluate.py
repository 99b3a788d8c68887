"""`manage.py evaluate RUN_ID` / `--pending [--watch]`: evaluate in the foreground, through the
worker's doors (the same code as the Celery worker)."""

import os
import signal
import sys
import threading

from django.core.management.base import BaseCommand, CommandError

from competitions.models import Run
from competitions.worker import entry


def _exit_on_sigterm(signum, frame):
    # A SIGTERM (the demo stopping, a service manager) unwinds like Ctrl-C, so the runner's
    # clean-up (remove the container, kill the process group) runs before the worker exits.
    sys.exit(128 + signum)


def _parent_alive() -> bool:
    """A worker the demo started stops with it, even when the demo was killed outright (SIGKILL
    cannot be caught): the demo passes its pid, and an orphan is re-parented."""
    parent = os.environ.get("PODIUM_EXIT_WITH_PARENT")
    return not parent or os.getppid() == int(parent)


class Command(BaseCommand):
    help = "Evaluate runs in the foreground through the same code as the Celery worker."

    def add_arguments(self, parser):
        parser.add_argument("run_id", nargs="?", type=int)
        parser.add_argument("--pending", action="store_true", help="evaluate every queued run")
        parser.add_argument(
            "--watch", action="store_true", help="with --pending: keep polling for new runs"
        )
        parser.add_argument("--interval", type=float, default=2.0)

    def handle(self, *args, run_id=None, pending=False, watch=False, interval=2.0, **options):
        if (run_id is None) == (not pending):
            raise CommandError("give a RUN_ID or --pending (not both)")
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, _exit_on_sigterm)
        worker = entry.WorkerContext.from_settings()
        if run_id is not None:
            if not Run.objects.filter(pk=run_id).exists():
                raise CommandError(f"there is no run {run_id}")
            self._one(run_id, worker)
            return
        if watch:
            entry.start(worker)
            kind = "container images and" if worker.runner == "docker" else "only"
            self.stdout.write(
                f"worker {worker.name}: polling for queued runs ({kind} local commands)"
            )
        report = entry.poll(
            worker, watch=watch, interval_s=interval, say=self._say, keep_going=_parent_alive
        )
        if watch:
            self.stdout.write(f"worker {worker.name}: the process that started it is gone")
        elif not (report.ran or report.audits):
            self.stdout.write("no queued runs this worker can execute")

    def _say(self, line: str) -> None:
        style = self.style.SUCCESS if ": finished," in line else self.style.WARNING
        self.stdout.write(style(line) if line.startswith("run ") else line)

    def _one(self, run_id: int, worker) -> None:
        status = entry.evaluate_one(run_id, worker)
        if status is None or status == entry.DEFERRED:
            status_now = Run.objects.values_list("status", flat=True).get(pk=run_id)
            self.stdout.write(f"run {run_id}: not taken (status {status_now}), skipped")
            return
        self._say(entry.describe_run(run_id))
