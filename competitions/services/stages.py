"""Closing a phase as a stage: the board as it stood, frozen with its winners, and the phase
closed; whether the stage's code is shared follows the competition's setting."""

from django.db import transaction
from django.utils import timezone

from competitions.models import Phase, Stage
from competitions.reads import boards
from competitions.reads.stages import fame_rows, team_members
from competitions.services import organiser as organiser_service
from evaluator import rules

BADGE_CHARS = Stage._meta.get_field("reward_badge").max_length


@transaction.atomic
def close_stage(phase: Phase, by, now=None, *, reward_points: int = 0, reward_badge="") -> Stage:
    """Close `phase` and record its board (as the organiser `by` sees it) as a stage, beside the
    board as everyone saw it at that moment (what the Hall of Fame may show before publication),
    with the points and badge its winner is given (none by default)."""
    if problem := rules.STAGE_REWARD["reward_points"].problem(reward_points):
        raise organiser_service.OrganiserActionRefused(problem)
    reward_badge = reward_badge.strip()
    if len(reward_badge) > BADGE_CHARS:
        raise organiser_service.OrganiserActionRefused(
            f"the badge is {len(reward_badge)} characters; give at most {BADGE_CHARS}"
        )
    board = boards.leaderboard(phase, viewer=by)
    if board.scores_hidden:
        raise organiser_service.OrganiserActionRefused(
            "only an organiser can close a stage (the scores are hidden from you)"
        )
    if not board.rows:
        raise organiser_service.OrganiserActionRefused(
            f"phase {phase.title!r} has no finished run to record; close it without a stage"
        )
    # Anonymous: the board's own visibility (hidden scores, a frozen cut-off) decides what it holds.
    public = boards.leaderboard(phase, viewer=None)
    members = team_members([row.team for row in board.rows])
    organiser_service.close_phase(phase)
    return Stage.objects.create(
        phase=phase,
        closed_at=now or timezone.now(),
        closed_by=by,
        metric=board.rule.metric if board.rule else "runtime",
        code_shared=phase.competition.publish_code_after_close,
        rows=fame_rows(board.rows, members),
        public_rows=fame_rows(public.rows, members),
        reward_points=reward_points,
        reward_badge=reward_badge,
    )
