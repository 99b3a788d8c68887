"""May this team submit to this phase now, and what does a refusal answer: the one place the team
page, the web form, the API, the client's catalogue and `submit` ask.

A refusal is an exception with a status and a message for the team; `answer(refusal)` gives the
same HTTP status and words whichever door the submission came through.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from competitions.models import Phase, Submission, Team
from competitions.reads.organiser import split_state


class SubmissionRefused(ValueError):
    """A submission the rules do not allow; the message tells the team why and what to do."""

    status = 400
    prefix = "Submission refused"


class NotInTeam(SubmissionRefused):
    """The user is in no team, so there is no one to submit for."""

    status = 403
    prefix = "Not in a team"


class PhaseNotOpen(SubmissionRefused):
    """The phase does not accept submissions now (not yet open, closed or frozen)."""

    status = 403
    prefix = "Phase not open"


class SplitNotReady(PhaseNotOpen):
    """The phase is open by its switch and schedule, but its hidden split is not built and
    verified for the current data (prepare_splits): a run now would fail on the organisers' side."""

    status = 403
    prefix = "Phase not open yet"


class AttemptsExhausted(SubmissionRefused):
    """The team has no attempt left in this phase (or another submission took the last one)."""

    status = 409
    prefix = "No attempt left"


class ArchiveRefused(SubmissionRefused):
    """The uploaded image archive cannot run (checked before any attempt is used)."""

    status = 400
    prefix = "Image archive refused"


class ArtifactStoreUnavailable(SubmissionRefused):
    """The artifact store could not take the upload (full, unwritable); nothing was recorded."""

    status = 503
    prefix = "Upload not stored"


class SelectionNotOffered(SubmissionRefused):
    """The phase takes uploads only: its organisers did not allow selecting an earlier run."""

    status = 403
    prefix = "Select for final not offered"


class SelectionRefused(SubmissionRefused):
    """This run cannot be selected for the final (not the team's finished evaluation run, or the
    team has selected already)."""

    status = 409
    prefix = "Selection refused"


@dataclass(frozen=True)
class Answer:
    status: int
    message: str


def answer(refusal: SubmissionRefused) -> Answer:
    """The HTTP status and the sentence both the form and the API give for a refusal."""
    text = str(refusal).rstrip(".")
    return Answer(refusal.status, f"{refusal.prefix}: {text}.")


@dataclass(frozen=True)
class AttemptBudget:
    """A team's attempts in a phase: used (counting ones), the limit, given back (platform faults,
    cancels, and team faults where they do not count). A reference team is not limited."""

    limit: int | None
    used: int
    given_back: int

    @property
    def exempt(self) -> bool:
        return self.limit is None

    @property
    def left(self) -> int | None:
        return None if self.limit is None else max(0, self.limit - self.used)

    @property
    def exhausted(self) -> bool:
        return self.limit is not None and self.used >= self.limit


def attempt_budget(team: Team, phase: Phase) -> AttemptBudget:
    submissions = Submission.objects.filter(team=team, phase=phase)
    used = submissions.filter(counts_as_attempt=True).count()
    given_back = submissions.filter(counts_as_attempt=False).count()
    return AttemptBudget(None if team.is_reference else phase.max_attempts, used, given_back)


def attempts_used(team: Team, phase: Phase) -> int:
    return attempt_budget(team, phase).used


def attempts_left(team: Team, phase: Phase) -> int | None:
    return attempt_budget(team, phase).left


def phase_refusal(team: Team, phase: Phase, now=None) -> PhaseNotOpen | None:
    """Why the phase takes nothing from this team now (a reference team is exempt), or None.

    Open means open by the switch and the schedule *and* a hidden split verified for the current
    data, however the phase was opened (its schedule, the organiser's button, the admin): a
    team's run on a split that is not there would fail on the organisers' side.
    """
    now = now or timezone.now()
    if team.is_reference:
        return None
    if phase.accepts_submissions(now):
        if split_state(phase).ready:
            return None
        return SplitNotReady("the organisers are preparing this phase's data")
    opens = phase.opens if phase.opens and now < phase.opens else None
    return PhaseNotOpen(
        f"phase {phase.title!r} is not accepting submissions now"
        + (f" (it opens {opens:%Y-%m-%d %H:%M} UTC)" if opens else "")
    )


def no_attempts_left(team: Team, phase: Phase) -> AttemptsExhausted:
    return AttemptsExhausted(
        f"team {team.name} has used all {phase.max_attempts} attempts of phase {phase.title!r}; "
        "runs that fail through a platform fault (or a team fault, where the phase says they do "
        "not count) are given back"
    )


def refusal_now(team: Team, phase: Phase, now=None) -> SubmissionRefused | None:
    """May this team submit to this phase now? None, or the refusal it would get."""
    if (closed := phase_refusal(team, phase, now)) is not None:
        return closed
    if attempt_budget(team, phase).exhausted:
        return no_attempts_left(team, phase)
    return None


def one_image_problem(*, archive: bool, reference: bool, command: bool = False) -> str | None:
    """A submission hands in exactly one image: an uploaded archive, a pinned reference, or (the
    platform's own reference runs) a local command. The form, the API and `submit` ask this."""
    if archive + reference + command == 1:
        return None
    return (
        "give exactly one of: an image archive (the output of docker save) or an image "
        "reference pinned by digest (registry/name@sha256:...)"
    )
