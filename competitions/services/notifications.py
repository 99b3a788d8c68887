"""Emails to a team's members when their run ends, is re-run or disqualified, and when a board is
published. Each `notify_*` sends once the caller's transaction commits (never for a rolled-back
change), one message per person (no one sees another's address), skipping people who opted out.
A mail server that is down is logged, never raised: a run's bookkeeping must not fail for it."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.urls import reverse

from competitions.models import NotificationPreference, Phase, Run, Submission, Team
from competitions.permissions import board_view
from competitions.reads.run_logs import team_reason
from competitions.reads.runs import scores_by_task

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notice:
    subject: str
    body: str


def recipients(teams) -> list[str]:
    """Email addresses of the teams' active members who have one and did not opt out."""
    opted_out = NotificationPreference.objects.filter(email_opt_out=True).values("user_id")
    users = (
        get_user_model()
        .objects.filter(memberships__team__in=teams, is_active=True)
        .exclude(email="")
        .exclude(pk__in=opted_out)
        .order_by("email")
    )
    return list(dict.fromkeys(users.values_list("email", flat=True)))


def set_opt_out(user, opted_out: bool) -> None:
    NotificationPreference.objects.update_or_create(
        user=user, defaults={"email_opt_out": opted_out}
    )


def has_opted_out(user) -> bool:
    return NotificationPreference.objects.filter(user=user, email_opt_out=True).exists()


def send(notice: Notice, to: list[str]) -> int:
    if not to:
        return 0
    footer = (
        "\n\n--\nPodium. You receive this as a member of the team; to stop these emails, "
        f"untick them on your team page: {settings.PODIUM_SITE_URL}{reverse('team')}\n"
    )
    messages = [
        EmailMessage(notice.subject, notice.body + footer, settings.DEFAULT_FROM_EMAIL, [address])
        for address in to
    ]
    try:
        return get_connection(fail_silently=False).send_messages(messages) or 0
    except Exception:  # a mail server that is away must not fail the run's bookkeeping
        log.exception("could not send %r to %d people", notice.subject, len(to))
        return 0


def _after_commit(build, *args) -> None:
    def deliver():
        built = build(*args)
        if built is not None:
            notice, teams = built
            send(notice, recipients(teams))

    # robust: a failure while building or sending is logged, never raised into the caller.
    transaction.on_commit(deliver, robust=True)


def _run(run_id: int) -> Run | None:
    return (
        Run.objects.select_related("submission__team", "submission__phase__competition")
        .filter(pk=run_id)
        .first()
    )


def _what(run: Run) -> str:
    submission = run.submission
    phase = submission.phase
    return f"attempt {submission.attempt_number} in {phase.competition.title} — {phase.title}"


def _link(run: Run) -> str:
    return f"{settings.PODIUM_SITE_URL}{reverse('run', args=[run.pk])}"


def _scores_text(run: Run) -> str:
    # A team member's mail says what the team's own board view shows (never an organiser's).
    if not board_view(None, run.submission.phase).scores_visible:
        return "Scores of this phase are hidden until the organisers publish the final board."
    lines = [f"Overall: {run.overall_score:.2f}"]
    for task in scores_by_task(run):
        if task.average is not None:
            lines.append(f"  {task.title}: {task.metric} {task.average:.2f}")
    return "\n".join(lines)


def run_finished_notice(run_id: int):
    run = _run(run_id)
    if run is None or run.status != Run.Status.FINISHED:
        return None
    body = f"Run {run.pk} of {_what(run)} finished.\n\n{_scores_text(run)}\n\nDetails: {_link(run)}"
    return Notice(f"[Podium] Run {run.pk} finished", body), [run.submission.team]


def run_failed_notice(run_id: int):
    run = _run(run_id)
    if run is None or run.status != Run.Status.FAILED:
        return None
    counted = Submission.objects.filter(pk=run.submission_id, counts_as_attempt=True)
    given_back = not counted.exists()
    attempt = (
        "The attempt was given back: it does not count against your limit."
        if given_back
        else "The attempt counts against your limit (a failure through the team's side)."
    )
    body = (
        f"Run {run.pk} of {_what(run)} failed ({run.get_fault_display().lower()}).\n\n"
        f"Why: {team_reason(run)}\n\n{attempt}\n\nLogs and details: {_link(run)}"
    )
    return Notice(f"[Podium] Run {run.pk} failed", body), [run.submission.team]


def rerun_notice(run_id: int):
    run = _run(run_id)
    if run is None:
        return None
    earlier = run.submission.runs.filter(created_at__lt=run.created_at).order_by("-created_at")
    replaced = earlier.first()
    what = f"run {replaced.pk}" if replaced else "the earlier run"
    body = (
        f"The organisers re-ran {_what(run)}: run {run.pk} replaces {what} and is queued. "
        "The board uses the new run's result once it finishes; the old run's page stays, "
        f"with a link to the new one.\n\nFollow it: {_link(run)}"
    )
    return Notice(f"[Podium] Your attempt is re-run (run {run.pk})", body), [run.submission.team]


def disqualified_notice(submission_id: int, disqualified: bool):
    submission = (
        Submission.objects.select_related("team", "phase__competition")
        .filter(pk=submission_id)
        .first()
    )
    if submission is None:
        return None
    phase = submission.phase
    what = f"attempt {submission.attempt_number} in {phase.competition.title} — {phase.title}"
    if disqualified:
        subject = "[Podium] An attempt was disqualified"
        body = f"The organisers disqualified {what}. It no longer appears on the board."
    else:
        subject = "[Podium] An attempt was requalified"
        body = f"The organisers requalified {what}. It counts on the board again."
    body += f"\n\nYour team's page: {settings.PODIUM_SITE_URL}{reverse('team')}"
    return Notice(subject, body), [submission.team]


def board_published_notice(phase_id: int):
    phase = Phase.objects.select_related("competition").filter(pk=phase_id).first()
    if phase is None or phase.published_at is None:
        return None
    teams = Team.objects.filter(submissions__phase=phase).distinct()
    link = reverse("leaderboard", args=[phase.competition.slug, phase.key])
    body = (
        f"The organisers published the final board of {phase.competition.title} — "
        f"{phase.title}.\n\nSee it: {settings.PODIUM_SITE_URL}{link}"
    )
    return Notice(f"[Podium] {phase.title}: final board published", body), teams


def notify_run_finished(run_id: int) -> None:
    _after_commit(run_finished_notice, run_id)


def notify_run_failed(run_id: int) -> None:
    _after_commit(run_failed_notice, run_id)


def notify_rerun(run_id: int) -> None:
    _after_commit(rerun_notice, run_id)


def notify_disqualified(submission_id: int, disqualified: bool) -> None:
    _after_commit(disqualified_notice, submission_id, disqualified)


def notify_board_published(phase_id: int) -> None:
    _after_commit(board_published_notice, phase_id)
