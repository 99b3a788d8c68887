"""One evaluation of a run on this worker: fetch, run locked down, time, score, record.

The Celery task and `manage.py evaluate` both call `evaluate_run`; it is safe to call twice for
the same run (only one claim succeeds) and it never raises for anything a team's container does.
"""

import logging
import os
import shutil
import threading
import time
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError

from competitions.models import Run, Submission
from competitions.services import runs as run_service
from competitions.worker.context import RunFailed, WorkerContext
from competitions.worker.executors import executor_for
from competitions.worker.splits import local_split
from competitions.worker.team_copy import team_copy
from competitions.worker.timing import SameAsFirst, run_timed
from evaluator import example_stats
from evaluator.canary_scoring import set_apart
from evaluator.contract import PredictionError, load_canaries, score_output
from evaluator.input_order import new_seed, shuffle_split
from evaluator.same_predictions import combined
from evaluator.scoring import Scores

log = logging.getLogger(__name__)


class Heartbeat:
    """Tells the database every few seconds that this worker still owns the run, and stops the
    run's executor within about a second once the run is no longer this worker's (cancelled by
    the team or the organisers, or taken back by reconcile)."""

    def __init__(self, run: Run, interval_s: float, check_s: float = 1.0):
        self.run, self.interval_s, self.check_s = run, interval_s, min(check_s, interval_s)
        self.executor = None  # set once the executor exists; stopped when the run is lost
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True, name=f"heartbeat-{run.pk}")

    def _beat(self) -> None:
        from django.db import connection

        since_beat = 0.0
        try:
            while not self._stop.wait(self.check_s):
                since_beat += self.check_s
                try:
                    if since_beat >= self.interval_s:
                        since_beat = 0.0
                        ours = run_service.heartbeat(self.run.pk, self.run.worker)
                    else:
                        ours = run_service.still_owned(self.run.pk, self.run.worker)
                except DatabaseError as error:
                    # The database is away for a moment: keep beating once it is back (a dropped
                    # connection stays broken until closed), or reconcile takes the run away.
                    log.warning("run %s: heartbeat not recorded: %s", self.run.pk, error)
                    connection.close()
                    continue
                if not ours:
                    self._lost()
                    return
        finally:
            connection.close()

    def _lost(self) -> None:
        reason = run_service.why_ended(self.run.pk)
        log.info("run %s is no longer ours (%s): stopping it", self.run.pk, reason)
        if self.executor is not None:
            self.executor.stop(reason)

    def __enter__(self) -> "Heartbeat":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


# What evaluate_run answers for a run this worker cannot execute (left queued for another).
DEFERRED = "deferred"


def evaluate_run(run_id: int, worker: WorkerContext | None = None) -> str | None:
    """Evaluate one run if it is still queued: the status it ended in, DEFERRED when this worker
    cannot execute it (left queued, saying what it waits for), None when it was not queued."""
    worker = worker or WorkerContext.from_settings()
    if defer_if_not_runnable(run_id, worker):
        return DEFERRED
    run = run_service.claim_run(run_id, worker.name)
    if run is None:
        log.info("run %s is not queued any more; nothing to do", run_id)
        return None
    scratch = Path(worker.work_dir) / "runs" / f"{run.pk}-{os.getpid()}"
    try:
        with Heartbeat(run, settings.PODIUM_HEARTBEAT_S) as beat:
            result = _evaluate(run, worker, scratch, beat)
    except RunFailed as failure:
        told = team_copy(lambda: _input_dir(run, worker), failure.logs, failure.reason)
        return run_service.fail_run(
            run, told.reason, failure.fault, told.logs, team_logs=told.team_logs
        )
    except Exception as error:  # the platform's own fault: never the team's attempt
        log.exception("run %s: platform error", run.pk)
        return run_service.fail_run(run, f"platform error: {error}", Run.Fault.PLATFORM)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if run_service.finish_run(run, result):
        return Run.Status.FINISHED
    return Run.objects.values_list("status", flat=True).get(pk=run.pk)


def _input_dir(run: Run, worker: WorkerContext) -> Path | None:
    """The split's input on this worker, to redact what the team reads (None: not at hand)."""
    try:
        return local_split(run.submission.phase, worker.work_dir).input_dir
    except Exception:  # the split itself failed to arrive: there is no output to redact
        log.exception("run %s: split not at hand for redaction", run.pk)
        return None


def defer_if_not_runnable(run_id: int, worker: WorkerContext) -> bool:
    """Leave a run this worker cannot execute queued, saying what it waits for; True if left."""
    command = Submission.objects.filter(runs__pk=run_id).values_list("trusted_command", flat=True)
    waits_for = worker.waits_for(is_local_command=bool(command.first()))
    if waits_for:
        run_service.note_waiting(run_id, waits_for)
    return bool(waits_for)


def _evaluate(
    run: Run, worker: WorkerContext, scratch: Path, beat: Heartbeat
) -> run_service.RunResult:
    submission: Submission = run.submission
    competition = submission.phase.competition
    split = local_split(submission.phase, worker.work_dir)
    scratch.mkdir(parents=True, exist_ok=True)
    # This run's own order and ids (recorded first, so organisers can rebuild what it saw).
    seed = new_seed()
    run_service.record_input_seed(run, seed)
    given = shuffle_split(split.input_dir, split.gold_dir, scratch / "given", seed)
    executor = executor_for(submission, worker, scratch)
    beat.executor = executor
    try:
        if not run_service.advance(run, Run.Status.RUNNING):
            raise RunFailed("the run was cancelled before it started", Run.Fault.PLATFORM)
        same_work = SameAsFirst(scratch / "output-1", split.manifest)
        started = time.monotonic()
        timed = run_timed(
            executor,
            given.input_dir,
            scratch,
            competition.limits(),
            repeats=competition.timing_repeats,
            energy=_wants_energy(competition),
            gpu=worker.gpu,
            same_work=same_work,
        )
        if run_service.is_cancelled(run.pk):
            raise RunFailed("the run was cancelled", Run.Fault.PLATFORM)
        timed_s = time.monotonic() - started
        run_service.advance(run, Run.Status.SCORING)
        started = time.monotonic()
        try:
            # Checked and scored against the gold in the team's order: messages name its lines.
            scored = score_output(
                timed.first_output, given.gold_dir, given.manifest, competition.scoring_convention
            )
        except PredictionError as error:
            # Every problem: fail_run keeps the first few hundred characters, the log the rest.
            reason = "invalid predictions: " + "\n".join(error.problems)
            raise RunFailed(reason, Run.Fault.TEAM, timed.outcomes[0].logs) from None
        scores = scored.scores
        # What the scored run predicted, so that an audit can tell a round that did this work.
        digest = same_work.scored
        stats = given.order.to_split_order(scored.stats)  # runs line up in the split's order
        # The canaries (in the split's own order) are scored apart and never on the board.
        scores, stats, canaries = set_apart(
            scored.scores, stats, load_canaries(split.gold_dir), competition.scoring_convention
        )
        fingerprint = {**executor.fingerprint(), "gpu_windows": timed.gpu_windows}
        steps = {
            **getattr(executor, "steps", {}),
            "timed_s": round(timed_s, 3),
            "scoring_s": round(time.monotonic() - started, 3),
        }
    finally:
        executor.close()
    return run_service.RunResult(
        overall=scores.overall,
        scores=score_rows(scores),
        runtime_s=timed.runtime_s,
        runtime_measurements=timed.kept,
        startup_overhead_s=timed.outcomes[0].startup_overhead_s,
        hardware=fingerprint,
        hardware_id=str(fingerprint.get("fingerprint_id", "")),
        logs=timed.outcomes[0].logs,
        team_logs=team_copy(lambda: split.input_dir, timed.outcomes[0].logs).team_logs,
        energy_kwh=timed.energy_kwh,
        energy_method=timed.energy_method,
        predictions_digest=combined(digest) if digest is not None else "",
        timing_flag=timed.flag,
        canaries={task: figures.as_json() for task, figures in canaries.items()},
        steps=steps,
        statistics=run_service.Statistics(
            data=example_stats.to_bytes(stats),
            split_key=split.key,
            convention=scores.convention,
            examples=sum(len(s) for s in stats.values()),
        ),
    )


def _wants_energy(competition) -> bool:
    """Energy is estimated when the organisers rank by it, or when the site asks for it always."""
    rule = getattr(competition, "efficiency_rule", None)
    return settings.PODIUM_MEASURE_ENERGY or (rule is not None and rule.metric == "energy")


def score_rows(scores: Scores) -> list[tuple[str, str, str, float]]:
    """Every metric per (task, language), and the task averages with language ""."""
    rows = [
        (task, language, metric, value)
        for (task, language), metrics in scores.per_language.items()
        for metric, value in metrics.items()
    ]
    rows += [
        (task, "", metric, value)
        for task, metrics in scores.task_metrics.items()
        for metric, value in metrics.items()
    ]
    return rows
