"""CSV downloads: a board as its viewer may see it, and a team's own attempts. The numbers are
the pages' own (each task's primary metric, named in the column), unrounded."""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

from django.http import HttpResponse

from competitions.permissions import board_view
from competitions.reads.boards import Board
from competitions.reads.figures import shown
from competitions.reads.run_logs import team_reason
from competitions.reads.runs import given_back_reason
from evaluator.registry import METRIC_LABELS, get_task


def task_column(task: str) -> str:
    """ "panx" -> "panx F1": the task and the metric its column holds."""
    return f"{task} {METRIC_LABELS[get_task(task).primary_metric]}"


def _number(value) -> str:
    return "" if value is None else repr(float(value))


def board_rows(board: Board) -> list[list[str]]:
    """The board's rows in its order, references last; while scores are hidden, only who has a
    result (what the page shows)."""
    if board.scores_hidden:
        return [["team", "result"]] + [
            [team, "hidden until the organisers publish the final board"]
            for team in board.hidden_teams
        ]
    header = ["rank", "score_rank", "team", "reference", "attempt"]
    header += [task_column(task) for task, _ in board.tasks]
    # `efficiency` is the figure the ranking used (the audit's median on an audited board, energy
    # on an energy board); runtime_s is the run's own median of its timed repeats.
    header += ["overall", "efficiency", "efficiency_unit", "efficiency_from"]
    header += ["runtime_s", "runtime_measurements_s", "energy_kwh", "moved", "reason"]
    # The overall score's 95% interval and the tie group (reads.uncertainty), blank without one.
    header += [
        "overall_low_95",
        "overall_high_95",
        "tie_group",
        "rank_band",
        "next_order_probability",
    ]
    rows = [header]
    for row in [*board.rows, *board.references]:
        reference = row.is_reference
        figure = shown(row, board.rule)
        rows.append(
            [
                "" if reference else str(row.final_rank),
                "" if reference else str(row.performance_rank),
                row.team,
                "yes" if reference else "no",
                str(row.attempt_number),
                *[_number(row.tasks.get(task)) for task, _ in board.tasks],
                _number(row.overall),
                _number(figure.value if figure else None),
                figure.unit if figure else "",
                figure.source if figure else ("set aside: other hardware" if row.set_aside else ""),
                _number(row.runtime_s),
                " ".join(_number(m) for m in row.runtime_measurements),
                _number(row.energy_kwh),
                "0" if reference else str(row.moved),
                "reference, not ranked" if reference else row.reason,
                _number(row.score_low),
                _number(row.score_high),
                "" if row.tie_group is None else str(row.tie_group),
                "" if reference else row.rank_band,
                _number(row.next_probability),
            ]
        )
    return rows


def attempts_rows(submissions) -> list[list[str]]:
    """One row per run of each submission (`reads.runs.team_runs`), newest first; a re-run's
    earlier runs are kept and say which run replaced them. Hidden scores stay blank."""
    tasks: list[str] = []
    for submission in submissions:
        for run in submission.runs.all():
            tasks += [s.task for s in run.headline_scores if s.task not in tasks]
    header = ["competition", "phase", "attempt", "counts", "submitted_at", "run", "status"]
    header += ["replaced_by_run", "failure_reason", "disqualified", "overall"]
    header += [task_column(task) for task in tasks] + ["runtime_s", "time_zone"]
    rows = [header]
    for submission in submissions:
        phase = submission.phase
        zone = phase.competition.timezone
        runs = list(submission.runs.all())
        reason = given_back_reason(submission, runs[0] if runs else None)
        successor = None
        for run in runs:
            hidden = not board_view(None, phase).scores_visible  # the team's own view
            scores = {} if hidden else {s.task: s.value for s in run.headline_scores}
            rows.append(
                [
                    phase.competition.slug,
                    phase.key,
                    str(submission.attempt_number),
                    reason or "yes",
                    submission.created_at.astimezone(ZoneInfo(zone)).isoformat(timespec="seconds"),
                    str(run.pk),
                    run.status,
                    str(successor.pk) if successor else "",
                    team_reason(run),  # the team's own CSV: as its pages show it
                    "yes" if submission.disqualified else "no",
                    "" if hidden else _number(run.overall_score),
                    *[_number(scores.get(task)) for task in tasks],
                    _number(run.runtime_s),
                    zone,
                ]
            )
            successor = run
    return rows


# A spreadsheet runs a cell starting with one of these as a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: str) -> str:
    """The cell as text a spreadsheet will not run: a leading quote before anything that starts
    like a formula. Numbers ("-2", "1.5e-3") are not formulas and stay numbers."""
    if not cell.startswith(FORMULA_STARTS):
        return cell
    try:
        float(cell)
    except ValueError:
        return "'" + cell
    return cell


def csv_response(rows: list[list[str]], filename: str) -> HttpResponse:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([[spreadsheet_safe(cell) for cell in row] for row in rows])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
