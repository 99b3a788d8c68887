"""Reads of editions: a competition's place in its series (the previous edition, what differs,
the baseline's score in both) and the Hall of Fame grouped by series, newest edition first."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Max

from competitions.models import Competition, Series, Stage
from competitions.permissions import board_view
from competitions.reads.counting import finished_runs
from competitions.reads.stages import HallEntry, public_view, published_standings
from competitions.services.editions import edition_differences, rules_of


@dataclass
class BaselineScore:
    phase: str  # the phase's title
    score: float


def baseline_score(competition: Competition) -> BaselineScore | None:
    """The baseline's (reference team's) best score on the latest phase everyone may see the
    scores of; None before a reference run has finished there."""
    for phase in competition.phases.order_by("-order", "-id"):
        view = board_view(None, phase)
        if not view.scores_visible:
            continue
        runs = finished_runs(phase, view).filter(submission__team__is_reference=True)
        best = runs.aggregate(best=Max("overall_score"))["best"]
        if best is not None:
            return BaselineScore(phase.title, best)
    return None


@dataclass
class EditionPlace:
    competition: Competition
    series: Series
    previous: Competition | None
    baseline: BaselineScore | None
    previous_baseline: BaselineScore | None
    differences: list[str]  # the rules now, against the previous edition's
    changes: list[str]  # what starting this edition did (recorded then)
    pins: dict


def edition_place(competition: Competition) -> EditionPlace | None:
    """Where the competition stands in its series; None for a competition in none."""
    if competition.series_id is None:
        return None
    previous = competition.previous_edition
    return EditionPlace(
        competition=competition,
        series=competition.series,
        previous=previous,
        baseline=baseline_score(competition),
        previous_baseline=baseline_score(previous) if previous else None,
        differences=edition_differences(rules_of(previous), rules_of(competition))
        if previous
        else [],
        changes=list(competition.edition_changes),
        pins=dict(competition.edition_pins),
    )


@dataclass
class FameEdition:
    entry: HallEntry
    baseline: BaselineScore | None

    @property
    def competition(self) -> Competition:
        return self.entry.competition


@dataclass
class FameSeries:
    series: Series | None  # None: a competition in no series, shown on its own
    editions: list[FameEdition] = field(default_factory=list)  # newest edition first


def hall_of_fame() -> list[FameSeries]:
    """Every series with each of its editions (closed stages or not), and every competition in
    no series that has a closed stage; series by name, editions newest first."""
    entries: dict[int, HallEntry] = {}
    for competition in Competition.objects.filter(series__isnull=False).select_related("series"):
        entries[competition.pk] = HallEntry(competition, [])
    stages = Stage.objects.select_related("phase__competition__series").order_by(
        "phase__competition__title", "phase__order", "closed_at"
    )
    for stage in stages:
        competition = stage.phase.competition
        entry = entries.setdefault(competition.pk, HallEntry(competition, []))
        entry.stages.append(public_view(stage))
    for standing in published_standings():
        competition = standing.stage.phase.competition
        entries.setdefault(competition.pk, HallEntry(competition, [])).stages.append(standing)
    groups: dict[object, FameSeries] = {}
    for entry in entries.values():
        competition = entry.competition
        key = competition.series_id or f"alone-{competition.pk}"
        group = groups.setdefault(key, FameSeries(competition.series))
        group.editions.append(FameEdition(entry, baseline_score(competition)))
    for group in groups.values():
        group.editions.sort(key=lambda e: -e.competition.edition)

    def order(group: FameSeries) -> str:
        return group.series.name if group.series else group.editions[0].competition.title

    return sorted(groups.values(), key=order)
