"""One debug run on this worker: the team's image, locked down and timed exactly as a scored run
(the competition's limits and repeats, the same executor), but on the public sample the how-to
page offers, so its whole log can go back to the team. Nothing here touches Run or Submission
bookkeeping: no attempt, no board.
"""

import logging
import os
import shutil
from pathlib import Path

from competitions.models import DebugRun
from competitions.services import debug_runs as service
from competitions.services.starter_kit import sample_input
from competitions.worker.context import RunFailed, WorkerContext
from competitions.worker.executors import Executor, executor_for
from competitions.worker.pipeline import DEFERRED, score_rows
from competitions.worker.splits import LocalSplit, unpack_once
from competitions.worker.timing import run_timed
from evaluator.contract import PredictionError, load_manifest, score_output
from evaluator.runner.limits import Limits
from evaluator.runner.outcome import RunOutcome

log = logging.getLogger(__name__)


def local_sample(competition, work_dir: Path) -> LocalSplit:
    """The how-to page's public sample (the same bytes), unpacked once in this worker's folder."""
    name = sample_input(competition)
    key = Path(name).name.removesuffix(".tar.gz")
    target = Path(work_dir) / "samples" / key
    if not (target / ".complete").exists():
        unpack_once(name, target)
    root = target / f"sample-{competition.slug}"
    return LocalSplit(
        key=key,
        input_dir=root / "input",
        gold_dir=root / "gold",
        manifest=load_manifest(root / "gold"),
    )


class _Recorded:
    """The executor, keeping each run's outcome (run_timed raises on the first failure, and the
    team wants that run's exit code)."""

    def __init__(self, executor: Executor):
        self.executor = executor
        self.outcomes: list[RunOutcome] = []

    def run(self, input_dir: Path, output_dir: Path, limits: Limits) -> RunOutcome:
        outcome = self.executor.run(input_dir, output_dir, limits)
        self.outcomes.append(outcome)
        return outcome

    def fingerprint(self) -> dict:
        return self.executor.fingerprint()

    def stop(self, reason: str) -> None:
        self.executor.stop(reason)

    def close(self) -> None:
        self.executor.close()


def evaluate_debug_run(debug_run_id: int, worker: WorkerContext) -> str | None:
    """Run one queued debug run: the status it ended in, None when it was not queued (a second
    delivery), DEFERRED when this worker cannot run images (left queued for one that can)."""
    if worker.waits_for(is_local_command=False):
        return DEFERRED
    debug_run = service.claim_debug_run(debug_run_id, worker.name)
    if debug_run is None:
        return None
    scratch = Path(worker.work_dir) / "debug" / f"{debug_run.pk}-{os.getpid()}"
    try:
        outcome = _run(debug_run, worker, scratch)
    except Exception:  # the platform's own fault: said without worker details
        log.exception("debug run %s: platform error", debug_run.pk)
        outcome = service.DebugOutcome(
            failure="the platform could not complete this debug run (its error is in the "
            "worker's log for the organisers); it is not counted against your limit: try again",
            fault=DebugRun.Fault.PLATFORM,
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    service.end_debug_run(debug_run, outcome)
    return DebugRun.objects.values_list("status", flat=True).get(pk=debug_run.pk)


def _run(debug_run: DebugRun, worker: WorkerContext, scratch: Path) -> service.DebugOutcome:
    competition = debug_run.competition
    sample = local_sample(competition, worker.work_dir)
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        executor = _Recorded(executor_for(debug_run, worker, scratch))
    except RunFailed as failure:
        return service.DebugOutcome(failure.reason, failure.fault, logs=failure.logs)
    try:
        try:
            timed = run_timed(
                executor,
                sample.input_dir,
                scratch,
                competition.limits(),
                repeats=competition.timing_repeats,
                gpu=worker.gpu,
            )
        except RunFailed as failure:
            last = executor.outcomes[-1] if executor.outcomes else None
            return service.DebugOutcome(
                failure=failure.reason,
                fault=failure.fault,
                exit_code=last.exit_code if last else None,
                runtime_s=last.duration_s if last else None,
                logs=failure.logs,
            )
        first = timed.outcomes[0]
        ran = {
            "exit_code": first.exit_code,
            "runtime_s": timed.runtime_s,
            "measurements": timed.measurements,
            "logs": first.logs,
        }
        try:
            scored = score_output(
                timed.first_output, sample.gold_dir, sample.manifest, competition.scoring_convention
            )
        except PredictionError as error:
            reason = "invalid predictions: " + "\n".join(error.problems)
            return service.DebugOutcome(failure=reason, fault=DebugRun.Fault.TEAM, **ran)
    finally:
        executor.close()
    return service.DebugOutcome(
        overall=scored.scores.overall, scores=[list(r) for r in score_rows(scored.scores)], **ran
    )
