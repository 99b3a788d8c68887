"""What pages show beyond raw reads: the board's chart data and the efficiency rule in words."""

from __future__ import annotations

import functools
from pathlib import Path

from django.conf import settings
from django.utils.safestring import mark_safe
from markdown_it import MarkdownIt

from competitions.reads.boards import AttemptPoint, Board
from evaluator import ranking


def chart_data(board: Board, history: dict[str, list[AttemptPoint]]) -> dict:
    """Plain JSON for the two charts: score per attempt over time, and runtime per team."""
    lines = [
        {
            "team": team,
            "reference": points[0].is_reference,
            "points": [
                {
                    "x": p.finished_at.isoformat(),
                    "y": round(p.overall, 3),
                    "attempt": p.attempt_number,
                }
                for p in points
            ],
        }
        for team, points in sorted(history.items())
    ]
    bars = [
        {
            "team": row.team,
            "runtime": row.runtime_s,
            "low": min(row.runtime_measurements) if row.runtime_measurements else row.runtime_s,
            "high": max(row.runtime_measurements) if row.runtime_measurements else row.runtime_s,
            "reference": row.is_reference,
        }
        for row in [*board.rows, *board.references]
        if row.runtime_s is not None
    ]
    return {"lines": lines, "bars": bars}


def rule_in_words(rule: ranking.EfficiencyRule | None) -> str:
    """The efficiency rule as a sentence for teams."""
    if rule is None or not rule.bonus_places:
        return "Teams are ranked on their overall score alone; there is no efficiency bonus."
    nouns = ["most efficient", "second most efficient", "third most efficient"]
    figure = "lowest test-phase runtime" if rule.metric == "runtime" else "lowest measured energy"
    gains = []
    for i, places in enumerate(rule.bonus_places):
        who = nouns[i] if i < len(nouns) else f"{i + 1}th most efficient"
        gains.append(f"the {who} model may climb up to {places} place{'s' if places != 1 else ''}")
    better = "faster" if rule.metric == "runtime" else "more energy-efficient"
    return (
        f"After ranking on the overall score, efficiency ({figure}) earns a bonus: "
        + ", ".join(gains)
        + f". A model passes the team directly above it only if it is less than "
        f"{rule.max_score_gap:g} points behind it and more than {rule.min_efficiency_gap:.0%} "
        f"{better}, judged on its slowest and the other team's fastest timed run."
    )


@functools.cache
def contract_html() -> str:
    """docs/submission-contract.md as HTML, the one text of the contract (the page and the repo).

    Raw HTML in the file is escaped, not passed through: the output is safe to mark as such.
    """
    text = (Path(settings.BASE_DIR) / "docs/submission-contract.md").read_text(encoding="utf-8")
    # The page has its own title; the file's first heading would repeat it.
    text = text.split("\n", 1)[1] if text.startswith("# ") else text
    html = MarkdownIt("commonmark", {"html": False}).enable("table").render(text)
    # The site's scrolling blocks, so a long command or a wide table never widens a phone's page.
    html = html.replace("<pre>", '<pre class="logs">').replace(
        "<table>", '<div class="table-wrap"><table>'
    )
    html = html.replace("</table>", "</table></div>")
    return mark_safe(html)  # noqa: S308 - escaped by markdown-it (html=False)
