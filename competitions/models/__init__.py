"""The competition domain: competitions, phases, rules, teams, submissions, runs and scores.

Invariants a form could miss are database constraints, so they hold for the admin, the API, the
YAML loader and the workers alike. One module per part; every model is importable from here.
"""

from competitions.models.audits import AuditMeasurement, TimingAudit
from competitions.models.competition import (
    TASK_CHOICES,
    Competition,
    CompetitionTask,
    EfficiencyRule,
    Phase,
    default_bonus_places,
    validate_timezone,
)
from competitions.models.debug_runs import DebugRun
from competitions.models.history import BoardSnapshot, DigestSent
from competitions.models.runs import Run, RunStatistics, Submission, TaskScore, artifact_path
from competitions.models.series import Series
from competitions.models.stages import Stage
from competitions.models.teams import Membership, NotificationPreference, Team
from competitions.models.workers import WorkerTimingCheck

__all__ = [
    "TASK_CHOICES",
    "AuditMeasurement",
    "BoardSnapshot",
    "Competition",
    "CompetitionTask",
    "DebugRun",
    "DigestSent",
    "EfficiencyRule",
    "Membership",
    "NotificationPreference",
    "Phase",
    "Run",
    "RunStatistics",
    "Series",
    "Stage",
    "Submission",
    "TaskScore",
    "Team",
    "TimingAudit",
    "WorkerTimingCheck",
    "artifact_path",
    "default_bonus_places",
    "validate_timezone",
]
