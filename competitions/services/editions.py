"""Editions: "start the next edition" copies a competition's rules into a new one of its series.

The copy goes through the same path as a YAML file (`CompetitionSpec` and `load_competition`),
so the new edition holds exactly what a file with these rules would give. It gets new dates
(none: the organisers schedule it), a new hidden-split seed (its splits must be prepared anew),
its phases closed, and the versions that make its results comparable with the last edition's
pinned. `edition_differences` lists what differs between two editions' rules (pure).
"""

from __future__ import annotations

import re

from django.db import transaction
from django.utils.text import slugify

from competitions.models import Competition, Run, Series, WorkerTimingCheck
from competitions.services.competitions import _fresh_seed, load_competition
from competitions.spec import CompetitionSpec
from evaluator import rules
from evaluator.runner.image_names import BASE_IMAGE


class EditionRefused(ValueError):
    """Why the next edition cannot be started (the message says what to do)."""


def rules_of(competition: Competition) -> dict:
    """The competition's rules as a YAML-shaped plain dict (the file that would make it), without
    its slug, title, dates and private seed: what two editions are compared on."""
    rule = getattr(competition, "efficiency_rule", None)
    return {
        "description": competition.description,
        "faq": competition.faq,
        "timezone": competition.timezone,
        "tasks": {
            task: {"languages": langs} for task, langs in competition.task_languages().items()
        },
        "data": dict(competition.data_config),
        "phases": [
            {
                "key": p.key,
                "title": p.title,
                "split": p.split,
                "max_attempts": p.max_attempts,
                "failed_runs_count": p.failed_runs_count,
                "leaderboard": p.leaderboard_policy,
                "results": p.results_visibility,
                "final_from_selection": p.final_from_selection,
            }
            for p in competition.phases.order_by("order", "id")
        ],
        "limits": {name: getattr(competition, name) for name in rules.LIMITS},
        "timing": {"repeats": competition.timing_repeats},
        "debug_runs": {
            "runs_per_window": competition.debug_runs_per_window,
            "window_s": competition.debug_window_s,
        },
        "canaries": {
            "percent": competition.canary_percent,
            "minimum": competition.canary_minimum,
            "gap_points": competition.canary_gap_points,
        },
        "efficiency_rule": {
            "metric": rule.metric,
            "bonus_places": list(rule.bonus_places),
            "max_score_gap": rule.max_score_gap,
            "min_efficiency_gap": rule.min_efficiency_gap,
        }
        if rule is not None
        else {},
        "hardware": {"queue": competition.hardware_queue},
        "scoring": {"convention": competition.scoring_convention},
        "code": {"publish_after_close": competition.publish_code_after_close},
    }


def _flatten(value, prefix: str = "") -> dict[str, object]:
    """{"limits.cpus": 1, "phases[eval].max_attempts": 3, ...}: phases by key, lists as values."""
    if isinstance(value, dict):
        flat = {}
        for key, item in value.items():
            flat.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(value, list) and value and all(isinstance(i, dict) and "key" in i for i in value):
        flat = {}
        for item in value:
            rest = {k: v for k, v in item.items() if k != "key"}
            flat.update(_flatten(rest, f"{prefix}[{item['key']}]"))
        return flat
    return {prefix: value}


def _shown(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return "none" if value in (None, "") else str(value)


def edition_differences(old: dict, new: dict) -> list[str]:
    """What changed from one edition's rules to the next's, one sentence per setting, in the
    order the settings appear (the new edition's first, then what it dropped)."""
    before, after = _flatten(old), _flatten(new)
    lines = []
    for key, value in after.items():
        if key not in before:
            lines.append(f"{key}: added ({_shown(value)})")
        elif before[key] != value:
            lines.append(f"{key}: {_shown(before[key])} → {_shown(value)}")
    lines += [f"{key}: removed (was {_shown(before[key])})" for key in before if key not in after]
    return lines


def comparability_pins(competition: Competition) -> dict:
    """The versions a competition's results were measured with: the hardware fingerprint of its
    latest finished run, the scorer's convention, the base image, the baseline's submission."""
    finished = Run.objects.filter(
        submission__phase__competition=competition, status=Run.Status.FINISHED
    ).order_by("-finished_at")
    hardware = finished.exclude(hardware_id="").values_list("hardware_id", flat=True).first()
    baseline = (
        finished.filter(submission__team__is_reference=True, submission__disqualified=False)
        .select_related("submission")
        .first()
    )
    baseline_version = ""
    if baseline is not None:
        submission = baseline.submission
        command = " ".join(submission.trusted_command or [])
        baseline_version = submission.image_ref or command
    return {
        "hardware_fingerprint": hardware or "",
        "hardware_queue": competition.hardware_queue,
        "scoring_convention": competition.scoring_convention,
        "base_image": _base_image(hardware),
        "baseline_version": baseline_version,
    }


def _base_image(hardware: str | None) -> str:
    """The helper image by the id the latest worker of that hardware recorded at start
    ("podium/base:bookworm@sha256:…"), its name alone when no such worker has recorded one."""
    checks = WorkerTimingCheck.objects.filter(hardware_id=hardware or "").order_by("-measured_at")
    for recorded in checks.values_list("hardware", flat=True)[:20]:
        if recorded.get("base_image_id"):
            return f"{BASE_IMAGE}@{recorded['base_image_id']}"
    return BASE_IMAGE


EDITION_SUFFIX = r"\s*·\s*edition \d+$"


def _base(text: str, pattern: str = EDITION_SUFFIX) -> str:
    """The text without its edition suffix (" · edition 2" in a title, "-2" in a slug)."""
    return re.sub(pattern, "", text).strip()


def _series_for(competition: Competition) -> Series:
    if competition.series_id:
        return competition.series
    name = _base(competition.title)
    root = slugify(name)[:44] or competition.slug
    slug, n = root, 1
    while Series.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{root}-{n}"
    series = Series.objects.create(name=name, slug=slug)
    competition.series = series
    competition.save(update_fields=["series", "updated_at"])
    return series


@transaction.atomic
def start_next_edition(competition: Competition, *, by=None) -> Competition:
    """Copy the competition's rules, tasks, limits, hardware and efficiency rule into its
    series' next edition: new slug and title, no dates, a new hidden-split seed, phases closed.
    `by` is the organiser who asked (kept in the recorded changes)."""
    given, competition = competition, Competition.objects.select_for_update().get(pk=competition.pk)
    later = competition.next_editions.first()
    if later is not None:
        raise EditionRefused(
            f"{competition.title} already has a next edition ({later.slug}); start the next one "
            "from there"
        )
    series = _series_for(competition)
    number = max(series.editions.values_list("edition", flat=True), default=competition.edition) + 1
    slug = f"{_base(competition.slug, f'-{competition.edition}$')[:45]}-{number}"
    if Competition.objects.filter(slug=slug).exists():
        raise EditionRefused(f"a competition {slug!r} exists already; rename it or remove it")
    old_rules = rules_of(competition)
    seed = _fresh_seed()
    while seed == competition.canary_seed:
        seed = _fresh_seed()
    document = {
        **old_rules,
        "slug": slug,
        "title": f"{_base(competition.title)} · edition {number}",
        "phases": [{**p, "opens": None, "closes": None} for p in old_rules["phases"]],
        "canaries": {**old_rules["canaries"], "seed": seed},
    }
    if not document["efficiency_rule"]:
        del document["efficiency_rule"]
    new = load_competition(CompetitionSpec.model_validate(document)).competition
    new.phases.update(is_open=False)
    new.series, new.edition, new.previous_edition = series, number, competition
    who = f" by {by.get_username()}" if by is not None else ""
    new.edition_changes = [
        f"started from edition {competition.edition} ({competition.slug}){who}",
        "hidden-split seed: drawn anew (kept private); prepare the splits before opening",
        "dates: none yet; every phase is closed until the organisers schedule and open it",
        *edition_differences(old_rules, rules_of(new)),
    ]
    new.edition_pins = comparability_pins(competition)
    new.save()
    given.series = series  # the caller's copy knows its series too
    return new
