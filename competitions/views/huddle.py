"""Pages for showing the competition to a room: a phase's huddle screen (standings with movement,
the charts, cycling by itself), its standings as an SVG for slides, and the Hall of Fame."""

import datetime as dt

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from competitions.pareto import pareto_chart
from competitions.presenters import chart_data
from competitions.reads import boards
from competitions.reads.editions import hall_of_fame as hall_of_fame_read
from competitions.reads.history import ranks_in, snapshot_at

DEFAULT_LOOKBACK = dt.timedelta(days=7)
PANEL_SECONDS = (15, 3, 300)  # default, least, most seconds a panel stays (?every=N)


def _panel_seconds(request) -> int:
    default, least, most = PANEL_SECONDS
    try:
        return min(max(int(request.GET.get("every", default)), least), most)
    except ValueError:
        return default


def _since(request) -> tuple[dt.datetime, str]:
    """The moment movement is counted from (?since=YYYY-MM-DD, midnight UTC; a week ago by
    default) and a note when the given date could not be read."""
    text = request.GET.get("since", "").strip()
    if text:
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            note = f"since={text!r} is not a date like 2026-11-20; showing movement over a week."
        else:
            return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC), ""
    else:
        note = ""
    return timezone.now() - DEFAULT_LOOKBACK, note


def _standings(request, slug, phase_key):
    phase = boards.phase_for(slug, phase_key)
    if phase is None:
        raise Http404(f"competition {slug} has no phase {phase_key}")
    since, note = _since(request)
    board = boards.leaderboard(phase, viewer=request.user)
    # The board as it stood then is its stored snapshot (exact after later re-runs and
    # disqualifications); before the first snapshot, it is rebuilt from the runs finished then.
    moment = min(since, board.as_of) if board.as_of else since
    stood = snapshot_at(phase, moment) if not board.scores_hidden else None
    if stood is not None:
        earlier = ranks_in(stood)
    else:
        then = boards.leaderboard(phase, viewer=request.user, before=since, with_uncertainty=False)
        earlier = {row.team: row.final_rank for row in then.rows}
        if not board.scores_hidden:
            note = (note + " " if note else "") + (
                "No snapshot of the board from then: movement is rebuilt from the runs "
                "finished by then."
            )
    standings = [
        {
            "row": row,
            "before": earlier.get(row.team),
            "change": None if row.team not in earlier else earlier[row.team] - row.final_rank,
        }
        for row in board.rows
    ]
    return phase, board, standings, since, note


@require_GET
def huddle(request, slug, phase_key):
    phase, board, standings, since, note = _standings(request, slug, phase_key)
    history = boards.attempt_history(phase, viewer=request.user)
    context = {
        "phase": phase,
        "competition": phase.competition,
        "board": board,
        "standings": standings,
        "since": since,
        "since_note": note,
        "charts": chart_data(board, history),
        "pareto": pareto_chart(board),
        "every": _panel_seconds(request),
    }
    return render(request, "competitions/huddle.html", context)


@require_GET
def standings_svg(request, slug, phase_key):
    """The standings as a picture for slides (same visibility as the board)."""
    phase, board, standings, since, _ = _standings(request, slug, phase_key)
    context = {
        "phase": phase,
        "board": board,
        "standings": [{**s, "y": 120 + 56 * i} for i, s in enumerate(standings)],
        "since": since,
        "height": 160 + 56 * max(len(standings), 1),
    }
    response = render(
        request, "competitions/huddle_standings.svg", context, content_type="image/svg+xml"
    )
    filename = f"{slug}-{phase_key}-standings.svg"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@require_GET
def hall_of_fame(request):
    return render(request, "competitions/hall_of_fame.html", {"groups": hall_of_fame_read()})
