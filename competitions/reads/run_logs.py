"""What a viewer may read of a run's output: its log and its failure reason.

Organisers read the whole log. A team reads its copy made when the run was stored, with every
line holding hidden input text taken out and bounded (competitions/worker/team_copy.py), and
nothing of the container's output on the final split until the phase has ended for good. The run
page, the API (and so the `podium` client) and the e-mails all ask here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from competitions.models import Run
from competitions.permissions import is_organiser
from evaluator.redaction import without_output
from evaluator.rules import LOGS_WAIT_FOR_END
from evaluator.runner.outcome import OUTPUT_QUOTE

WAITING = "the final split's logs are shown once the phase has ended"


@dataclass(frozen=True)
class ShownLog:
    text: str
    note: str = ""  # why nothing (or not everything) is shown


def output_waits(run: Run, now=None) -> bool:
    """Whether the team must wait for the phase's end to read anything the container printed."""
    phase = run.submission.phase
    return phase.split in LOGS_WAIT_FOR_END and not phase.has_ended(now or timezone.now())


def log_for(viewer, run: Run) -> ShownLog:
    if is_organiser(viewer):
        return ShownLog(run.logs)
    return team_log(run)


def team_log(run: Run) -> ShownLog:
    if output_waits(run):
        return ShownLog("", WAITING.capitalize() + ".")
    return ShownLog(run.team_logs, "Lines that hold text of the hidden split are not shown.")


def reason_for(viewer, run: Run) -> str:
    """The failure reason as `viewer` may read it (the stored one is already redacted)."""
    if is_organiser(viewer):
        return run.failure_reason
    return team_reason(run)


def team_reason(run: Run) -> str:
    if output_waits(run):
        return without_output(run.failure_reason, OUTPUT_QUOTE, WAITING)
    return run.failure_reason
