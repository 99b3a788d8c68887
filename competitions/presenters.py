"""What pages show beyond raw reads: the board's chart data, its state in words, times in the
competition's zone, and the efficiency rule in words."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.safestring import mark_safe
from markdown_it import MarkdownIt

from competitions.models import Phase
from competitions.reads.boards import AttemptPoint, Board
from competitions.reads.figures import metric_of, shown
from evaluator.efficiency_rule import METRIC_TITLES


def in_zone(value: datetime | None, zone: str, seconds: bool = False) -> str:
    """A time as pages show it: 24-hour, in the competition's zone, labelled ("… 14:05 CET")."""
    if value is None:
        return "—"
    local = value.astimezone(ZoneInfo(zone))
    return local.strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z")


@dataclass(frozen=True)
class BoardState:
    """What a board is now, said truthfully: only a board that still takes results is "live"."""

    key: str  # live | not-open | closed | frozen | published
    words: str
    at: datetime | None = None  # when it became so (published, frozen, closed), if known


def board_state(phase: Phase, now: datetime) -> BoardState:
    if phase.published_at:
        return BoardState("published", "final board, published", phase.published_at)
    if phase.frozen_at:
        return BoardState("frozen", "frozen", phase.frozen_at)
    if phase.has_closed(now):
        closed_at = phase.closes if phase.closes and phase.closes <= now else None
        return BoardState(
            "closed", "closed to submissions · runs already queued may still finish", closed_at
        )
    if phase.opens and now < phase.opens:
        return BoardState("not-open", "not open yet · opens", phase.opens)
    return BoardState("live", "live · updates by itself")


def chart_data(board: Board, history: dict[str, list[AttemptPoint]]) -> dict:
    """Plain JSON for the two charts (and their tables): score per attempt over time, and each
    team's efficiency figure, exactly the one the ranking used (`reads.figures.shown`: the
    audit's median on an audited board, energy on an energy board), with the spread it came
    from. Rows without a ranked figure (unmeasured, or set aside) get no bar."""
    zone = board.phase.competition.timezone
    lines = [
        {
            "team": team,
            "reference": points[0].is_reference,
            "points": [
                {
                    "x": p.finished_at.isoformat(),
                    "when": in_zone(p.finished_at, zone),
                    "y": round(p.overall, 3),
                    "attempt": p.attempt_number,
                }
                for p in points
            ],
        }
        for team, points in sorted(history.items())
    ]
    bars = []
    for row in [*board.rows, *board.references]:
        figure = shown(row, board.rule)
        if figure is None:
            continue
        bonus = not row.is_reference and row.moved > 0
        bars.append(
            {
                "team": row.team,
                "attempt": row.attempt_number,
                "value": figure.value,
                "unit": figure.unit,
                "count": figure.count,
                "source": figure.source,
                "low": figure.low,
                "high": figure.high,
                "reference": row.is_reference,
                "bonus": bonus,
                "moved": row.moved if bonus else 0,
            }
        )
    metric = metric_of(board.rule)
    return {
        "lines": lines,
        "bars": bars,
        "zone": zone,
        "metric": metric,
        "metric_title": METRIC_TITLES[metric],
    }


def markdown_html(text: str) -> str:
    """Markdown as the site shows it (the contract, a competition's FAQ): CommonMark with tables,
    raw HTML escaped rather than passed through, so the output is safe to mark as such; long
    commands and wide tables scroll in their own box, never widening a phone's page."""
    html = MarkdownIt("commonmark", {"html": False}).enable("table").render(text)
    html = html.replace("<pre>", '<pre class="logs">').replace(
        "<table>", '<div class="table-wrap"><table>'
    )
    html = html.replace("</table>", "</table></div>")
    return mark_safe(html)  # noqa: S308 - escaped by markdown-it (html=False)


@functools.cache
def contract_html() -> str:
    """docs/submission-contract.md as HTML, the one text of the contract (the page and the repo)."""
    text = (Path(settings.BASE_DIR) / "docs/submission-contract.md").read_text(encoding="utf-8")
    # The page has its own title; the file's first heading would repeat it.
    text = text.split("\n", 1)[1] if text.startswith("# ") else text
    return markdown_html(text)
