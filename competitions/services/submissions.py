"""Submitting a model: reserving an attempt atomically, storing the artifact, queueing a run."""

import contextlib
import hashlib
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone

from competitions.models import Phase, Run, Submission, Team, artifact_path
from competitions.permissions import team_of
from competitions.services import archive_store
from competitions.services.eligibility import (
    ArchiveRefused,
    ArtifactStoreUnavailable,
    AttemptsExhausted,
    NotInTeam,
    SubmissionRefused,
    attempt_budget,
    no_attempts_left,
    one_image_problem,
    phase_refusal,
    refusal_now,
)
from competitions.services.queueing import check_archive_on_commit, enqueue_run_on_commit
from competitions.services.uploads import check_upload
from competitions.spec import training_gpu_hours_problem
from evaluator.runner.artifacts import CheckTimeUp, ImageArchiveInfo
from evaluator.runner.image_names import ImageNameError, check_image_reference


@dataclass(frozen=True)
class Artifact:
    """What a team hands in: an uploaded `docker save` archive, or an image pinned by digest."""

    image_file: File | None = None
    image_ref: str = ""
    code_file: File | None = None
    trusted_command: list[str] | None = None
    # "Select for final": the image (and code) an earlier run of the team ran, as stored then;
    # nothing is uploaded or copied (services/final_selection.py builds it).
    selected_from: Run | None = None

    @classmethod
    def of_run(cls, run: Run) -> "Artifact":
        chosen = run.submission
        return cls(
            image_ref=chosen.image_ref,
            trusted_command=chosen.trusted_command,
            selected_from=run,
        )


def _check_image_ref(reference: str) -> str:
    try:
        check_image_reference(reference, settings.PODIUM_ALLOWED_REGISTRIES)
    except ImageNameError as error:
        raise SubmissionRefused(f"image reference refused: {error}") from None
    return reference.strip()


def may_submit(user, phase: Phase) -> Team:
    """The user's team, if the rules let it submit to this phase now; else the refusal.

    Cheap (no upload read): the API asks before parsing a possibly large body; `submit` checks
    again under the team's lock."""
    team = team_of(user)
    if team is None:
        raise NotInTeam("you are not a member of any team; ask the organisers to add you to one")
    if (refusal := refusal_now(team, phase)) is not None:
        raise refusal
    return team


def submit_as(
    user,
    phase: Phase,
    artifact: Artifact,
    *,
    description: str = "",
    training_gpu_hours: float | None = None,
    builds_on_shared_code: bool = False,
) -> Submission:
    """What the web form and the API both do once they have parsed their input: the user's team
    may submit, the archive can run, then `submit`.

    The request checks the archive for PODIUM_UPLOAD_CHECK_INLINE_S at most: a refusal within
    that time costs nothing and is answered at once; a longer check goes on off the request
    (the run waits in "checking": competitions.services.archive_checks)."""
    team = may_submit(user, phase)
    checking, passed = False, None
    try:
        check = check_upload(artifact.image_file, within_s=settings.PODIUM_UPLOAD_CHECK_INLINE_S)
        if check.problem:
            raise ArchiveRefused(check.problem)
        passed = check.passed
    except CheckTimeUp:
        checking = True
    return submit(
        team,
        phase,
        artifact,
        user=user,
        description=description,
        training_gpu_hours=training_gpu_hours,
        builds_on_shared_code=builds_on_shared_code,
        checking=checking,
        passed=passed,
    )


def _archive_digest(file: File | None, passed: ImageArchiveInfo | None) -> tuple[str, str]:
    """(sha256, checked image id) to record for an uploaded archive: a check that passed read
    the bytes once already and found the image; with none, the upload is hashed here and the
    image id left to the worker's own check."""
    if file is None:
        return "", ""
    if passed is not None and passed.sha256:
        return passed.sha256, passed.image_id
    return _sha256(file), ""


def _sha256(file: File) -> str:
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in file.chunks(1024 * 1024):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def submit(
    team: Team,
    phase: Phase,
    artifact: Artifact,
    *,
    user=None,
    description: str = "",
    training_gpu_hours: float | None = None,
    builds_on_shared_code: bool = False,
    checking: bool = False,
    passed: ImageArchiveInfo | None = None,
    now=None,
) -> Submission:
    """Reserve an attempt, store the artifact and queue one run; refused when no attempt is left.
    `checking`: the archive's check is not finished, the run waits for it (archive_checks).
    `passed`: what the platform's layer check found reading `artifact.image_file` to its end
    (its digest is recorded without reading the upload again, its image id as checked).

    The team row is locked for the reservation, so concurrent requests cannot exceed
    `max_attempts`; the unique (team, phase, attempt_number) constraint is the backstop.
    """
    now = now or timezone.now()
    if (closed := phase_refusal(team, phase, now)) is not None:
        raise closed
    chosen = artifact.selected_from.submission if artifact.selected_from else None
    problem = one_image_problem(
        archive=bool(artifact.image_file or (chosen and chosen.image_archive)),
        reference=bool(artifact.image_ref),
        command=artifact.trusted_command is not None,
    )
    if problem:
        raise SubmissionRefused(problem)
    if artifact.trusted_command is not None and not (
        team.is_reference or settings.PODIUM_ALLOW_UNTRUSTED_PROCESS_RUNS
    ):
        raise SubmissionRefused(
            "only platform reference submissions may run as a local process; teams submit images"
        )
    image_ref = _check_image_ref(artifact.image_ref) if artifact.image_ref else ""
    gpu_hours_problem = training_gpu_hours_problem(training_gpu_hours)
    if gpu_hours_problem:
        raise SubmissionRefused(gpu_hours_problem)
    archive_sha, checked_id = _archive_digest(artifact.image_file, passed)
    if chosen is not None:  # the stored files are the earlier attempt's: shared, never deleted
        archive_sha, checked_id = chosen.image_archive_sha256, chosen.checked_image_id

    if attempt_budget(team, phase).exhausted:
        raise no_attempts_left(team, phase)

    # Files go to the artifact store before the reservation, so a slow multi-GB copy never holds
    # the team's lock; a refused or failed reservation deletes them again.
    stored = Submission(team=team, phase=phase)
    storage = stored.image_archive.storage
    image_name = code_name = ""
    wrote_image = False  # a copy stored before for the same bytes is never removed here
    try:
        if artifact.image_file:
            image_name = archive_store.stored_copy(storage, artifact.image_file, archive_sha)
            if not image_name:
                image_name = _store(
                    storage,
                    archive_store.image_archive_name(artifact.image_file, archive_sha),
                    artifact.image_file,
                )
                wrote_image = True
        if artifact.code_file:
            code_name = _store(
                storage,
                artifact_path(stored, _name("code", artifact.code_file)),
                artifact.code_file,
            )
    except ArtifactStoreUnavailable:
        if wrote_image:
            archive_store.release_image_archive(storage, image_name)
        raise
    try:
        with transaction.atomic():
            Team.objects.select_for_update().get(pk=team.pk)
            if attempt_budget(team, phase).exhausted:
                raise no_attempts_left(team, phase)
            last = (
                Submission.objects.filter(team=team, phase=phase)
                .order_by("-attempt_number")
                .values_list("attempt_number", flat=True)
                .first()
            )
            submission = Submission.objects.create(
                team=team,
                phase=phase,
                attempt_number=(last or 0) + 1,
                image_archive=image_name or (chosen.image_archive.name if chosen else ""),
                image_archive_sha256=archive_sha,
                checked_image_id=checked_id,
                image_archive_bytes=artifact.image_file.size
                if artifact.image_file
                else (chosen.image_archive_bytes if chosen else None),
                image_ref=image_ref,
                code_archive=code_name or (chosen.code_archive.name if chosen else ""),
                selected_from=artifact.selected_from,
                trusted_command=artifact.trusted_command,
                description=description,
                training_gpu_hours=training_gpu_hours,
                builds_on_shared_code=builds_on_shared_code,
                submitted_by=user,
            )
            if checking and not image_name:
                checking = False  # only an uploaded archive is checked here
            run = Run.objects.create(
                submission=submission,
                queue=phase.competition.hardware_queue,
                status=Run.Status.CHECKING if checking else Run.Status.QUEUED,
            )
            (check_archive_on_commit if checking else enqueue_run_on_commit)(run)
    except BaseException as error:
        if wrote_image:
            archive_store.release_image_archive(storage, image_name)
        if code_name:
            storage.delete(code_name)
        if isinstance(error, IntegrityError):
            raise AttemptsExhausted(
                "another submission of your team was being recorded at the same moment; try again"
            ) from error
        raise
    return submission


def _store(storage, name: str, file: File) -> str:
    """Save one upload; a full or unwritable store refuses the submission and leaves nothing."""
    try:
        return storage.save(name, file)
    except OSError as error:
        # A disk that fills up mid-write leaves a partial file under the name asked for (names
        # are unique, or an image archive's digest that had no copy stored: this upload's).
        with contextlib.suppress(Exception):
            storage.delete(name)
        raise ArtifactStoreUnavailable(
            f"the platform could not store your upload ({error.strerror or error}); nothing was "
            "recorded and no attempt was used: try again later, and tell the organisers if it "
            "happens again"
        ) from error


def _name(kind: str, file: File) -> str:
    """A code archive's stored name (an image archive's is its digest: archive_store)."""
    original = (getattr(file, "name", "") or "").rsplit("/", 1)[-1]
    suffix = "." + original.split(".", 1)[1] if "." in original else ".zip"
    # A random part keeps names unique, so a failed save can remove exactly what it wrote.
    return f"{kind}-{timezone.now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}{suffix}"
