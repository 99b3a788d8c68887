"""The weekly digests and the board-change notices, read from the board's snapshots
(reads.history): a team member's rank and movement, who passed the team and why (the board's
own reason sentence, evaluator.ranking via the stored rows), attempts left and the next
deadline; the organisers' week (submissions, failures by fault class, teams yet to submit).
Each team's mail says only what the team's own board view shows (permissions.board_view); the
immediate notice on a new snapshot is services.rank_notices."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from competitions.models import DigestSent, NotificationPreference, Phase, Run, Submission, Team
from competitions.permissions import board_view
from competitions.reads.history import snapshot_at
from competitions.services import snapshots
from competitions.services.eligibility import attempt_budget
from competitions.services.notifications import Notice, recipients, send
from competitions.services.rank_notices import ordinal as _ordinal
from competitions.services.rank_notices import passer_line as _passer_line
from competitions.services.rank_notices import passers

WEEK = dt.timedelta(days=7)


def _team_moment(phase: Phase, now) -> dt.datetime | None:
    """The moment whose board the team sees (None: its scores are hidden from it)."""
    view = board_view(None, phase)
    if not view.scores_visible:
        return None
    return min(m for m in (now, view.as_of, view.cutoff) if m is not None)


@dataclass(frozen=True)
class Standing:
    phase: Phase
    rank: int | None
    before: int | None
    overall: float | None
    reason: str
    passed_by: list[dict]
    stored: bool = True  # False: no snapshot of the board yet


def standing(team: Team, phase: Phase, since, now) -> Standing | None:
    moment = _team_moment(phase, now)
    if moment is None:
        return None
    after = snapshot_at(phase, moment)
    if after is None:
        return Standing(phase, None, None, None, "", [], stored=False)
    before = snapshot_at(phase, min(since, moment))
    mine = next((r for r in after.rows if r["team"] == team.name), None)
    then = next((r for r in before.rows if r["team"] == team.name), None) if before else None
    return Standing(
        phase,
        mine["final_rank"] if mine else None,
        then["final_rank"] if then else None,
        mine["overall"] if mine else None,
        mine["reason"] if mine else "",
        passers(before, after, team.name),
    )


def _movement(s: Standing) -> str:
    if not s.stored:
        return "no snapshot of the board yet (one is taken at each change and hourly)"
    if s.rank is None:
        return "not on the board yet"
    if s.before is None:
        return f"{_ordinal(s.rank)} (new on the board since the last digest)"
    if s.before == s.rank:
        return f"{_ordinal(s.rank)} (unchanged)"
    way = "up" if s.rank < s.before else "down"
    return f"{_ordinal(s.rank)} ({way} {abs(s.before - s.rank)} from {_ordinal(s.before)})"


def _deadline(phase: Phase, now) -> str:
    if phase.closes and phase.closes > now:
        return f"{phase.closes:%Y-%m-%d %H:%M} UTC (the phase closes)"
    return "none set"


def team_phases(team: Team, now) -> list[Phase]:
    """The phases a team's digest covers: not ended, where it submitted or may submit now."""
    phases = Phase.objects.filter(ended_at__isnull=True).select_related("competition")
    return [
        p
        for p in phases
        if p.accepts_submissions(now) or Submission.objects.filter(team=team, phase=p).exists()
    ]


def team_digest(team: Team, since, now) -> Notice | None:
    parts = []
    for phase in team_phases(team, now):
        title = f"{phase.competition.title} — {phase.title}"
        budget = attempt_budget(team, phase)
        left = "no limit" if budget.left is None else str(budget.left)
        s = standing(team, phase, since, now)
        lines = [title]
        if s is None:
            lines.append("Scores of this phase are hidden until the organisers publish them.")
        else:
            lines.append(f"Your rank: {_movement(s)}")
            if s.reason:
                lines.append(f"Why (as the board says): {s.reason}")
            if s.passed_by:
                lines.append("Passed you since the last digest:")
                lines += [_passer_line(row) for row in s.passed_by]
        lines.append(f"Attempts left: {left}")
        lines.append(f"Next deadline: {_deadline(phase, now)}")
        board = reverse("leaderboard", args=[phase.competition.slug, phase.key])
        lines.append(f"Board: {settings.PODIUM_SITE_URL}{board}")
        parts.append("\n".join(lines))
    if not parts:
        return None
    body = f"Your team's week ({team.name}), since {since:%Y-%m-%d %H:%M} UTC.\n\n"
    return Notice(f"[Podium] Weekly digest for {team.name}", body + "\n\n".join(parts))


def organiser_digest(since, now) -> Notice | None:
    phases = list(Phase.objects.filter(ended_at__isnull=True).select_related("competition"))
    if not phases:
        return None
    parts = []
    for phase in phases:
        submitted = Submission.objects.filter(phase=phase, created_at__gte=since)
        failed = Run.objects.filter(
            submission__phase=phase, status=Run.Status.FAILED, finished_at__gte=since
        )
        faults = Counter(
            Run.Fault(f).label if f else "unknown" for f in failed.values_list("fault", flat=True)
        )
        silent = (
            Team.objects.filter(is_reference=False)
            .exclude(submissions__phase=phase)
            .order_by("name")
            .values_list("name", flat=True)
        )
        lines = [
            f"{phase.competition.title} — {phase.title}",
            f"Submissions this week: {submitted.count()}",
            "Failures by fault class: "
            + (", ".join(f"{label} {n}" for label, n in sorted(faults.items())) or "none"),
            "Teams that have not submitted: " + (", ".join(silent) or "none"),
        ]
        parts.append("\n".join(lines))
    body = f"The organisers' week, since {since:%Y-%m-%d %H:%M} UTC.\n\n" + "\n\n".join(parts)
    return Notice("[Podium] Weekly organisers' digest", body)


def _organisers() -> list[str]:
    opted_out = NotificationPreference.objects.filter(email_opt_out=True).values("user_id")
    staff = get_user_model().objects.filter(is_staff=True, is_active=True).exclude(email="")
    return sorted(set(staff.exclude(pk__in=opted_out).values_list("email", flat=True)))


def _since(team: Team | None, now) -> dt.datetime:
    last = DigestSent.objects.filter(team=team).order_by("-sent_at").first()
    return last.sent_at if last else now - WEEK


def send_digests(now=None, *, dry_run: bool = False) -> list[tuple[Notice, list[str]]]:
    """Every team's digest to its members who did not opt out, and the organisers' digest; each
    sent one is recorded (the next digest counts movement from it). `dry_run`: build, send none."""
    now = now or timezone.now()
    if not dry_run:  # the boards as they stand now are stored first (a dry run writes nothing)
        snapshots.take_all(now)
    planned = []
    for team in Team.objects.filter(is_reference=False, memberships__isnull=False).distinct():
        notice = team_digest(team, _since(team, now), now)
        if notice is not None:
            planned.append((team, notice, recipients([team])))
    notice = organiser_digest(_since(None, now), now)
    if notice is not None:
        planned.append((None, notice, _organisers()))
    if not dry_run:
        for team, notice, to in planned:
            if to:
                send(notice, to)
                DigestSent.objects.create(team=team, sent_at=now, recipients=len(to))
    return [(notice, to) for _, notice, to in planned]
