"""`manage.py evaluate RUN_ID` / `--pending`: evaluate in the foreground, like the Celery task."""

import os
import signal
import sys
import threading
import time

from django.core.management.base import BaseCommand, CommandError

from competitions.models import Run, TimingAudit
from competitions.worker.audit import run_audit
from competitions.worker.context import WorkerContext
from competitions.worker.pipeline import defer_if_not_runnable, evaluate_run
from competitions.worker.startup import prepare_worker


def _exit_on_sigterm(signum, frame):
    # A SIGTERM (the demo stopping, a service manager) unwinds like Ctrl-C, so the runner's
    # clean-up (remove the container, kill the process group) runs before the worker exits.
    sys.exit(128 + signum)


def _parent_gone() -> bool:
    """A worker the demo started stops with it, even when the demo was killed outright (SIGKILL
    cannot be caught): the demo passes its pid, and an orphan is re-parented."""
    parent = os.environ.get("PODIUM_EXIT_WITH_PARENT")
    return bool(parent) and os.getppid() != int(parent)


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
        worker = WorkerContext.from_settings()
        if run_id is not None:
            if not Run.objects.filter(pk=run_id).exists():
                raise CommandError(f"there is no run {run_id}")
            self._evaluate(run_id, worker)
            return
        if watch:
            prepare_worker(worker)
            kind = "container images and" if worker.runner == "docker" else "only"
            self.stdout.write(
                f"worker {worker.name}: polling for queued runs ({kind} local commands)"
            )
        waiting_said: set[int] = set()
        while True:
            queued = list(
                Run.objects.filter(status=Run.Status.QUEUED)
                .order_by("created_at")
                .values_list("pk", flat=True)
            )
            ran = 0
            for pk in queued:
                # Only the runs this worker can execute are claimed; the others stay queued.
                if defer_if_not_runnable(pk, worker):
                    if pk not in waiting_said:
                        waiting_said.add(pk)
                        self.stdout.write(f"run {pk}: left queued for a Docker worker")
                    continue
                ran += 1
                self._evaluate(pk, worker)
            ran += self._audits(worker)
            if not watch:
                if not ran:
                    self.stdout.write("no queued runs this worker can execute")
                return
            if _parent_gone():
                self.stdout.write(f"worker {worker.name}: the process that started it is gone")
                return
            time.sleep(interval)

    def _audits(self, worker: WorkerContext) -> int:
        """Queued timing audits (the organiser page's action without a broker), one at a time."""
        done = 0
        for audit_id in TimingAudit.objects.filter(status=TimingAudit.Status.QUEUED).values_list(
            "pk", flat=True
        ):
            audit = run_audit(audit_id, worker)
            if audit is None:
                continue
            done += 1
            detail = audit.failure_reason or f"{audit.rounds} rounds"
            self.stdout.write(f"timing audit {audit.pk}: {audit.status} ({detail})")
        return done

    def _evaluate(self, run_id: int, worker: WorkerContext) -> None:
        status = evaluate_run(run_id, worker)
        run = Run.objects.get(pk=run_id)
        if status is None:
            self.stdout.write(f"run {run_id}: not taken (status {run.status}), skipped")
        elif run.status == Run.Status.FINISHED:
            self.stdout.write(
                self.style.SUCCESS(
                    f"run {run_id}: finished, overall {run.overall_score:.2f}, "
                    f"runtime {run.runtime_s:.2f} s"
                )
            )
        else:
            self.stdout.write(
                self.style.WARNING(f"run {run_id}: {run.status}: {run.failure_reason}")
            )
