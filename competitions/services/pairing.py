"""The organiser's pairing loop on the site: a draft of teams proposed by the solver
(competitions/pairing.py), edited by hand, locked, re-solved, then imported as teams.

A draft is plain JSON (the page keeps it in the organiser's session): the people as read from
their CSV, and the teams as lists of emails with a lock each. Every edit is checked here, so the
page only says what was refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model

from competitions.pairing import Person, Proposal, import_rows, judge_teams, propose_pairs
from competitions.services.invitations import invite_imported
from competitions.services.teams import ImportReport, TeamImportError, import_teams


class PairingRefused(ValueError):
    """An edit, a re-solve or an import that cannot be done; the message says what to do."""


@dataclass
class DraftTeam:
    emails: list[str]
    locked: bool = False


@dataclass
class PairingDraft:
    people: list[Person]
    teams: list[DraftTeam] = field(default_factory=list)
    optimal: bool = True
    solve_s: float = 0.0

    def to_json(self) -> dict:
        return {
            "people": [
                {
                    "name": p.name,
                    "email": p.email,
                    "seniority": p.seniority,
                    "topic_experience": p.topic_experience,
                    "past_teammates": sorted(p.past_teammates),
                    "strength": p.strength,
                }
                for p in self.people
            ],
            "teams": [{"emails": t.emails, "locked": t.locked} for t in self.teams],
            "optimal": self.optimal,
            "solve_s": self.solve_s,
        }

    @classmethod
    def from_json(cls, data: dict) -> PairingDraft:
        people = [
            Person(**{**p, "past_teammates": frozenset(p["past_teammates"])})
            for p in data["people"]
        ]
        teams = [DraftTeam(list(t["emails"]), bool(t["locked"])) for t in data["teams"]]
        return cls(people, teams, bool(data["optimal"]), float(data["solve_s"]))

    def proposal(self) -> Proposal:
        """The teams as they stand, each judged against the constraints."""
        proposal = judge_teams(
            self.people,
            [t.emails for t in self.teams],
            [t.emails for t in self.teams if t.locked],
        )
        proposal.optimal, proposal.solve_s = self.optimal, self.solve_s
        return proposal

    def team_of(self, email: str) -> int:
        for index, team in enumerate(self.teams):
            if email in team.emails:
                return index
        raise PairingRefused(f"{email} is not in this draft; upload the people file again")


def start(people: list[Person]) -> PairingDraft:
    """The solver's first proposal for these people."""
    return _solved(PairingDraft(people))


def resolve(draft: PairingDraft) -> PairingDraft:
    """A new proposal that keeps every locked team exactly as it is."""
    return _solved(draft)


def _solved(draft: PairingDraft) -> PairingDraft:
    locked = [t.emails for t in draft.teams if t.locked]
    try:
        proposal = propose_pairs(draft.people, locked)
    except ValueError as error:
        raise PairingRefused(f"Not re-solved: {error}. Unlock that team, then re-solve.") from None
    teams = [DraftTeam([p.key for p in t.members], t.locked) for t in proposal.teams]
    return PairingDraft(draft.people, teams, proposal.optimal, round(proposal.solve_s, 3))


def _editable(draft: PairingDraft, index: int) -> DraftTeam:
    if not 0 <= index < len(draft.teams):
        raise PairingRefused("That team is no longer in the draft; the page shows it as it is now.")
    team = draft.teams[index]
    if team.locked:
        names = " & ".join(_name(draft, e) for e in team.emails)
        raise PairingRefused(f"{names} is locked: unlock it first to change it.")
    return team


def move(draft: PairingDraft, email: str, to: int | None) -> PairingDraft:
    """`email` leaves their team for team `to` (None: a team of their own)."""
    source = _editable(draft, draft.team_of(email))
    target = _editable(draft, to) if to is not None else None
    if target is source:
        raise PairingRefused(f"{_name(draft, email)} is already in that team.")
    source.emails.remove(email)
    if target is None:
        draft.teams.append(DraftTeam([email]))
    else:
        target.emails.append(email)
    draft.teams = [t for t in draft.teams if t.emails]
    return draft


def swap(draft: PairingDraft, first: str, second: str) -> PairingDraft:
    """Two people in different teams change places."""
    a, b = (_editable(draft, draft.team_of(e)) for e in (first, second))
    if a is b:
        raise PairingRefused(
            f"{_name(draft, first)} and {_name(draft, second)} are in the same team: "
            "pick people from two teams."
        )
    a.emails[a.emails.index(first)] = second
    b.emails[b.emails.index(second)] = first
    return draft


def set_lock(draft: PairingDraft, index: int, locked: bool) -> PairingDraft:
    if not 0 <= index < len(draft.teams):
        raise PairingRefused("That team is no longer in the draft; the page shows it as it is now.")
    team = draft.teams[index]
    if locked and len(team.emails) not in (2, 3):
        raise PairingRefused(
            "Only a pair or a team of three can be locked: move someone in or out first."
        )
    team.locked = locked
    return draft


@dataclass
class PairingImport:
    report: ImportReport
    invited: list = field(default_factory=list)


def import_draft(
    draft: PairingDraft, *, invite: bool = True, site_url: str | None = None
) -> PairingImport:
    """The draft's teams as Podium teams, named after their members until each pair chooses a
    name on its team page; each new member is invited as `manage.py import_teams` does."""
    users = get_user_model().objects.all()
    mine = {p.key for p in draft.people}
    accounts = {
        e.lower(): u for u, e in users.values_list("username", "email") if e.lower() in mine
    }
    reserved = set(users.values_list("username", flat=True))
    rows = import_rows(draft.proposal().teams, accounts=accounts, reserved=reserved)
    try:
        report = import_teams(rows)
    except TeamImportError as error:
        raise PairingRefused(f"Nothing was imported: {error}.") from None
    return PairingImport(report, invite_imported(report, site_url) if invite else [])


def _name(draft: PairingDraft, email: str) -> str:
    return next((p.name for p in draft.people if p.key == email), email)
