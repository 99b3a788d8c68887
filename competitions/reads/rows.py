"""One team's row on a board: its counting run, scores, figures, ranks and reason."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Row:
    """One team's counting attempt on a board."""

    team: str
    team_slug: str
    is_reference: bool
    submission_id: int
    attempt_number: int
    run_id: int
    overall: float
    finished_at: object
    # The team's word at submission: this builds on code shared after an earlier stage.
    builds_on_shared_code: bool = False
    tasks: dict[str, float] = field(default_factory=dict)
    languages: dict[str, dict[str, float]] = field(default_factory=dict)
    runtime_s: float | None = None
    runtime_measurements: list[float] = field(default_factory=list)
    energy_kwh: float | None = None
    hardware_id: str = ""
    worker: str = ""
    # The spread (CV %) of the worker's latest timing self-check before this run started.
    worker_spread_percent: float | None = None
    worker_noisy: bool = False
    efficiency: float | None = None
    performance_rank: int | None = None
    final_rank: int | None = None
    efficiency_rank: int | None = None  # None: no figure (or a reference row)
    # From the phase's latest timing audit: the runtime rounds (median ranks the board) and
    # their spread; an empty tuple when the run was not audited.
    audit_rounds: tuple[float, ...] = ()
    audit_spread_percent: float | None = None
    nondeterministic: bool = False
    moved: int = 0
    reason: str = ""
    # Measured on other hardware than the board's figures: shown, not compared (no bonus).
    set_aside: bool = False
    # The overall score's 95% interval (evaluator.uncertainty; None: no statistics stored), the
    # tie group (1, 2, ... down the board) and its rank band ("1–3"; the rank alone when alone),
    # and how sure the order with the next ranked team is.
    score_low: float | None = None
    score_high: float | None = None
    tie_group: int | None = None
    rank_band: str = ""
    group_size: int = 1
    group_first: bool = True
    group_last: bool = True
    next_probability: float | None = None  # of this team's score being above the next one's
    next_by_rule: bool = False  # the efficiency rule put this team above the next one
    # (task, average, [(language, score), ...]) in the competition's task order, for templates.
    cells: list[tuple[str, float | None, list[tuple[str, float]]]] = field(default_factory=list)

    @property
    def tied(self) -> bool:
        return self.group_size > 1

    @property
    def interval_width(self) -> float | None:
        return None if self.score_low is None else self.score_high - self.score_low

    @property
    def places_moved(self) -> int:
        return abs(self.moved)

    @property
    def runtime_spread(self) -> float | None:
        """Half the range of the repeated measurements: what ± shows."""
        if len(self.runtime_measurements) < 2:
            return None
        return (max(self.runtime_measurements) - min(self.runtime_measurements)) / 2

    def lay_out_cells(self, tasks: list[tuple[str, list[str]]]) -> None:
        """The table's cells in the board's task and language order: (task, score, [(lang,
        score)]), languages the row has no score for left out."""
        self.cells = [
            (
                task,
                self.tasks.get(task),
                [
                    (lang, self.languages[task][lang])
                    for lang in langs
                    if lang in self.languages.get(task, {})
                ],
            )
            for task, langs in tasks
        ]
