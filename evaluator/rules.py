"""The competition's rules declared once: each setting's default, bounds and the words of its
refusal. Pure (no Django): the YAML spec, the models (defaults, validators, database
constraints), the admin, the organiser's forms, the runner's limits and `check_submission` all
derive theirs from here. The efficiency rule's are `evaluator.efficiency_rule.RULE_DEFAULTS`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    """One whole-number setting: its default, inclusive bounds (None: unbounded) and what to say
    when a value is outside them."""

    name: str
    label: str
    default: int
    minimum: int
    maximum: int | None = None
    unit: str = ""
    why: str = ""  # why the bound exists, said with the refusal

    @property
    def bounds(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        if self.maximum is None:
            return f"at least {self.minimum}{unit}"
        return f"between {self.minimum} and {self.maximum}{unit}"

    def problem(self, value) -> str | None:
        """Why `value` is refused for this setting (YAML, code), or None."""
        if isinstance(value, bool) or not isinstance(value, int):
            return f"{self.label} must be a whole number (got {value!r})"
        if value < self.minimum or (self.maximum is not None and value > self.maximum):
            return f"{self.label} must be {self.bounds} (got {value})" + self._why()
        return None

    def refusal(self) -> str:
        """The same refusal for a form field (the value is beside it)."""
        return f"Give {self.bounds}{self._why()}."

    def _why(self) -> str:
        return f"; {self.why}" if self.why else ""


def _settings(*items: Setting) -> dict[str, Setting]:
    return {item.name: item for item in items}


# What every run of a competition may use, on the same fixed hardware.
LIMITS = _settings(
    Setting("time_limit_s", "the time limit", 3600, 1, unit="s"),
    Setting("memory_mb", "memory", 16384, 64, unit="MB", why="containers cannot start with less"),
    Setting("cpus", "CPUs", 8, 1),
    Setting("gpus", "GPUs", 1, 0, 1, why="a worker owns exactly one GPU"),
    Setting("output_mb", "the output", 1024, 1, unit="MB"),
)

# How often the test phase is timed: the median of the repeats ranks.
TIMING = _settings(
    Setting(
        "timing_repeats",
        "timed repeats",
        1,
        1,
        20,
        unit="times",
        why="each repeat runs the whole split again on the worker",
    ),
)

# A timing audit: how many interleaved rounds (after the discarded warm-up).
AUDIT = _settings(
    Setting("rounds", "the audit", 5, 2, 20, unit="rounds", why="an interval needs two at least"),
)

# Debug runs: a team's image on the public sample, its logs whole, no attempt used. Each team
# may start `debug_runs_per_window` of them in any `debug_window_s` (per competition).
DEBUG_RUNS = _settings(
    Setting(
        "debug_runs_per_window",
        "debug runs per window",
        1,
        1,
        20,
        why="each one takes the competition's worker for a whole run",
    ),
    Setting("debug_window_s", "the debug-run window", 900, 1, 86400, unit="s"),
)

# What a stage's winner is given (the organiser's choice when closing the stage; 0: no points).
STAGE_REWARD = _settings(
    Setting("reward_points", "a stage winner's points", 0, 0, 1000),
)

PHASE = _settings(
    Setting("max_attempts", "attempts per team", 3, 1, why="a phase needs at least one"),
)

# Canary examples (evaluator/canary.py): the share added to each hidden split, per task and
# language, and how far below its original score a run's canary score may fall before the run is
# flagged to the organisers (points above the supplied baseline's own gap).
CANARIES = _settings(
    Setting(
        "canary_percent",
        "canary examples",
        3,
        0,
        20,
        unit="percent",
        why="canaries are scored apart; more than a fifth would thin the board's own examples",
    ),
    Setting("canary_minimum", "canaries per language", 5, 0, 1000),
    Setting("canary_gap_points", "the canary gap", 20, 1, 100, unit="points"),
)
# A task with fewer canaries than this in a run is not judged: its gap is mostly chance.
CANARY_JUDGED_MINIMUM = 10

# What the runner gives a container beyond the competition's limits (not set per competition).
RUNNER_LIMITS = {"pids": 256, "tmp_mb": 1024, "output_files": 10000}

# How far an uploaded archive may inflate, relative to its compressed size, before it is refused:
# the gzip of the archive against the upload's size, each compressed layer against its own. gzip
# reaches 2-5x on real image content (binaries, Python, weights, vocabularies) and ~1000x on
# zeros; 50x leaves text-heavy images room and stops a bomb after 50 bytes read per byte sent, so
# a small upload cannot hold a request worker for long. The first INFLATION_FREE_BYTES are always
# allowed: a small archive of tar headers inflates far more than 50x and costs nothing.
INFLATION_RATIO_MAX = 50
INFLATION_FREE_BYTES = 256 * 1024**2

# The Celery queue of the fixed hardware class, unless the competition names another.
DEFAULT_HARDWARE_QUEUE = "gpu-default"

# Whether a phase's scores show as runs finish, by the split it is scored on: the evaluation
# split's intermediate board is live; the final split's results wait for publication.
VISIBILITY_BY_SPLIT = {"validation": "live", "test": "on_publish"}
PHASE_DEFAULTS = {"failed_runs_count": False, "leaderboard_policy": "best"}


def default_visibility(split: str) -> str:
    return VISIBILITY_BY_SPLIT.get(split, "on_publish")


def window_problem(opens, closes) -> str | None:
    """A phase must close after it opens (either end may be open)."""
    if opens is not None and closes is not None and closes <= opens:
        return (
            f"closes ({closes.isoformat()}) must be after opens ({opens.isoformat()}): close the "
            "phase after it opens"
        )
    return None


def selection_problem(split: str, final_from_selection: bool) -> str | None:
    """Selecting an earlier run for the final (Kaggle's "select for final") is a final phase's
    setting: the selected runs come from the competition's evaluation (validation) phases."""
    if final_from_selection and split != "test":
        return (
            "final_from_selection applies to a final phase (split: test) only: there teams may "
            "select one of their evaluation runs instead of uploading"
        )
    return None


# What a team reads of its runs' logs on the hidden splits (evaluator/redaction.py): every line
# holding a word of at least HIDDEN_TEXT_MIN_CHARS characters from the split's input, or a whole
# input sentence at least that long, is taken out; the rest is cut to its last TEAM_LOG_CHARS.
# Shorter words are too common to tell a leak from a model's own output.
HIDDEN_TEXT_MIN_CHARS = 8
TEAM_LOG_CHARS = 16 * 1024
# The final split's logs wait, for teams, until its phase has ended for good.
LOGS_WAIT_FOR_END = frozenset({"test"})
