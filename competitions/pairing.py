"""The organisers' pairing assistant: people in, pairs out, each with the reasons it was chosen.

Pure: plain data in, plain data out, no Django. CP-SAT (OR-Tools) chooses the pairs. Every pair
should hold a senior and a junior, at least one person with topic experience, and no two people
who were teammates in the last edition; those are soft constraints that each cost `UNMET` when
broken, so the solver meets every one that can be met together, and only then balances the pairs'
total strength (the smallest spread between the strongest and the weakest pair). An odd number of
people gives one team of three. Pairs the organiser locked are kept as they are.
"""

from __future__ import annotations

import csv
import io
import itertools
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

SENIOR, JUNIOR = "senior", "junior"
SENIORITIES = (SENIOR, JUNIOR)
COLUMNS = ("name", "email", "seniority", "topic_experience")
OPTIONAL_COLUMNS = ("past_teammates", "strength")
YES = {"yes", "y", "true", "1", "x"}
NO = {"no", "n", "false", "0", ""}
# A broken constraint costs more than any spread of strength can (strengths are 0..10 per person).
UNMET = 1000
STRENGTH_SCALE = 10  # strengths are kept to one decimal place, as integers for the solver
SOLVE_SECONDS = 10.0


class PeopleFileError(ValueError):
    """A people CSV that cannot be read; the message names the line and what to change."""


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    seniority: str  # SENIOR or JUNIOR
    topic_experience: bool
    past_teammates: frozenset[str] = frozenset()  # emails, lower case
    strength: float = 5.0

    @property
    def key(self) -> str:
        return self.email.lower()


@dataclass(frozen=True)
class Team:
    members: tuple[Person, ...]
    strength: float
    locked: bool
    met: tuple[str, ...]  # each constraint this team meets, in words
    unmet: tuple[str, ...]  # each one it breaks, in words

    @property
    def emails(self) -> tuple[str, ...]:
        return tuple(p.key for p in self.members)


@dataclass
class Proposal:
    teams: list[Team]
    unmet: list[str] = field(default_factory=list)  # why constraints could not all be met
    optimal: bool = True
    solve_s: float = 0.0

    @property
    def strength_spread(self) -> float:
        strengths = [t.strength for t in self.teams if len(t.members) == 2]
        return round(max(strengths) - min(strengths), 1) if strengths else 0.0


def read_people(text: str) -> list[Person]:
    """Parse the organiser's CSV (name, email, seniority, topic_experience[, past_teammates,
    strength]); past_teammates lists emails separated by ';'."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [c.strip().lower() for c in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise PeopleFileError(
            f"line 1: the header needs the columns {', '.join(COLUMNS)} (missing "
            f"{', '.join(missing)}); optional: {', '.join(OPTIONAL_COLUMNS)}"
        )
    people, seen = [], {}
    for number, row in enumerate(reader, start=2):
        clean = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k}
        if not any(clean.values()):
            continue
        people.append(_person(clean, number))
        key = people[-1].key
        if key in seen:
            raise PeopleFileError(
                f"line {number}: {people[-1].email} is already on line {seen[key]}; "
                "list each person once"
            )
        seen[key] = number
    if len(people) < 2:
        raise PeopleFileError("the file lists fewer than two people: nothing to pair")
    return people


def _person(row: dict[str, str], number: int) -> Person:
    where = f"line {number}"
    if not row.get("name") or "@" not in row.get("email", ""):
        raise PeopleFileError(f"{where}: each person needs a name and an email address")
    seniority = row.get("seniority", "").lower()
    if seniority not in SENIORITIES:
        raise PeopleFileError(
            f"{where}: seniority {row.get('seniority')!r} is not one of {', '.join(SENIORITIES)}"
        )
    topic = row.get("topic_experience", "").lower()
    if topic not in YES | NO:
        raise PeopleFileError(f"{where}: topic_experience {topic!r} is not yes or no")
    strength = 5.0
    if row.get("strength"):
        try:
            strength = float(row["strength"])
        except ValueError:
            strength = -1.0
        if not 0 <= strength <= 10:
            raise PeopleFileError(f"{where}: strength {row['strength']!r} is not between 0 and 10")
    past = frozenset(
        e.strip().lower() for e in row.get("past_teammates", "").split(";") if e.strip()
    )
    return Person(row["name"], row["email"], seniority, topic in YES, past, round(strength, 1))


def propose_pairs(
    people: Sequence[Person], locked: Iterable[Sequence[str]] = (), *, seed: int = 0
) -> Proposal:
    """Pairs (one team of three when the count is odd) meeting every constraint that can be met,
    then with the smallest strength spread. `locked` names teams (by email) to keep as they are."""
    by_key = {p.key: p for p in people}
    locks = [tuple(sorted(e.lower() for e in team)) for team in locked]
    _check_locks(locks, by_key)
    keys = sorted(by_key)
    pairs = list(itertools.combinations(keys, 2))
    model = cp_model.CpModel()
    chosen = {g: model.new_bool_var("-".join(g)) for g in pairs}
    # With an odd count one person is left over by the solver and joins a pair afterwards.
    spare = {k: model.new_bool_var(f"spare-{k}") for k in keys} if len(keys) % 2 else {}
    for key in keys:
        model.add_exactly_one([*(chosen[g] for g in pairs if key in g), *spare_of(spare, key)])
    if spare:
        model.add_exactly_one(spare.values())
    trios = [lock for lock in locks if len(lock) == 3]
    for lock in locks:
        if lock in chosen:
            model.add(chosen[lock] == 1)
        elif len(lock) == 3 and spare and len(trios) == 1:
            first, second, third = lock  # a locked team of three: two pair up, one is the spare
            model.add(chosen[(first, second)] == 1)
            model.add(spare[third] == 1)
        else:
            raise ValueError(f"a locked team of {len(lock)} cannot be part of this proposal")
    cost = {g: len(_judge([by_key[k] for k in g])[1]) for g in pairs}
    strength = {g: _pair_strength([by_key[k] for k in g]) for g in pairs}
    top = model.new_int_var(0, 20 * STRENGTH_SCALE, "strongest")
    bottom = model.new_int_var(0, 20 * STRENGTH_SCALE, "weakest")
    for g in pairs:
        model.add(top >= strength[g]).only_enforce_if(chosen[g])
        model.add(bottom <= strength[g]).only_enforce_if(chosen[g])
    model.minimize(UNMET * sum(cost[g] * chosen[g] for g in pairs) + (top - bottom))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = SOLVE_SECONDS
    solver.parameters.random_seed = seed
    solver.parameters.num_workers = 8  # a portfolio of strategies: proves optimality sooner
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise ValueError("no way to put everyone in a team with these locked pairs")
    groups = [g for g in pairs if solver.value(chosen[g])]
    left = [k for k, var in spare.items() if solver.value(var)]
    if left:
        groups = _join(groups, left[0], by_key, trios[0] if trios else None)
    proposal = judge_teams(people, groups, locks)
    proposal.teams.sort(key=lambda t: (-len(t.unmet), t.members[0].name.lower()))
    proposal.optimal = status == cp_model.OPTIMAL
    proposal.solve_s = solver.wall_time
    return proposal


def judge_teams(
    people: Sequence[Person],
    groups: Iterable[Sequence[str]],
    locked: Iterable[Sequence[str]] = (),
) -> Proposal:
    """Teams given by email (the solver's, or as the organiser edited them), each judged against
    the constraints, in the order given; the proposal says why what is unmet is unmet."""
    by_key = {p.key: p for p in people}
    locks = {tuple(sorted(e.lower() for e in team)) for team in locked}
    teams = []
    for g in groups:
        members = tuple(by_key[k.lower()] for k in g)
        met, unmet = _judge(members)
        strength = _pair_strength(members) / STRENGTH_SCALE
        teams.append(Team(members, strength, tuple(sorted(p.key for p in members)) in locks,
                          met, unmet))  # fmt: skip
    return Proposal(teams, unmet=_why_unmet(people, teams))


def spare_of(spare: dict, key: str) -> list:
    return [spare[key]] if key in spare else []


def _join(groups: list[tuple[str, ...]], spare: str, by_key, locked_trio) -> list[tuple]:
    """The spare person joins the pair where the team of three breaks the fewest constraints,
    then the one whose strength is nearest the middle."""
    if locked_trio:
        target = next(g for g in groups if set(g) < set(locked_trio))
    else:
        middle = statistics.median(_pair_strength([by_key[k] for k in g]) for g in groups)

        def fit(g):
            trio = [by_key[k] for k in (*g, spare)]
            return len(_judge(trio)[1]) - len(_judge([by_key[k] for k in g])[1]), abs(
                _pair_strength(trio) - middle
            )

        target = min(groups, key=fit)
    return [g if g != target else tuple(sorted((*g, spare))) for g in groups]


def _check_locks(locks: list[tuple[str, ...]], by_key: dict[str, Person]) -> None:
    placed: dict[str, tuple[str, ...]] = {}
    for lock in locks:
        unknown = [e for e in lock if e not in by_key]
        if unknown:
            raise ValueError(f"locked team names {', '.join(unknown)}, who is not in the list")
        for email in lock:
            if email in placed:
                raise ValueError(f"{email} is in two locked teams")
            placed[email] = lock


def _pair_strength(members: Sequence[Person]) -> int:
    """A team's strength as a pair would have it (a team of three counts two thirds)."""
    total = sum(p.strength for p in members) * STRENGTH_SCALE
    return round(total * 2 / len(members))


def _judge(members: Sequence[Person]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Which of the three constraints a team meets and which it breaks, in the organiser's words."""
    met, unmet = [], []
    seniors = [p.name for p in members if p.seniority == SENIOR]
    juniors = [p.name for p in members if p.seniority == JUNIOR]
    if seniors and juniors:
        met.append(f"senior {' and '.join(seniors)} with junior {' and '.join(juniors)}")
    else:
        unmet.append(f"no {JUNIOR if seniors else SENIOR}: all are {SENIOR if seniors else JUNIOR}")
    experienced = [p.name for p in members if p.topic_experience]
    if experienced:
        met.append(f"topic experience: {', '.join(experienced)}")
    else:
        unmet.append("nobody has topic experience")
    repeats = [
        f"{a.name} and {b.name}"
        for a, b in itertools.combinations(members, 2)
        if b.key in a.past_teammates or a.key in b.past_teammates
    ]
    if repeats:
        unmet.append(f"teammates in the last edition: {'; '.join(repeats)}")
    else:
        met.append("new teammates")
    return tuple(met), tuple(unmet)


def _why_unmet(people: Sequence[Person], teams: list[Team]) -> list[str]:
    """The counts that make a broken constraint unavoidable, said once for the whole proposal."""
    reasons = []
    seniors = sum(p.seniority == SENIOR for p in people)
    juniors = len(people) - seniors
    if any(u.startswith("no ") for t in teams for u in t.unmet):
        reasons.append(
            f"{seniors} seniors and {juniors} juniors: {len(teams)} teams cannot all mix both"
            if min(seniors, juniors) < len(teams)
            else "locked teams leave no way to mix seniors and juniors in every team"
        )
    experienced = sum(p.topic_experience for p in people)
    if any(u.startswith("nobody") for t in teams for u in t.unmet):
        reasons.append(
            f"{experienced} people have topic experience for {len(teams)} teams"
            if experienced < len(teams)
            else "the other constraints or locked teams leave a team without topic experience"
        )
    if any(u.startswith("teammates") for t in teams for u in t.unmet):
        reasons.append("some past teammates could only be split by breaking another constraint")
    if any(t.locked and t.unmet for t in teams):
        reasons.append("a locked team breaks a constraint: unlock it to let the solver fix it")
    return reasons


def import_rows(
    teams: Sequence[Team],
    names: dict[tuple[str, ...], str] | None = None,
    *,
    accounts: dict[str, str] | None = None,
    reserved: Iterable[str] = (),
) -> str:
    """The proposal as the team import's CSV (team,username,email). A team without a chosen name
    is called after its members until the pair picks one. `accounts` maps an email to the
    username it already has; other usernames avoid `reserved` (taken by someone else)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["team", "username", "email"])
    accounts = accounts or {}
    taken: set[str] = set(reserved) | set(accounts.values())
    for team in teams:
        name = (names or {}).get(team.emails) or " & ".join(p.name for p in team.members)
        for person in team.members:
            username = accounts.get(person.key) or _username(person, taken)
            writer.writerow([name, username, person.email])
    return out.getvalue()


def _username(person: Person, taken: set[str]) -> str:
    """The part of the address before the @, numbered when two people in the file share it
    (ada@x.org and ada@y.org are two people, not one account)."""
    base = person.key.split("@")[0]
    name, number = base, 1
    while name in taken:
        number += 1
        name = f"{base}{number}"
    taken.add(name)
    return name
