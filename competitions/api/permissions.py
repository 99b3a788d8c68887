"""The API asks competitions.permissions, like the pages: one rule for who may see what."""

from competitions.permissions import may_see_team_work


def may_see_submission(user, submission) -> bool:
    """A submission's details (run, logs, scores) belong to its team and the organisers."""
    return may_see_team_work(user, submission.team)
