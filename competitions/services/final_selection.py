"""Kaggle's "select for final": where a final phase allows it (`Phase.final_from_selection`), a
team spends its final attempt on the image of one of its finished evaluation runs instead of an
upload. The platform runs that same stored image on the final split; the selection goes through
the one submit path (`submissions.submit`) as just another source of the image."""

from __future__ import annotations

from dataclasses import dataclass

from competitions.models import Phase, Run, Submission, Team
from competitions.permissions import team_of
from competitions.services.eligibility import (
    NotInTeam,
    SelectionNotOffered,
    SelectionRefused,
    SubmissionRefused,
    answer,
    attempt_budget,
    refusal_now,
)
from competitions.services.submissions import Artifact, submit


def selectable_runs(team: Team, phase: Phase):
    """The team's finished, not disqualified runs in this competition's evaluation phases, newest
    first: what it may select for `phase`."""
    return (
        Run.objects.filter(
            submission__team=team,
            submission__phase__competition_id=phase.competition_id,
            submission__phase__split=Phase.Split.VALIDATION,
            submission__disqualified=False,
            status=Run.Status.FINISHED,
        )
        .select_related("submission__phase")
        .order_by("-finished_at", "-pk")
    )


def current_selection(team: Team, phase: Phase) -> Submission | None:
    """The team's selection for this phase that holds its attempt (one given back does not)."""
    return (
        Submission.objects.filter(
            team=team, phase=phase, selected_from__isnull=False, counts_as_attempt=True
        )
        .select_related("selected_from__submission__phase")
        .first()
    )


def selection_refusal(team: Team, phase: Phase, now=None) -> SubmissionRefused | None:
    """Why this team may not select a run for this phase now, or None: the setting, an earlier
    selection, then whatever refuses an upload (closed, data not ready, no attempt left)."""
    if not phase.final_from_selection:
        return SelectionNotOffered(
            f"phase {phase.title!r} takes uploaded images only: its organisers have not allowed "
            "selecting an earlier run for it"
        )
    if (earlier := current_selection(team, phase)) is not None:
        chosen = earlier.selected_from
        return SelectionRefused(
            f"team {team.name} has already selected run {chosen.pk} "
            f"({chosen.submission.phase.title} attempt {chosen.submission.attempt_number}) for "
            f"{phase.title!r}; a team selects once"
        )
    return refusal_now(team, phase, now)


def select_for_final(user, phase: Phase, run_id: int) -> Submission:
    """The user's team spends its attempt in `phase` on run `run_id`'s image; refused with a
    `SubmissionRefused` that says why (the same words for the page and the API)."""
    team = team_of(user)
    if team is None:
        raise NotInTeam("you are not a member of any team; ask the organisers to add you to one")
    if (refusal := selection_refusal(team, phase)) is not None:
        raise refusal
    run = selectable_runs(team, phase).filter(pk=run_id).first()
    if run is None:
        raise SelectionRefused(
            f"run {run_id} is not a finished evaluation run of team {team.name}; select one of "
            "your team's finished runs listed on your team page"
        )
    chosen = run.submission
    return submit(
        team,
        phase,
        Artifact.of_run(run),
        user=user,
        description=f"selected for the final: run {run.pk} "
        f"({chosen.phase.title} attempt {chosen.attempt_number})",
        training_gpu_hours=chosen.training_gpu_hours,
        builds_on_shared_code=chosen.builds_on_shared_code,
    )


@dataclass(frozen=True)
class Offer:
    """What the team page offers for a phase allowing selection: the runs one may select now
    (none while refused), the words of the attempt it uses, or the selection already made."""

    runs: list
    attempt_words: str
    selected: Submission | None
    refusal: str  # why nothing is offered now ("" when runs are offered or already selected)


def offer(team: Team, phase: Phase, now=None) -> Offer | None:
    """None where the phase does not allow selecting (the page shows nothing of it)."""
    if not phase.final_from_selection:
        return None
    selected = current_selection(team, phase)
    refusal = selection_refusal(team, phase, now)
    left = attempt_budget(team, phase).left
    words = (
        "no attempt limit (reference team)"
        if left is None
        else f"your team's one {phase.title} attempt"
        if phase.max_attempts == 1
        else f"one of your team's {left} {phase.title} attempts left"
    )
    runs = list(selectable_runs(team, phase)) if refusal is None else []
    said = "" if refusal is None or selected is not None else answer(refusal).message
    return Offer(runs, words, selected, said)
