"""Debug runs as their team (and the organisers) read them; nobody else sees one."""

from competitions.models import Competition, DebugRun, Team
from competitions.permissions import may_see_team_work
from competitions.reads.runs import TaskResult, task_results

SHOWN_PER_COMPETITION = 20


def debug_run_for_viewer(debug_run_id: int, user) -> DebugRun | None:
    """A debug run, if `user` may see it: its team's members and the organisers."""
    debug_run = (
        DebugRun.objects.select_related("team", "competition", "submission__phase")
        .filter(pk=debug_run_id)
        .first()
    )
    if debug_run is None or not may_see_team_work(user, debug_run.team):
        return None
    return debug_run


def team_debug_runs(team: Team, competition: Competition) -> list[DebugRun]:
    """The team's latest debug runs in this competition, newest first (logs not loaded)."""
    return list(
        DebugRun.objects.filter(team=team, competition=competition)
        .defer("logs")
        .order_by("-created_at", "-pk")[:SHOWN_PER_COMPETITION]
    )


def debug_scores(debug_run: DebugRun) -> list[TaskResult]:
    """The sample's scores, labelled as on a run page."""
    return task_results([tuple(row) for row in debug_run.scores], debug_run.competition)
