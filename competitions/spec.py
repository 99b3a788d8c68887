"""Competitions as code: the YAML schema, validated key by key with messages that name the key.

Pure (no database): `parse_competition(text)` returns a `CompetitionSpec` or raises `SpecError`
listing every problem as `key.path: what is wrong`.
"""

import os
from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import available_timezones

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from evaluator import rules
from evaluator.efficiency_rule import GAP_LIMITS, METRIC_WORDS, RULE_DEFAULTS, check_bonus_places
from evaluator.entities import CONVENTIONS, DEFAULT_CONVENTION
from evaluator.registry import TASKS

# The GPU-hours a team may declare for training a submission: a year on 10 GPUs is ~88,000, so
# anything above is a typo or an attempt to break the efficiency ranking (1e308 would overflow
# every sum it enters).
MAX_TRAINING_GPU_HOURS = 100_000.0


def training_gpu_hours_problem(hours: float | None) -> str | None:
    """Why a declared training GPU-hours value is refused, or None (absent is fine)."""
    if hours is None:
        return None
    if not 0 <= hours <= MAX_TRAINING_GPU_HOURS:
        return (
            f"training GPU-hours must be between 0 and {MAX_TRAINING_GPU_HOURS:,.0f} "
            f"(got {hours:g}); give the GPU-hours your training used"
        )
    return None


def timezone_problem(name: str) -> str | None:
    """Why a competition's time zone is refused, or None for an IANA name such as Europe/Berlin."""
    if name in available_timezones():
        return None
    return f"{name!r} is not a time zone name; use an IANA name such as UTC or Europe/Berlin"


class SpecError(ValueError):
    """A competition file that cannot be loaded; `problems` lists `key: message` lines."""

    def __init__(self, problems: list[str], source: str = "competition file"):
        self.problems = problems
        super().__init__(f"{source} is not valid:\n" + "\n".join(f"  - {p}" for p in problems))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TaskSpec(_Strict):
    languages: list[str] | None = None


# Which `data:` keys each source takes (docs/competition-yaml.md documents each).
SOURCE_KEYS = {
    "synthetic": ("seed", "size"),
    "local": ("path",),
    "huggingface": ("dataset", "revision", "local_dir", "mnli_dataset"),
}


class DataSpec(_Strict):
    source: Literal["synthetic", "huggingface", "local"] = "synthetic"
    seed: int = 0  # synthetic
    size: Literal["tiny", "small", "full"] | Annotated[int, Field(ge=1)] = "small"  # synthetic
    path: str | None = None  # local: XTREME's own layout
    dataset: str | None = None  # huggingface: defaults to google/xtreme
    revision: str | None = None  # huggingface
    local_dir: str | None = None  # huggingface: files in the hub's layout, no network
    mnli_dataset: str | None = None  # huggingface: XNLI's English training data

    @field_validator("path", "local_dir")
    @classmethod
    def _folder_exists(cls, value: str | None) -> str | None:
        # Checked when the file is loaded, not when the first team's run needs the data.
        if value is not None and not os.path.isdir(value):
            raise ValueError(
                f"folder {value} does not exist on this host; give the folder that holds "
                "XTREME's data (docs/competition-yaml.md)"
            )
        return value

    @model_validator(mode="after")
    def _fits_source(self) -> "DataSpec":
        if self.source == "local" and not self.path:
            raise ValueError("source 'local' needs a path to the XTREME data folder")
        allowed = set(SOURCE_KEYS[self.source])
        stray = sorted(self.model_fields_set - allowed - {"source"})
        if stray:
            raise ValueError(f"{', '.join(stray)} does not apply to source {self.source!r}")
        return self

    def to_config(self) -> dict:
        """The data-source configuration `evaluator.data.open_source` takes."""
        keys = SOURCE_KEYS[self.source]
        values = {key: getattr(self, key) for key in keys if getattr(self, key) is not None}
        return {"source": self.source, **values}


def _check(setting: rules.Setting, value: int) -> int:
    """A whole-number setting against its one declaration (evaluator/rules.py)."""
    if problem := setting.problem(value):
        raise ValueError(problem)
    return value


class PhaseSpec(_Strict):
    key: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]
    title: str
    split: Literal["validation", "test"]
    opens: datetime | None = None
    closes: datetime | None = None
    max_attempts: int = rules.PHASE["max_attempts"].default
    failed_runs_count: bool = rules.PHASE_DEFAULTS["failed_runs_count"]
    leaderboard: Literal["best", "latest"] = rules.PHASE_DEFAULTS["leaderboard_policy"]
    # None: the split's default (rules.VISIBILITY_BY_SPLIT).
    results: Literal["live", "on_publish"] | None = None
    final_from_selection: bool = False  # a final phase: teams may select an evaluation run

    @field_validator("max_attempts")
    @classmethod
    def _attempts(cls, value: int) -> int:
        return _check(rules.PHASE["max_attempts"], value)

    @property
    def visibility(self) -> str:
        return self.results or rules.default_visibility(self.split)

    @field_validator("opens", "closes")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("needs a time zone, e.g. 2026-12-01T09:00:00Z")
        return value

    @model_validator(mode="after")
    def _window(self) -> "PhaseSpec":
        if problem := rules.window_problem(self.opens, self.closes):
            raise ValueError(problem)
        if problem := rules.selection_problem(self.split, self.final_from_selection):
            raise ValueError(problem)
        return self


_LIMIT = rules.LIMITS


class LimitsSpec(_Strict):
    time_limit_s: int = _LIMIT["time_limit_s"].default
    memory_mb: int = _LIMIT["memory_mb"].default
    cpus: int = _LIMIT["cpus"].default
    gpus: int = _LIMIT["gpus"].default
    output_mb: int = _LIMIT["output_mb"].default

    @field_validator(*_LIMIT, mode="before")
    @classmethod
    def _bounded(cls, value, info):
        return _check(_LIMIT[info.field_name], value)


class TimingSpec(_Strict):
    repeats: int = rules.TIMING["timing_repeats"].default

    @field_validator("repeats", mode="before")
    @classmethod
    def _bounded(cls, value: int) -> int:
        return _check(rules.TIMING["timing_repeats"], value)


class DebugSpec(_Strict):
    """A team's debug runs (the public sample, no attempt): how many within how long."""

    runs_per_window: int = rules.DEBUG_RUNS["debug_runs_per_window"].default
    window_s: int = rules.DEBUG_RUNS["debug_window_s"].default

    @field_validator("runs_per_window", "window_s", mode="before")
    @classmethod
    def _bounded(cls, value, info):
        return _check(rules.DEBUG_RUNS[f"debug_{info.field_name}"], value)


class CanarySpec(_Strict):
    percent: int = rules.CANARIES["canary_percent"].default
    minimum: int = rules.CANARIES["canary_minimum"].default
    gap_points: int = rules.CANARIES["canary_gap_points"].default
    seed: Annotated[int, Field(ge=1, lt=2**62)] | None = None  # None: drawn once, kept private

    @field_validator("percent", "minimum", "gap_points", mode="before")
    @classmethod
    def _bounded(cls, value, info):
        return _check(rules.CANARIES[f"canary_{info.field_name}"], value)


class RuleSpec(_Strict):
    # Defaults and bounds are the efficiency rule's own (evaluator/efficiency_rule.py).
    metric: Literal[tuple(METRIC_WORDS)] = RULE_DEFAULTS["metric"]
    bonus_places: list[int] = list(RULE_DEFAULTS["bonus_places"])
    max_score_gap: Annotated[float, Field(ge=0, allow_inf_nan=False)] = RULE_DEFAULTS[
        "max_score_gap"
    ]
    min_efficiency_gap: Annotated[float, Field(ge=0, lt=GAP_LIMITS["min_efficiency_gap"])] = (
        RULE_DEFAULTS["min_efficiency_gap"]
    )

    @field_validator("bonus_places")
    @classmethod
    def _places(cls, value: list[int]) -> list[int]:
        return list(check_bonus_places(value))


class HardwareSpec(_Strict):
    queue: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$")] = rules.DEFAULT_HARDWARE_QUEUE


class ScoringSpec(_Strict):
    # xtreme: seqeval 0.0.12, the paper's numbers; seqeval1: today's seqeval (docs/scoring.md).
    convention: Literal[CONVENTIONS] = DEFAULT_CONVENTION


class CodeSpec(_Strict):
    publish_after_close: bool = False


class CompetitionSpec(_Strict):
    slug: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,49}$")]
    title: str
    description: str = ""
    faq: str = ""  # Markdown; empty: the page's default FAQ, written from these rules
    timezone: str = "UTC"
    tasks: dict[str, TaskSpec]
    data: DataSpec = DataSpec()
    phases: list[PhaseSpec]
    limits: LimitsSpec = LimitsSpec()
    timing: TimingSpec = TimingSpec()
    debug_runs: DebugSpec = DebugSpec()
    canaries: CanarySpec = CanarySpec()
    efficiency_rule: RuleSpec = RuleSpec()
    hardware: HardwareSpec = HardwareSpec()
    scoring: ScoringSpec = ScoringSpec()
    code: CodeSpec = CodeSpec()

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        problem = timezone_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("tasks", mode="before")
    @classmethod
    def _tasks(cls, value: Any) -> Any:
        if not isinstance(value, dict) or not value:
            raise ValueError(
                f"must map at least one XTREME task id ({', '.join(TASKS)}) to options"
            )
        return {k: ({} if v is None else v) for k, v in value.items()}

    @field_validator("phases")
    @classmethod
    def _unique_phases(cls, value: list[PhaseSpec]) -> list[PhaseSpec]:
        if not value:
            raise ValueError("list at least one phase")
        keys = [p.key for p in value]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise ValueError(f"phase keys must be unique (repeated: {', '.join(duplicates)})")
        return value

    def task_languages(self) -> dict[str, list[str]]:
        """Each task's languages in XTREME's order (all of them when the file names none)."""
        result = {}
        for task_id, options in self.tasks.items():
            languages = TASKS[task_id].languages
            chosen = set(options.languages) if options.languages else set(languages)
            result[task_id] = [lang for lang in languages if lang in chosen]
        return result


def _registry_problems(raw: dict) -> list[str]:
    """Checks that need the task registry: unknown tasks and languages a task does not have."""
    problems = []
    tasks = raw.get("tasks")
    if not isinstance(tasks, dict):
        return problems
    for task_id, options in tasks.items():
        if task_id not in TASKS:
            problems.append(
                f"tasks.{task_id}: unknown task '{task_id}'; XTREME tasks are {', '.join(TASKS)}"
            )
            continue
        languages = (options or {}).get("languages") if isinstance(options, dict) else None
        if isinstance(languages, list):
            valid = TASKS[task_id].languages
            if not all(isinstance(lang, str) for lang in languages):
                # Never str() a nested value: YAML aliases can make it exponentially large.
                problems.append(
                    f"tasks.{task_id}.languages: must be a list of language codes like [en, de]"
                )
                continue
            unknown = [lang for lang in languages if lang not in valid]
            if unknown:
                problems.append(
                    f"tasks.{task_id}.languages: {task_id} has no language {', '.join(unknown)}; "
                    f"it has {', '.join(valid)}"
                )
            if not languages:
                problems.append(
                    f"tasks.{task_id}.languages: list at least one language, or omit it"
                )
    return problems


def _location(loc: tuple) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _message(error: dict) -> str:
    kind, msg = error["type"], error["msg"]
    if kind == "extra_forbidden":
        return "unknown key (check the spelling; see docs/competition-yaml.md)"
    if kind == "missing":
        return "is required"
    if kind == "value_error":
        msg = msg.removeprefix("Value error, ")
    if kind == "literal_error":
        msg = msg.replace("Input should be", "must be")
    got = error.get("input")
    if kind not in {"value_error", "missing"} and not isinstance(got, dict | list):
        msg = f"{msg} (got {got!r})"
    return msg


# A competition file is a few KB; anything this big is the wrong file (or an attack on the parser).
MAX_SPEC_CHARS = 256 * 1024


def parse_competition(text: str, source: str = "competition file") -> CompetitionSpec:
    """Parse and validate a competition YAML document."""
    if len(text) > MAX_SPEC_CHARS:
        raise SpecError(
            [f"the file has {len(text):,} characters, more than the {MAX_SPEC_CHARS:,} a "
             "competition file may have; check that this is the competition's YAML file"],
            source,
        )  # fmt: skip
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise SpecError([f"not valid YAML{where}: {problem}"], source) from None
    if not isinstance(raw, dict):
        raise SpecError(
            ["the file must be a YAML mapping with keys slug, title, tasks, phases"], source
        )
    problems = _registry_problems(raw)
    try:
        spec = CompetitionSpec.model_validate(raw)
    except ValidationError as error:
        for item in error.errors():
            loc = _location(item["loc"])
            if loc.startswith("tasks.") and any(loc.startswith(p.split(":")[0]) for p in problems):
                continue
            problems.append(f"{loc}: {_message(item)}")
        raise SpecError(problems, source) from None
    if problems:
        raise SpecError(problems, source)
    return spec
