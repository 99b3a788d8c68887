"""Who may see or do what: the one place pages, the API and reads ask.

Organisers are staff users. A team's work (runs, logs, scores, code) belongs to its members and
the organisers; scores of a phase are public once the phase shows them live or publishes them;
other teams' code is shared only as the competition says, after the phase (or a stage) ended.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.decorators import login_required, user_passes_test
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from competitions.models import Membership, Phase, Submission, Team

ORGANISERS_ONLY = "Only the organisers may see this page."


def is_organiser(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_staff)


def team_of(user) -> Team | None:
    if user is None or not user.is_authenticated:
        return None
    membership = Membership.objects.select_related("team").filter(user=user).first()
    return membership.team if membership else None


def is_member(user, team: Team) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return team.memberships.filter(user=user).exists()


def may_see_team_work(user, team: Team) -> bool:
    """A team's runs, logs, scores and code: its members and the organisers."""
    return is_organiser(user) or is_member(user, team)


@dataclass(frozen=True)
class BoardView:
    """What one viewer may see of a phase's results: the one answer the board, its version, the
    API, the CSV, the SVG, the huddle, the Hall of Fame and the notifications all ask.

    `cutoff`: a frozen board shows non-organisers only results finished by then (until the
    final board is published); None means everything finished so far. `as_of`: frozen for
    teams, the board is the phase's newest stored snapshot at or before then (reads.history),
    exactly as it stood, whatever was re-run or disqualified since.
    """

    organiser: bool
    scores_visible: bool
    cutoff: datetime | None = None
    as_of: datetime | None = None

    @property
    def frozen(self) -> bool:
        return self.cutoff is not None or self.as_of is not None

    @classmethod
    def organisers(cls) -> BoardView:
        """What organisers (and commands run by them) see: everything, live."""
        return cls(organiser=True, scores_visible=True)


def board_view(user, phase: Phase, *, as_organiser: bool = False) -> BoardView:
    """`user`'s view of `phase` (None: an anonymous visitor, the public)."""
    if as_organiser or is_organiser(user):
        return BoardView.organisers()
    unpublished = phase.published_at is None
    cutoff = phase.frozen_at if unpublished else None
    as_of = phase.teams_see_as_of if unpublished else None
    if as_of is not None and cutoff is not None:
        # A snapshot holds the organisers' rows: never one taken after the frozen cut-off.
        as_of = min(as_of, cutoff)
    return BoardView(
        organiser=False, scores_visible=phase.scores_public, cutoff=cutoff, as_of=as_of
    )


def may_see_scores(user, phase: Phase) -> bool:
    """A phase's scores, on boards and run pages: when the phase shows them, or to organisers."""
    return board_view(user, phase).scores_visible


def code_is_shared(submission: Submission, now=None) -> bool:
    """Another team's code is shared when the competition says so and its phase has ended for
    good (its close time passed, or the organisers ended it), or a stage of the phase closed
    after the code was submitted (even if the phase opened again); a reversible Close does not."""
    phase = submission.phase
    if not phase.competition.publish_code_after_close:
        return False
    if phase.has_ended(now or timezone.now()):
        return True
    return phase.stages.filter(closed_at__gte=submission.created_at).exists()


def may_download_code(user, submission: Submission) -> bool:
    if may_see_team_work(user, submission.team):
        return True
    return team_of(user) is not None and code_is_shared(submission)


def _organiser_or_forbidden(user) -> bool:
    if not is_organiser(user):
        raise PermissionDenied(ORGANISERS_ONLY)
    return True


def organiser_required(view):
    """Staff only: anonymous visitors are sent to log in, other users get 403 (Django's own
    `login_required` and `user_passes_test`, the page from templates/403.html)."""
    return login_required(user_passes_test(_organiser_or_forbidden)(view))
