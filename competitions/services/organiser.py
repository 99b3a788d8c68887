"""Organiser actions on a competition: open and close phases (reversible), end them for good,
freeze and publish boards, edit limits and the efficiency rule. Run actions (re-run, cancel,
disqualify) live in services.runs."""

from django.db import transaction
from django.utils import timezone

from competitions.models import Competition, EfficiencyRule, Phase
from competitions.reads.organiser import split_state
from competitions.services import notifications, snapshots


class OrganiserActionRefused(ValueError):
    """An action the phase's state does not allow; the message says why and what to do."""


def open_phase(phase: Phase, without_split: bool = False) -> Phase:
    if phase.ended_at:
        raise OrganiserActionRefused(f"phase {phase.title!r} has ended for good and stays closed")
    if phase.frozen_at:
        raise OrganiserActionRefused(
            f"phase {phase.title!r} is frozen; unfreeze it before opening it again"
        )
    if not split_state(phase).ready and not without_split:
        # Opened anyway, it still refuses teams (eligibility.phase_refusal) until the split is
        # verified; the organiser sees why the phase takes nothing.
        raise OrganiserActionRefused(
            f"phase {phase.title!r} has no verified hidden split for its current data; run "
            f"`manage.py prepare_splits {phase.competition.slug} --phase {phase.key}` first, "
            "or tick 'open without a verified split'"
        )
    Phase.objects.filter(pk=phase.pk).update(is_open=True)
    phase.is_open = True
    return phase


def close_phase(phase: Phase) -> Phase:
    Phase.objects.filter(pk=phase.pk).update(is_open=False)
    phase.is_open = False
    return phase


@transaction.atomic
def end_phase(phase: Phase, now=None) -> Phase:
    """End a phase for good: closed, and (where the competition says so) teams' code shared.
    Irreversible, so the organiser page asks for a confirmation first."""
    if phase.ended_at:
        raise OrganiserActionRefused(f"phase {phase.title!r} has already ended")
    phase.ended_at = now or timezone.now()
    phase.is_open = False
    Phase.objects.filter(pk=phase.pk).update(ended_at=phase.ended_at, is_open=False)
    return phase


def freeze_phase(phase: Phase, now=None) -> Phase:
    """Stop the board: no new submissions; non-organisers see scores as of now until publication."""
    if phase.frozen_at:
        raise OrganiserActionRefused(f"phase {phase.title!r} is already frozen")
    phase.frozen_at = now or timezone.now()
    Phase.objects.filter(pk=phase.pk).update(frozen_at=phase.frozen_at)
    return phase


def freeze_for_teams(phase: Phase, as_of=None, now=None) -> Phase:
    """Teams and the public see the board as it stood at `as_of` (now when not given): the
    newest snapshot at or before it; organisers go on seeing it live, and submissions go on."""
    now = now or timezone.now()
    as_of = as_of or now
    if as_of > now:
        raise OrganiserActionRefused(
            f"{as_of:%Y-%m-%d %H:%M} UTC is in the future; freeze the board as of now or earlier"
        )
    if as_of == now:
        snapshots.take_snapshot(phase, now)
    if not phase.snapshots.filter(taken_at__lte=as_of).exists():
        first = phase.snapshots.order_by("taken_at").first()
        raise OrganiserActionRefused(
            f"no snapshot of {phase.title!r}'s board was taken by {as_of:%Y-%m-%d %H:%M} UTC; "
            + (
                f"the earliest is from {first.taken_at:%Y-%m-%d %H:%M} UTC, choose a later moment"
                if first
                else "freeze it as of now instead"
            )
        )
    Phase.objects.filter(pk=phase.pk).update(teams_see_as_of=as_of)
    phase.teams_see_as_of = as_of
    return phase


def unfreeze_for_teams(phase: Phase) -> Phase:
    Phase.objects.filter(pk=phase.pk).update(teams_see_as_of=None)
    phase.teams_see_as_of = None
    return phase


def unfreeze_phase(phase: Phase) -> Phase:
    if phase.published_at:
        raise OrganiserActionRefused(
            f"phase {phase.title!r} is published; withdraw the publication first"
        )
    Phase.objects.filter(pk=phase.pk).update(frozen_at=None)
    phase.frozen_at = None
    return phase


@transaction.atomic
def publish_phase(phase: Phase, now=None) -> Phase:
    """Publish the final board: every score of the phase becomes visible to everyone.

    Publishing freezes the phase too (if it was not), so the published board cannot change under
    new submissions.
    """
    now = now or timezone.now()
    if phase.published_at:
        raise OrganiserActionRefused(f"phase {phase.title!r} is already published")
    phase.frozen_at = phase.frozen_at or now
    phase.published_at = now
    Phase.objects.filter(pk=phase.pk).update(frozen_at=phase.frozen_at, published_at=now)
    notifications.notify_board_published(phase.pk)
    return phase


def withdraw_publication(phase: Phase) -> Phase:
    Phase.objects.filter(pk=phase.pk).update(published_at=None)
    phase.published_at = None
    return phase


PHASE_ACTIONS = {
    "open": open_phase,
    "close": close_phase,
    "end": end_phase,
    "freeze": freeze_phase,
    "unfreeze": unfreeze_phase,
    "publish": publish_phase,
    "unpublish": withdraw_publication,
}


def update_limits(competition: Competition, values: dict) -> list[str]:
    """Set run limits (already validated by a form); returns the names of fields changed."""
    changed = [name for name, value in values.items() if getattr(competition, name) != value]
    for name in changed:
        setattr(competition, name, values[name])
    if changed:
        # data_config ({} for synthetic defaults) is not edited here and counts as "blank".
        competition.full_clean(exclude=["data_config"])
        competition.save(update_fields=[*changed, "updated_at"])
    return changed


def update_phase_rules(phase: Phase, values: dict) -> list[str]:
    changed = [name for name, value in values.items() if getattr(phase, name) != value]
    for name in changed:
        setattr(phase, name, values[name])
    if changed:
        phase.full_clean()
        phase.save(update_fields=changed)
        snapshots.snapshot_on_commit(phase.pk)
    return changed


def update_rule(competition: Competition, values: dict) -> EfficiencyRule:
    """Create or change the competition's efficiency rule (validated by the model's clean())."""
    rule = getattr(competition, "efficiency_rule", None) or EfficiencyRule(competition=competition)
    for name, value in values.items():
        setattr(rule, name, value)
    rule.full_clean()
    rule.save()
    for phase_id in competition.phases.values_list("pk", flat=True):
        snapshots.snapshot_on_commit(phase_id)
    return rule
