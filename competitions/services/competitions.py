"""Creating and updating a competition from its YAML specification, idempotently."""

import secrets
from dataclasses import dataclass, field

from django.db import transaction

from competitions.models import Competition, CompetitionTask, EfficiencyRule, Phase
from competitions.spec import CompetitionSpec


@dataclass
class LoadReport:
    competition: Competition
    created: bool
    changes: list[str] = field(default_factory=list)


def _apply(instance, values: dict, label: str, changes: list[str]) -> None:
    """Set fields that differ and record each change; save only when something changed (a new
    row is saved even when every value equals its default)."""
    changed = []
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed.append(name)
    if instance._state.adding and not changed:
        changed.append("created")
    if changed:
        instance.full_clean()
        instance.save()
        changes.append(f"{label}: {', '.join(changed)}")


def _fresh_seed() -> int:
    """A private canary seed: teams who knew it could make the canaries themselves."""
    return secrets.randbelow(2**62 - 1) + 1


@transaction.atomic
def load_competition(spec: CompetitionSpec) -> LoadReport:
    """Make the database match the spec. Loading the same spec twice changes nothing."""
    changes: list[str] = []
    competition = Competition.objects.filter(slug=spec.slug).first()
    created = competition is None
    if created:
        competition = Competition(slug=spec.slug)
    _apply(
        competition,
        {
            "title": spec.title,
            "description": spec.description,
            "faq": spec.faq,
            "timezone": spec.timezone,
            "data_config": spec.data.to_config(),
            "time_limit_s": spec.limits.time_limit_s,
            "memory_mb": spec.limits.memory_mb,
            "cpus": spec.limits.cpus,
            "gpus": spec.limits.gpus,
            "output_mb": spec.limits.output_mb,
            "timing_repeats": spec.timing.repeats,
            "debug_runs_per_window": spec.debug_runs.runs_per_window,
            "debug_window_s": spec.debug_runs.window_s,
            "canary_percent": spec.canaries.percent,
            "canary_minimum": spec.canaries.minimum,
            "canary_gap_points": spec.canaries.gap_points,
            "canary_seed": spec.canaries.seed or competition.canary_seed or _fresh_seed(),
            "hardware_queue": spec.hardware.queue,
            "scoring_convention": spec.scoring.convention,
            "publish_code_after_close": spec.code.publish_after_close,
        },
        "competition",
        changes,
    )

    wanted_tasks = spec.task_languages()
    stale = competition.tasks.exclude(task__in=wanted_tasks)
    for task in stale:
        changes.append(f"task {task.task}: removed")
    stale.delete()
    for order, (task_id, languages) in enumerate(wanted_tasks.items()):
        task = competition.tasks.filter(task=task_id).first() or CompetitionTask(
            competition=competition, task=task_id
        )
        _apply(task, {"languages": languages, "order": order}, f"task {task_id}", changes)

    for order, phase_spec in enumerate(spec.phases):
        phase = competition.phases.filter(key=phase_spec.key).first() or Phase(
            competition=competition, key=phase_spec.key
        )
        _apply(
            phase,
            {
                "title": phase_spec.title,
                "split": phase_spec.split,
                "order": order,
                "opens": phase_spec.opens,
                "closes": phase_spec.closes,
                "max_attempts": phase_spec.max_attempts,
                "failed_runs_count": phase_spec.failed_runs_count,
                "leaderboard_policy": phase_spec.leaderboard,
                "results_visibility": phase_spec.visibility,
                "final_from_selection": phase_spec.final_from_selection,
            },
            f"phase {phase_spec.key}",
            changes,
        )
    # Phases with submissions are kept (PROTECT): removing one from the file does not lose attempts.
    for phase in competition.phases.exclude(key__in=[p.key for p in spec.phases]):
        if phase.submissions.exists():
            changes.append(f"phase {phase.key}: kept (it has submissions), remove it in the admin")
        else:
            phase.delete()
            changes.append(f"phase {phase.key}: removed")

    rule = getattr(competition, "efficiency_rule", None) or EfficiencyRule(competition=competition)
    _apply(
        rule,
        {
            "metric": spec.efficiency_rule.metric,
            "bonus_places": list(spec.efficiency_rule.bonus_places),
            "max_score_gap": spec.efficiency_rule.max_score_gap,
            "min_efficiency_gap": spec.efficiency_rule.min_efficiency_gap,
        },
        "efficiency rule",
        changes,
    )
    return LoadReport(competition=competition, created=created, changes=changes)
