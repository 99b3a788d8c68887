"""The competition page's FAQ: the organisers' own (Markdown, `Competition.faq`), or when they
wrote none a default one written from the competition's configuration. Every number and time in
the default is read from the competition, its phases and its rule, never typed here."""

from __future__ import annotations

from dataclasses import dataclass

from competitions.durations import duration_words
from competitions.models import Competition, Phase
from competitions.presenters import in_zone, markdown_html
from competitions.reads.counting import rule_of
from competitions.reads.data_section import training_source
from evaluator import efficiency_rule
from evaluator.registry import METRIC_LABELS, get_task


@dataclass(frozen=True)
class Answer:
    key: str  # a stable anchor (#faq-attempts) and test id
    question: str
    paragraphs: tuple[str, ...]  # plain text: the template escapes it


@dataclass(frozen=True)
class Faq:
    written_html: str  # the organisers' FAQ as HTML; empty when they wrote none
    answers: tuple[Answer, ...]  # the default, when written_html is empty


def faq_for(competition: Competition) -> Faq:
    if competition.faq.strip():
        return Faq(markdown_html(competition.faq), ())
    return Faq("", tuple(default_faq(competition)))


def _times(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _attempts(phase: Phase) -> str:
    failed = (
        "a run that fails through your image's fault uses an attempt"
        if phase.failed_runs_count
        else "a run that fails through your image's fault gives the attempt back"
    )
    return (
        f"{phase.title}: {_times(phase.max_attempts, 'attempt', 'attempts')} per team; {failed}; "
        f"the board counts the {phase.get_leaderboard_policy_display().lower()}."
    )


def _window(phase: Phase, zone: str) -> str:
    if phase.opens and phase.closes:
        return f"{phase.title}: from {in_zone(phase.opens, zone)} to {in_zone(phase.closes, zone)}."
    if phase.closes:
        return f"{phase.title}: closes {in_zone(phase.closes, zone)}."
    if phase.opens:
        return f"{phase.title}: opens {in_zone(phase.opens, zone)}; no close time is set yet."
    return f"{phase.title}: no dates are set; the organisers open and close it by hand."


def _final(phase: Phase, competition: Competition) -> str:
    shown = (
        "scores stay hidden until the organisers publish the final board"
        if phase.results_visibility == Phase.Visibility.ON_PUBLISH
        else "scores show on its board as runs finish"
    )
    selection = (
        " Instead of uploading, your team may select one of its finished evaluation runs on its "
        "team page (Select for final): the platform runs that same stored image on the final "
        "split as the attempt; a team selects once."
        if phase.final_from_selection
        else ""
    )
    return (
        f"{phase.title} runs your image on the final test split, which no team sees: {shown}. "
        f"It allows {_times(phase.max_attempts, 'attempt', 'attempts')} per team, and each run "
        f"is timed {_times(competition.timing_repeats, 'time', 'times')} (the median counts)."
        + selection
    )


def default_faq(competition: Competition) -> list[Answer]:
    phases = list(competition.phases.all())
    zone = competition.timezone
    tasks = [get_task(t) for t in competition.task_languages()]
    metrics = ", ".join(f"{t.title}: {METRIC_LABELS.get(t.primary_metric)}" for t in tasks)
    finals = [p for p in phases if p.split == Phase.Split.TEST]
    debug = (
        f"a debug run on the public sample, on this competition's worker with the same limits "
        f"and lockdown as a scored run, with its whole log shown to you: your team may start "
        f"{_times(competition.debug_runs_per_window, 'debug run', 'debug runs')} every "
        f"{duration_words(competition.debug_window_s)}."
    )
    limits = (
        f"Each run may take {competition.time_limit_s} s, {competition.memory_mb} MB of memory, "
        f"{_times(competition.cpus, 'CPU', 'CPUs')}, {_times(competition.gpus, 'GPU', 'GPUs')} "
        f"and write {competition.output_mb} MB of output."
    )
    answers = [
        Answer(
            "attempts",
            "How many attempts does my team have?",
            (
                *[_attempts(p) for p in phases],
                "A run that fails through a platform fault always gives its attempt back; "
                "debug runs use none.",
            ),
        ),
        Answer(
            "dates",
            f"When does each phase open and close? (times in {zone})",
            tuple(_window(p, zone) for p in phases),
        ),
        Answer(
            "ranking",
            "How is the board ranked?",
            (
                "First on the overall score: the mean of the task scores, each the mean over its "
                f"languages, as in XTREME ({metrics}).",
                efficiency_rule.describe(rule_of(competition)),
            ),
        ),
        Answer(
            "final",
            "What happens with the final split?",
            tuple(_final(p, competition) for p in finals)
            or ("This competition has no final phase: the boards above are its results.",),
        ),
        Answer(
            "data",
            "Where is the data?",
            (
                training_source(competition)[0],
                "The Data section above lists each task, its languages and the size of each "
                "hidden split; the starter kit has the data loader and the public sample.",
            ),
        ),
        Answer(
            "check",
            "How do I check my image before spending an attempt?",
            (
                "Run the local test and the check on the how-to page: they run your image as a "
                "worker would, with this competition's limits, and use no attempt. " + limits,
                "Or start " + debug,
            ),
        ),
    ]
    if competition.publish_code_after_close:
        answers.append(
            Answer(
                "code",
                "Will other teams see my code?",
                ("Yes: after a phase closes, every team's code archive is published to the "
                 "participants.",),
            )
        )  # fmt: skip
    return answers
