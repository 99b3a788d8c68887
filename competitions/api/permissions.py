"""The API asks competitions.permissions, like the pages: one rule for who may see what."""

from rest_framework.exceptions import NotFound

from competitions.models import Submission
from competitions.permissions import may_see_team_work


def may_see_submission(user, submission) -> bool:
    """A submission's details (run, logs, scores) belong to its team and the organisers."""
    return may_see_team_work(user, submission.team)


def submission_for(user, submission_id: int) -> Submission:
    """The submission if `user` may see it; another team's answers like a missing one (404), so
    its existence is not shared."""
    submission = (
        Submission.objects.select_related("team", "phase__competition")
        .filter(pk=submission_id)
        .first()
    )
    if submission is None or not may_see_submission(user, submission):
        raise NotFound(f"no submission {submission_id} of your team")
    return submission
