"""Finishing an upload's check off the request: a run waits in "checking" until then.

The request that takes an upload checks its archive for PODIUM_UPLOAD_CHECK_INLINE_S at most
(competitions.services.submissions.submit_as): a bomb or a broken archive is refused at once.
An archive that needs longer (a real multi-GB image, or an archive built to be slow to read) is
stored, its attempt reserved, and its run left in "checking"; a worker reads the stored archive
to the end here, recording how far it has read on the submission (the team page and the API
show it). Passed: the run is queued like any other, and the image id the check found is
recorded when it read exactly the bytes whose sha256 was recorded at upload. Refused: the run
fails by the team's side with the same words an inline refusal gives, and the attempt is given
back, as it would be had the refusal come at once. Idempotent: a second delivery, or a check of
a run cancelled in the meantime, changes nothing.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from competitions.models import Run, Submission
from competitions.services import notifications
from competitions.services.queueing import enqueue_run_on_commit, send_check, unsent_or_lost
from competitions.services.uploads import check_upload
from evaluator.runner.read_progress import Progress, Throttled

log = logging.getLogger(__name__)

REFUSED = (
    Run.ARCHIVE_REFUSED + ": {problem}. The attempt was given back: it does not count against "
    "your limit."
)


def check_archive(run_id: int) -> str | None:
    """Check the stored archive of a run in "checking"; the status it ends in, None when the run
    was not waiting for a check (already checked, cancelled, gone).

    The stored file is read through the artifact store, so any machine with the store and the
    database can do this. A store that cannot be read leaves the run in "checking" (the
    reconcile sends the check again) and raises.
    """
    run = Run.objects.select_related("submission").filter(pk=run_id).first()
    if run is None or run.status != Run.Status.CHECKING:
        return None
    submission = run.submission
    with submission.image_archive.open("rb") as stored:
        record_progress(submission.pk)(0, submission.image_archive_bytes)
        check = check_upload(stored, progress=Throttled(record_progress(submission.pk)))
    problem = check.problem
    with transaction.atomic():
        run = Run.objects.select_for_update().get(pk=run_id)
        if run.status != Run.Status.CHECKING:
            return None  # cancelled while it was being read
        if problem:
            run.status = Run.Status.FAILED
            run.fault = Run.Fault.TEAM
            run.failure_reason = REFUSED.format(problem=problem.rstrip("."))
            run.finished_at = timezone.now()
            run.save(update_fields=["status", "fault", "failure_reason", "finished_at"])
            Submission.objects.filter(pk=run.submission_id).update(counts_as_attempt=False)
            notifications.notify_run_failed(run.pk)
        else:
            run.status = Run.Status.QUEUED
            run.enqueued_at = None
            run.save(update_fields=["status", "enqueued_at"])
            if check.passed:
                # The worker may load these bytes without scanning them again (executors), but
                # only when the check read the bytes whose sha256 was recorded at upload.
                Submission.objects.filter(
                    pk=submission.pk, image_archive_sha256=check.passed.sha256
                ).update(checked_image_id=check.passed.image_id)
            enqueue_run_on_commit(run)
    log.info("run %s: archive check done, %s", run_id, run.status)
    return run.status


def record_progress(submission_id: int) -> Progress:
    """Where the check's progress goes: the submission's row, which the web (another process,
    maybe another machine) reads for the team page and the API."""

    def record(done: int, total: int | None) -> None:
        Submission.objects.filter(pk=submission_id).update(
            archive_checked_bytes=done, image_archive_bytes=total
        )

    return record


def waiting_for_a_check():
    """Runs whose archive check has not finished, oldest first (the poll dispatcher's list)."""
    return Run.objects.filter(status=Run.Status.CHECKING).order_by("created_at", "pk")


def resend_lost_checks(now, requeue_after: timedelta) -> list[int]:
    """The reconcile's part: checks never sent (broker down) or sent longer ago than
    `requeue_after` (lost with their worker) are sent again; a duplicate changes nothing."""
    unchecked = waiting_for_a_check().filter(unsent_or_lost(now, requeue_after))
    return [pk for pk, queue in unchecked.values_list("pk", "queue") if send_check(pk, queue)]
