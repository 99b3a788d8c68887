"""Retention of stored image archives: which ones the platform may remove, and removing them.

The decision is one pure function, `removal_reason`, over plain facts about every row that
references an archive (`Holder`). The store is shared by digest across teams and competitions
(services/archive_store.py), so an archive goes only when *every* reference to it may go:

- an attempt that was cancelled or given back, with nothing finished, idle for the grace period
  (`PODIUM_RETENTION_GRACE_DAYS`);
- after its competition ended (every phase ended, the last one at least the grace period ago),
  any attempt but the runs that count on its boards and the reference team's (the baseline the
  next edition pins, services/editions.py);
- never while a run or debug run that needs it is waiting or running.

Code archives are never removed: the competition's rules may share them after a stage closes
(`publish_code_after_close`, `Stage.code_shared`), and they are small. A removed archive leaves
its submission's row, runs and scores as they were, with `image_archive_removed_at` set.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from competitions.models import Competition, DebugRun, Phase, Run, Submission
from competitions.permissions import BoardView
from competitions.reads.counting import counting_runs, rule_of
from competitions.services.archive_store import release_image_archives


@dataclass(frozen=True)
class Holder:
    """One row referencing a stored archive, as the policy reads it."""

    label: str  # "Alpha #2 (xf/eval)", for the reason
    in_use: bool  # a run or debug run that needs it is waiting or running
    kept: bool = False  # counts on a board, or the reference team's: kept for good
    abandoned: bool = False  # cancelled or given back, nothing of it finished
    idle_since: datetime | None = None  # the last thing that happened to it
    competition_ended_at: datetime | None = None
    is_debug_run: bool = False  # an ended debug run never objects, never asks either


def removal_reason(holders: Sequence[Holder], now: datetime, grace: timedelta) -> str:
    """Why the archive these rows reference may be removed; "" when it must be kept."""
    reasons = []
    for holder in holders:
        if holder.in_use:
            return ""
        if holder.is_debug_run:
            continue
        if holder.kept:
            return ""
        ended = holder.competition_ended_at
        if ended is not None and now - ended >= grace:
            reasons.append(f"{holder.label}: competition ended {ended:%Y-%m-%d}, not counting")
        elif holder.abandoned and holder.idle_since and now - holder.idle_since >= grace:
            reasons.append(
                f"{holder.label}: cancelled or given back, idle since {holder.idle_since:%Y-%m-%d}"
            )
        else:
            return ""
    return "; ".join(reasons)


def phase_ended_at(phase: Phase, now: datetime) -> datetime | None:
    """When the phase ended for good (Phase.has_ended), None while it has not."""
    moments = [phase.ended_at] if phase.ended_at else []
    if phase.closes is not None and phase.closes <= now:
        moments.append(phase.closes)
    return min(moments) if moments else None


def competition_ended_at(phases: Sequence[Phase], now: datetime) -> datetime | None:
    """When the last of the competition's phases ended; None while one has not (or none exist)."""
    ends = [phase_ended_at(phase, now) for phase in phases]
    if not ends or any(end is None for end in ends):
        return None
    return max(ends)


def removed_archive_problem(submission: Submission) -> str:
    """What a re-run or a debug run of this submission is told once its archive was removed."""
    removed = submission.image_archive_removed_at
    if removed is None:
        return ""
    return (
        f"submission {submission.pk}'s image archive was removed by retention on {removed:%Y-%m-%d}"
    )


def grace_period() -> timedelta:
    return timedelta(days=settings.PODIUM_RETENTION_GRACE_DAYS)


@dataclass(frozen=True)
class Removal:
    name: str
    size: int  # bytes; 0 when the file was already gone
    reason: str


class _Competitions:
    """Per competition, once per pass: when it ended and which submissions count on its boards."""

    def __init__(self, now: datetime):
        self.now = now
        self._ended: dict[int, datetime | None] = {}
        self._counting: dict[int, set[int]] = {}

    def ended_at(self, competition_id: int) -> datetime | None:
        if competition_id not in self._ended:
            phases = list(Phase.objects.filter(competition_id=competition_id))
            self._ended[competition_id] = competition_ended_at(phases, self.now)
        return self._ended[competition_id]

    def counting(self, competition_id: int) -> set[int]:
        if competition_id not in self._counting:
            competition = Competition.objects.get(pk=competition_id)
            rule, view = rule_of(competition), BoardView.organisers()
            self._counting[competition_id] = {
                run["submission_id"]
                for phase in competition.phases.all()
                for run in counting_runs(phase, view, rule)
            }
        return self._counting[competition_id]


def _holders(names, competitions: _Competitions) -> dict[str, list[Holder]]:
    """Every row referencing each archive in `names` (a list or a subquery of names), read in a
    fixed number of queries however many archives there are."""
    submissions = list(
        Submission.objects.filter(image_archive__in=names).select_related(
            "team", "phase__competition"
        )
    )
    runs: dict[int, list[tuple]] = defaultdict(list)
    for submission_id, *facts in Run.objects.filter(
        submission__in=[submission.pk for submission in submissions]
    ).values_list("submission_id", "status", "created_at", "finished_at"):
        runs[submission_id].append(facts)
    holders: dict[str, list[Holder]] = defaultdict(list)
    for submission in submissions:
        statuses = {status for status, _, _ in runs[submission.pk]}
        moments = [submission.created_at]
        moments += [moment for _, *pair in runs[submission.pk] for moment in pair if moment]
        competition_id = submission.phase.competition_id
        ended = competitions.ended_at(competition_id)
        holders[submission.image_archive.name].append(
            Holder(
                label=f"{submission.team.name} #{submission.attempt_number} ({submission.phase})",
                in_use=bool(statuses & set(Run.ACTIVE)),
                kept=submission.team.is_reference
                or (ended is not None and submission.pk in competitions.counting(competition_id)),
                abandoned=Run.Status.FINISHED not in statuses
                and bool(statuses)
                and (not submission.counts_as_attempt or statuses == {Run.Status.CANCELLED}),
                idle_since=max(moments),
                competition_ended_at=ended,
            )
        )
    debug_runs = DebugRun.objects.filter(image_archive__in=names)
    for name, status in debug_runs.values_list("image_archive", "status"):
        holders[name].append(
            Holder(label="debug run", in_use=status in DebugRun.ACTIVE, is_debug_run=True)
        )
    return holders


def _size(storage, name: str) -> int:
    try:
        return storage.size(name)
    except (FileNotFoundError, OSError):
        return 0


def prune_archives(
    *, now: datetime | None = None, dry_run: bool = False, competition: str = ""
) -> list[Removal]:
    """Remove (or with `dry_run`, only list) the stored image archives the policy lets go,
    among those the submissions of `competition` (a slug; every competition when empty)
    reference. Idempotent: the rows of every candidate archive are locked, then each archive is
    decided and the rows of those that go are cleared in one transaction; the files are deleted
    after it commits. A fixed number of queries however many archives there are."""
    now = now or timezone.now()
    grace = grace_period()
    storage = Submission._meta.get_field("image_archive").storage
    candidates = Submission.objects.exclude(image_archive="")
    if competition:
        candidates = candidates.filter(phase__competition__slug=competition)
    names = candidates.values("image_archive")
    competitions = _Competitions(now)
    with transaction.atomic():
        if not dry_run:  # a run queued meanwhile either waits here or is seen below
            list(Submission.objects.select_for_update().filter(image_archive__in=names))
            list(Run.objects.select_for_update().filter(submission__image_archive__in=names))
        removed = []
        for name, holders in sorted(_holders(names, competitions).items()):
            if reason := removal_reason(holders, now, grace):
                removed.append(Removal(name=name, size=_size(storage, name), reason=reason))
        gone = [removal.name for removal in removed]
        if gone and not dry_run:
            cleared = {"image_archive": "", "image_archive_removed_at": now}
            Submission.objects.filter(image_archive__in=gone).update(**cleared)
            DebugRun.objects.filter(image_archive__in=gone).exclude(
                status__in=DebugRun.ACTIVE
            ).update(**cleared)
    if gone and not dry_run:
        release_image_archives(storage, gone)
    return removed
