"""Debug runs: a team's image run on the public sample by the competition's own worker, to see
why it fails there. No attempt is used and nothing reaches a board; each team may start
`debug_runs_per_window` of them in any `debug_window_s` (evaluator/rules.py, per competition).
"""

from __future__ import annotations

import contextlib
import math
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from competitions.durations import duration_words
from competitions.models import Competition, DebugRun, Submission, Team
from competitions.models.debug_runs import debug_artifact_path
from competitions.permissions import team_of
from competitions.services.eligibility import (
    ArchiveRefused,
    ArtifactStoreUnavailable,
    NotInTeam,
    SubmissionRefused,
    one_image_problem,
)
from competitions.services.queueing import send_debug_run
from competitions.services.retention import removed_archive_problem
from competitions.services.runs import LOG_LIMIT, bound_reason
from competitions.services.uploads import check_upload
from evaluator.runner.artifacts import CheckTimeUp
from evaluator.runner.image_names import ImageNameError, check_image_reference


class DebugRunRefused(SubmissionRefused):
    prefix = "Debug run refused"


class DebugRunTooSoon(DebugRunRefused):
    """The team started its allowance of debug runs within the window: wait `retry_after_s`."""

    status = 429
    prefix = "Too many debug runs"

    def __init__(self, message: str, retry_after_s: int):
        super().__init__(message)
        self.retry_after_s = retry_after_s


def _counted(team: Team, competition: Competition, since):
    """The debug runs the limit counts: those the platform did not lose (a platform fault is
    never held against the team)."""
    return (
        DebugRun.objects.filter(team=team, competition=competition, created_at__gt=since)
        .exclude(fault=DebugRun.Fault.PLATFORM)
        .order_by("-created_at")
    )


def wait_before_next(team: Team, competition: Competition, now=None) -> int:
    """Whole seconds until this team may start another debug run here (0: now)."""
    now = now or timezone.now()
    window = timedelta(seconds=competition.debug_window_s)
    allowed = competition.debug_runs_per_window
    recent = list(_counted(team, competition, now - window).values_list("created_at", flat=True))
    if len(recent) < allowed:
        return 0
    # The run that must leave the window first: the allowed-th newest.
    frees_at = recent[allowed - 1] + window
    return max(1, math.ceil((frees_at - now).total_seconds()))


def too_soon(team: Team, competition: Competition, now=None) -> DebugRunTooSoon | None:
    wait = wait_before_next(team, competition, now)
    if not wait:
        return None
    allowed = competition.debug_runs_per_window
    runs = "one debug run" if allowed == 1 else f"{allowed} debug runs"
    return DebugRunTooSoon(
        f"your team may start {runs} every {duration_words(competition.debug_window_s)} in "
        f"{competition.title}; try again in {duration_words(wait)}",
        wait,
    )


def may_debug(user, competition: Competition, now=None) -> Team:
    """The user's team if it may start a debug run now; else the refusal. Cheap (no upload read):
    the API asks before parsing the body."""
    team = team_of(user)
    if team is None:
        raise NotInTeam("you are not a member of any team; ask the organisers to add you to one")
    if (refusal := too_soon(team, competition, now)) is not None:
        raise refusal
    return team


@dataclass(frozen=True)
class DebugImage:
    """What a debug run runs: an uploaded archive, a pinned reference, or a submission's image."""

    image_file: File | None = None
    image_ref: str = ""
    submission_id: int | None = None


def _of_submission(team: Team, competition: Competition, submission_id: int) -> Submission:
    submission = Submission.objects.filter(
        pk=submission_id, team=team, phase__competition=competition
    ).first()
    if submission is None:
        raise DebugRunRefused(
            f"your team has no submission {submission_id} in {competition.title}; give one of "
            "your team's submission numbers (the team page lists them)"
        )
    if submission.trusted_command:
        raise DebugRunRefused("a local-command reference submission cannot be debugged")
    if problem := removed_archive_problem(submission):
        raise DebugRunRefused(problem + "; upload the archive again instead")
    return submission


def request_debug_run(user, competition: Competition, image: DebugImage, now=None) -> DebugRun:
    """What the form and the API both do: check, store the archive, record and queue the run."""
    team = may_debug(user, competition, now)
    given = one_image_problem(
        archive=image.image_file is not None,
        reference=bool(image.image_ref),
        command=image.submission_id is not None,
    )
    if given:
        raise DebugRunRefused(given.rstrip() + ", or the number of one of your submissions")
    fields: dict = {}
    if image.submission_id is not None:
        submission = _of_submission(team, competition, image.submission_id)
        fields = {
            "submission": submission,
            "image_archive": submission.image_archive.name,
            "image_ref": submission.image_ref,
        }
    elif image.image_ref:
        try:
            check_image_reference(image.image_ref, settings.PODIUM_ALLOWED_REGISTRIES)
        except ImageNameError as error:
            raise DebugRunRefused(f"image reference refused: {error}") from None
        fields = {"image_ref": image.image_ref.strip()}
    else:
        try:
            problem = check_upload(
                image.image_file, within_s=settings.PODIUM_UPLOAD_CHECK_INLINE_S
            ).problem
        except CheckTimeUp:
            problem = None  # a debug run is never an attempt: the worker's check has the last word
        if problem:
            raise ArchiveRefused(problem)
        fields = {"image_archive": _store(team, competition, image.image_file)}
    try:
        with transaction.atomic():
            Team.objects.select_for_update().get(pk=team.pk)
            if (refusal := too_soon(team, competition, now)) is not None:
                raise refusal
            debug_run = DebugRun.objects.create(
                team=team,
                competition=competition,
                requested_by=user,
                queue=competition.hardware_queue,
                **fields,
            )
            transaction.on_commit(lambda: send_debug_run(debug_run.pk, debug_run.queue))
    except BaseException:
        if "submission" not in fields and fields.get("image_archive"):
            DebugRun.image_archive.field.storage.delete(fields["image_archive"])
        raise
    return debug_run


def _store(team: Team, competition: Competition, upload: File) -> str:
    storage = DebugRun.image_archive.field.storage
    suffix = ".tar.gz" if (upload.name or "").endswith((".tar.gz", ".tgz")) else ".tar"
    name = debug_artifact_path(
        DebugRun(team=team, competition=competition), f"image-{uuid.uuid4().hex[:12]}{suffix}"
    )
    try:
        return storage.save(name, upload)
    except OSError as error:
        with contextlib.suppress(Exception):
            storage.delete(name)
        raise ArtifactStoreUnavailable(
            f"the platform could not store your upload ({error.strerror or error}); nothing was "
            "recorded: try again later"
        ) from error


# --- The worker's bookkeeping -------------------------------------------------------------------


@dataclass
class DebugOutcome:
    """How a debug run ended, as the worker saw it."""

    failure: str = ""
    fault: str = ""
    exit_code: int | None = None
    runtime_s: float | None = None
    measurements: list[float] = field(default_factory=list)
    overall: float | None = None
    scores: list = field(default_factory=list)
    logs: str = ""


def claim_debug_run(debug_run_id: int, worker: str) -> DebugRun | None:
    """Take a queued debug run for this worker; None when another took it (or it ended)."""
    now = timezone.now()
    taken = DebugRun.objects.filter(pk=debug_run_id, status=DebugRun.Status.QUEUED).update(
        status=DebugRun.Status.RUNNING, worker=worker, started_at=now
    )
    if not taken:
        return None
    return DebugRun.objects.select_related("team", "competition").get(pk=debug_run_id)


def end_debug_run(debug_run: DebugRun, outcome: DebugOutcome) -> bool:
    """Record the outcome once (a debug run reconcile already failed keeps that); the uploaded
    archive is removed, a submission's stays."""
    reason, logs = bound_reason(outcome.failure, outcome.logs) if outcome.failure else ("", "")
    ended = DebugRun.objects.filter(pk=debug_run.pk, status=DebugRun.Status.RUNNING).update(
        status=DebugRun.Status.FAILED if outcome.failure else DebugRun.Status.FINISHED,
        failure_reason=reason,
        fault=outcome.fault if outcome.failure else "",
        exit_code=outcome.exit_code,
        runtime_s=outcome.runtime_s,
        runtime_measurements=outcome.measurements,
        overall_score=outcome.overall,
        scores=outcome.scores,
        logs=(logs or outcome.logs)[-LOG_LIMIT:],
        finished_at=timezone.now(),
    )
    if debug_run.owns_archive:
        with contextlib.suppress(Exception):
            debug_run.image_archive.storage.delete(debug_run.image_archive.name)
    return bool(ended)


def reconcile_debug_runs(now=None) -> list[int]:
    """Re-send queued debug runs the broker lost; fail those a dead worker left running (a
    platform fault: it does not count against the team's limit). The failed ids."""
    now = now or timezone.now()
    lost = DebugRun.objects.filter(
        status=DebugRun.Status.QUEUED,
        created_at__lt=now - timedelta(seconds=settings.PODIUM_REQUEUE_AFTER_S),
    )
    for debug_run_id, queue in lost.values_list("pk", "queue"):
        send_debug_run(debug_run_id, queue)
    failed = []
    running = DebugRun.objects.filter(status=DebugRun.Status.RUNNING).select_related("competition")
    for debug_run in running:
        competition = debug_run.competition
        longest = competition.time_limit_s * competition.timing_repeats
        if debug_run.started_at > now - timedelta(seconds=longest + settings.PODIUM_STALE_AFTER_S):
            continue
        outcome = DebugOutcome(
            failure="the worker stopped before the debug run ended (not your image's fault, "
            "and not counted against your debug-run limit): start another",
            fault=DebugRun.Fault.PLATFORM,
        )
        if end_debug_run(debug_run, outcome):
            failed.append(debug_run.pk)
    return failed
