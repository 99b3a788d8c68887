"""The team's copy of a run's output, made once when the run is stored (evaluator/redaction.py).

The organisers' copy of the log stays whole; the team's has every line holding hidden input
text taken out and is bounded; the failure reason (which every page, email and the API show the
team) is redacted the same way, and the organisers' log keeps it whole.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from evaluator.redaction import bounded, redact, without_output
from evaluator.runner.outcome import OUTPUT_QUOTE

log = logging.getLogger(__name__)

NOT_CHECKED = "the container's last lines are not shown: the platform could not check them"


@dataclass(frozen=True)
class TeamCopy:
    reason: str  # safe for the team; stored as the run's failure reason
    logs: str  # the organisers' copy: whole, with the whole reason when it was redacted
    team_logs: str


def team_copy(split_input: Callable[[], Path | None], logs: str, reason: str = "") -> TeamCopy:
    """Redact `logs` and `reason` against the split whose input `split_input()` gives, asked
    only when there is output to redact (None: the split is not at hand, so nothing of the
    output is given to the team)."""
    if not logs and OUTPUT_QUOTE not in reason:
        return TeamCopy(reason, logs, "")
    input_dir = split_input()
    if input_dir is None:
        safe = _without_quote(reason)
        team_reason, team_logs = safe, ""
    else:
        try:
            team_reason, team_logs = redact([reason, logs], input_dir, quotes=[OUTPUT_QUOTE, None])
        except (OSError, ValueError) as error:  # a damaged split copy: give the team nothing
            log.warning("could not redact a run's output against %s: %s", input_dir, error)
            team_reason, team_logs = _without_quote(reason), ""
    organisers = logs
    if team_reason != reason:
        organisers = f"{logs}\n--- the failure reason in full ---\n{reason}\n"
    return TeamCopy(team_reason, organisers, bounded(team_logs))


def _without_quote(reason: str) -> str:
    return without_output(reason, OUTPUT_QUOTE, NOT_CHECKED)
