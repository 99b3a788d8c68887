"""How sure a board is of its scores: a paired, stratified bootstrap over the hidden examples.

Each (task, language) file of the hidden split is a stratum: a resample draws as many examples
from it as it has, with replacement, and every team is scored on the SAME drawn examples
(paired), so what two teams have in common cancels out of their difference. A language's score
is recomputed from the per-example statistics a run stored (evaluator/example_stats.py), then
averaged into task scores and the overall score exactly as the board does.

- A team's 95% interval: the 2.5th and 97.5th percentiles of its resampled scores.
- Two adjacent teams: `probability` is the share of resamples in which the upper one is ahead
  (ties count half); their order is *supported* when the 95% interval of the paired difference
  lies above zero. Teams whose order is not supported are one tie group (chained: A~B, B~C puts
  A, B and C together).
- Reproducible: the same statistics give the same intervals (each stratum has its own seeded
  stream; examples are put in a canonical order first, so the order they come in changes nothing).
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from evaluator.example_stats import ExampleStats, LabelStats
from evaluator.registry import TASKS

DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 20261202
LEVEL = 0.95
_BLOCK = 100  # resamples drawn at a time: bounded memory on full-size strata

Stats = Mapping[tuple[str, str], ExampleStats]


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


@dataclass(frozen=True)
class TeamUncertainty:
    team: Hashable
    overall: float  # from the statistics: the board's overall score
    overall_interval: Interval
    tasks: dict[str, float]
    task_intervals: dict[str, Interval]


@dataclass(frozen=True)
class OrderSupport:
    upper: Hashable
    lower: Hashable
    probability: float  # of the upper team's overall score being above the lower one's
    difference: Interval  # of upper minus lower, in points
    supported: bool  # the whole interval of the difference is above zero


@dataclass(frozen=True)
class BoardUncertainty:
    teams: list[TeamUncertainty]  # in the order the board was given (or by score)
    adjacent: list[OrderSupport]  # teams[i] against teams[i + 1]
    tie_groups: list[list[Hashable]]
    resamples: int
    seed: int
    level: float
    # The resampled overall scores, (resamples, teams) with columns in `teams` order: what
    # `difference` reads for any pair, adjacent or not.
    draws: np.ndarray | None = field(default=None, repr=False, compare=False)

    def difference(self, upper: Hashable, lower: Hashable) -> Interval:
        """The interval of `upper`'s overall score minus `lower`'s, in points, from the same
        resamples (for adjacent teams, their `adjacent` entry's `difference`)."""
        column = {row.team: i for i, row in enumerate(self.teams)}
        diff = self.draws[:, column[upper]] - self.draws[:, column[lower]]
        return _interval(diff, self.level)


def _strata(stats_by_team: Mapping[Hashable, Stats]) -> list[tuple[str, str]]:
    """The (task, language) keys every team has, in registry order; refuses misaligned runs."""
    keysets = {team: set(stats) for team, stats in stats_by_team.items()}
    first = next(iter(keysets.values()))
    for team, keys in keysets.items():
        if keys != first:
            raise ValueError(f"team {team!r} was scored on other files than the others")
    order = {task: i for i, task in enumerate(TASKS)}

    def rank(key):
        task, lang = key
        languages = TASKS[task].languages if task in TASKS else ()
        where = languages.index(lang) if lang in languages else len(languages)
        return order.get(task, len(order)), task, where, lang

    keys = sorted(first, key=rank)
    for key in keys:
        sizes = {len(stats[key]) for stats in stats_by_team.values()}
        if len(sizes) != 1:
            raise ValueError(f"{key[0]}/{key[1]}: runs have different numbers of examples")
    return keys


def _columns(entries: list[ExampleStats]) -> tuple[np.ndarray, bool]:
    """The stratum as one integer matrix: a row per example, the columns the score sums need."""
    if isinstance(entries[0], LabelStats):
        return np.column_stack([np.asarray(e.correct, dtype=np.int64) for e in entries]), False
    gold = np.asarray(entries[0].gold, dtype=np.int64)
    for entry in entries:
        if not np.array_equal(np.asarray(entry.gold, dtype=np.int64), gold):
            raise ValueError("runs disagree on the gold entities: not scored on the same split")
    columns = [
        np.asarray(getattr(e, f), dtype=np.int64) for e in entries for f in ("correct", "predicted")
    ]
    return np.column_stack([*columns, gold]), True


def _scores(sums: np.ndarray, n: int, tagging: bool, teams: int) -> np.ndarray:
    """Each team's score x 100 for each row of column sums: accuracy, or 2TP / (P + G)."""
    if not tagging:
        return sums * 100.0 / n  # in this order: n right of n is exactly 100
    correct, predicted = sums[:, 0 : 2 * teams : 2], sums[:, 1 : 2 * teams : 2]
    total = predicted + sums[:, -1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(correct > 0, 200.0 * correct / total, 0.0)


def _distinct_rows(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows in lexicographic order and how often each occurs: a canonical form,
    so that the order examples come in cannot change a resample (np.unique(axis=0), faster)."""
    ordered = matrix[np.lexsort(matrix.T[::-1])]
    new = np.ones(len(ordered), dtype=bool)
    new[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    starts = np.flatnonzero(new)
    return ordered[starts], np.diff(np.append(starts, len(ordered)))


def _stream(seed: int, task: str, lang: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(f"{task}/{lang}".encode())])


def _draws(rng: np.random.Generator, n: int, size: int) -> np.ndarray:
    """(size, n) example indices, uniform on 0..n-1: 32 random bits each, mapped by
    multiply-shift (2.5 times numpy's bounded integers; each index's probability is off by less
    than n / 2**32 of itself, far below the bootstrap's own noise)."""
    raw = rng.bit_generator.random_raw((size * n + 1) // 2)
    bits = raw.view(np.uint32)[: size * n].astype(np.uint64)
    bits *= np.uint64(n)
    bits >>= np.uint64(32)
    return bits.view(np.int64).reshape(size, n)


def _resampled_sums(rng, rows: np.ndarray, counts: np.ndarray, resamples: int):
    """Blocks of (resamples x columns) sums over n examples drawn with replacement, where
    `rows` are the distinct examples (sorted) and `counts` how many of each there are."""
    n, groups = int(counts.sum()), len(counts)
    if groups * 10 < n:  # few distinct examples: draw how often each is drawn, a multinomial
        for start in range(0, resamples, _BLOCK):
            drawn = rng.multinomial(n, counts / n, size=min(_BLOCK, resamples - start))
            yield drawn @ rows.astype(float)
        return
    # Sums stay exact in float32 while they are below 2**24 (twice as fast a product).
    dtype = np.float32 if float(rows.max(initial=0)) * n < 2**24 else np.float64
    examples = np.repeat(rows, counts, axis=0).astype(dtype)
    for start in range(0, resamples, _BLOCK):
        size = min(_BLOCK, resamples - start)
        drawn = _draws(rng, n, size)
        drawn += (np.arange(size, dtype=np.int64) * n)[:, None]
        weights = np.bincount(drawn.ravel(), minlength=size * n).reshape(size, n)
        yield (weights.astype(dtype) @ examples).astype(float)


def resampled_scores(
    stats_by_team: Mapping[Hashable, Stats],
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> tuple[list[Hashable], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(teams, point task scores {task: (teams,)}, resampled task scores {task: (R, teams)})."""
    teams = list(stats_by_team)
    if not teams:
        return teams, {}, {}
    by_task: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    for task, lang in _strata(stats_by_team):
        matrix, tagging = _columns([stats_by_team[t][(task, lang)] for t in teams])
        n = len(matrix)
        if n == 0:
            raise ValueError(f"{task}/{lang}: no examples")
        rows, counts = _distinct_rows(matrix)
        point = _scores((counts @ rows)[None, :].astype(float), n, tagging, len(teams))[0]
        draws = [
            _scores(sums, n, tagging, len(teams))
            for sums in _resampled_sums(_stream(seed, task, lang), rows, counts, resamples)
        ]
        by_task.setdefault(task, []).append((point, np.concatenate(draws)))
    point_tasks = {t: np.mean([p for p, _ in parts], axis=0) for t, parts in by_task.items()}
    resampled = {t: np.mean([d for _, d in parts], axis=0) for t, parts in by_task.items()}
    return teams, point_tasks, resampled


def _interval(values: np.ndarray, level: float) -> Interval:
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return Interval(float(low), float(high))


def tie_groups(order: Sequence[Hashable], supported: Sequence[bool]) -> list[list[Hashable]]:
    """Consecutive teams chained while the order between neighbours is not supported."""
    groups: list[list[Hashable]] = []
    for index, team in enumerate(order):
        if index and not supported[index - 1]:
            groups[-1].append(team)
        else:
            groups.append([team])
    return groups


def board_uncertainty(
    stats_by_team: Mapping[Hashable, Stats],
    order: Sequence[Hashable] | None = None,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    level: float = LEVEL,
) -> BoardUncertainty:
    """Intervals of every team's overall and task scores, how sure each adjacent order is, and
    the tie groups, for runs scored on the same split (statistics aligned example by example).

    `order` is the board's score order (best first); by default the teams' overall scores."""
    teams, point_tasks, resampled = resampled_scores(stats_by_team, resamples, seed)
    if not teams:
        return BoardUncertainty([], [], [], resamples, seed, level)
    point_overall = np.mean(list(point_tasks.values()), axis=0)
    overall = np.mean(list(resampled.values()), axis=0)  # (R, teams)
    column = {team: i for i, team in enumerate(teams)}
    if order is None:
        order = sorted(teams, key=lambda t: (-point_overall[column[t]], str(t)))
    elif sorted(map(column.get, order)) != list(range(len(teams))):
        raise ValueError("order must list every team exactly once")
    rows = [
        TeamUncertainty(
            team=team,
            overall=float(point_overall[column[team]]),
            overall_interval=_interval(overall[:, column[team]], level),
            tasks={t: float(v[column[team]]) for t, v in point_tasks.items()},
            task_intervals={t: _interval(v[:, column[team]], level) for t, v in resampled.items()},
        )
        for team in order
    ]
    adjacent = []
    for upper, lower in itertools.pairwise(order):
        diff = overall[:, column[upper]] - overall[:, column[lower]]
        difference = _interval(diff, level)
        probability = float(np.mean(diff > 0) + 0.5 * np.mean(diff == 0))
        adjacent.append(OrderSupport(upper, lower, probability, difference, difference.low > 0))
    groups = tie_groups(order, [a.supported for a in adjacent])
    draws = overall[:, [column[team] for team in order]]
    return BoardUncertainty(rows, adjacent, groups, resamples, seed, level, draws)
