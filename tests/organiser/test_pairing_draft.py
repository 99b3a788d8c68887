"""The pairing draft the organiser's page edits (services/pairing.py): hand edits are judged, locked
teams survive a re-solve while the rest still meet the constraints, and the draft imports as teams
with invitations (issue 24.2)."""

import pytest
from django.contrib.auth.models import User
from django.core import mail

from competitions.models import Membership, Team
from competitions.pairing import read_people
from competitions.services import pairing
from competitions.services.pairing import PairingDraft, PairingRefused
from tests.organiser.test_pairing import forty, people_csv


def draft_of(rows) -> PairingDraft:
    draft = pairing.start(read_people(people_csv(rows)))
    # The page keeps the draft as JSON in the session: every test goes through that round trip.
    return PairingDraft.from_json(draft.to_json())


def broken(draft) -> int:
    return sum(len(t.unmet) for t in draft.proposal().teams)


def test_locked_teams_survive_a_resolve_and_the_rest_still_meet_every_constraint():
    draft = draft_of(forty())
    assert broken(draft) == 0
    # The organiser swaps two people between two pairs, keeping each pair mixed, and locks both.
    first, second = draft.teams[0], draft.teams[1]
    juniors = {p.key for p in draft.people if p.seniority == "junior"}
    a = next(e for e in first.emails if e in juniors)
    b = next(e for e in second.emails if e in juniors)
    draft = pairing.swap(draft, a, b)
    wanted = [sorted(first.emails), sorted(second.emails)]
    draft = pairing.set_lock(draft, 0, True)
    draft = pairing.set_lock(draft, 1, True)
    again = pairing.resolve(PairingDraft.from_json(draft.to_json()))
    kept = sorted(sorted(t.emails) for t in again.teams if t.locked)
    assert kept == sorted(wanted)
    others = [t for t in again.proposal().teams if not t.locked]
    assert len(others) == 18 and all(not t.unmet for t in others)
    everyone = sorted(e for t in again.teams for e in t.emails)
    assert everyone == sorted(p.key for p in draft.people)


def test_a_hand_edit_is_judged_and_a_resolve_repairs_what_is_not_locked():
    draft = draft_of(forty())
    seniors = [p.key for p in draft.people if p.seniority == "senior"]
    # Senior b takes the place of a's junior: a and b are two seniors together, and the two
    # juniors left share the other team.
    a, b = seniors[0], seniors[1]
    junior_of_a = next(e for e in draft.teams[draft.team_of(a)].emails if e != a)
    draft = pairing.swap(draft, junior_of_a, b)
    proposal = draft.proposal()
    assert proposal.teams[draft.team_of(a)].unmet == ("no junior: all are senior",)
    assert "no senior: all are junior" in proposal.teams[draft.team_of(junior_of_a)].unmet
    draft = pairing.set_lock(draft, draft.team_of(a), True)
    assert "a locked team breaks a constraint: unlock it to let the solver fix it" in (
        draft.proposal().unmet
    )
    # Re-solved, the locked pair of seniors stays; the solver can only pair the juniors left.
    again = pairing.resolve(draft)
    assert sorted(t.emails for t in again.teams if t.locked) == [sorted([a, b])]
    assert broken(again) == 2
    again = pairing.resolve(pairing.set_lock(again, again.team_of(a), False))
    assert broken(again) == 0


def test_edits_refused_say_what_to_do():
    draft = draft_of(forty())
    a, b = draft.teams[0].emails
    with pytest.raises(PairingRefused, match="same team: pick people from two teams"):
        pairing.swap(draft, a, b)
    pairing.set_lock(draft, 0, True)
    with pytest.raises(PairingRefused, match="is locked: unlock it first"):
        pairing.move(draft, a, 1)
    with pytest.raises(PairingRefused, match="is locked: unlock it first"):
        pairing.move(draft, draft.teams[1].emails[0], 0)
    # A team of one cannot be locked (the solver only keeps pairs and teams of three).
    pairing.move(draft, draft.teams[1].emails[0], None)
    assert [len(t.emails) for t in draft.teams].count(1) == 2
    lonely = next(i for i, t in enumerate(draft.teams) if len(t.emails) == 1)
    with pytest.raises(PairingRefused, match="Only a pair or a team of three can be locked"):
        pairing.set_lock(draft, lonely, True)


def test_an_infeasible_set_is_explained_in_the_draft():
    rows = [[f"S{i}", f"s{i}@x.org", "senior", "yes" if i < 3 else "no", "", 5] for i in range(8)]
    rows += [[f"J{i}", f"j{i}@x.org", "junior", "no", "", 5] for i in range(2)]
    proposal = draft_of(rows).proposal()
    assert "8 seniors and 2 juniors: 5 teams cannot all mix both" in proposal.unmet
    assert "3 people have topic experience for 5 teams" in proposal.unmet
    assert sum(u.startswith("no junior") for t in proposal.teams for u in t.unmet) == 3
    assert sum(u == "nobody has topic experience" for t in proposal.teams for u in t.unmet) == 2


@pytest.mark.django_db
def test_the_draft_imports_as_teams_named_after_their_members_with_invitations():
    rows = forty()[:6]
    rows.append(["Senior 0 bis", "senior0@y.org", "senior", "yes", "", 5])  # same user part
    rows.append(["Junior 9", "junior9@x.org", "junior", "yes", "", 5])
    draft = draft_of(rows)
    # An account with a person's address is theirs; a username taken by someone else is not.
    User.objects.create_user("s1-from-last-year", "Senior1@x.org")
    User.objects.create_user("junior2", "someone.else@x.org")
    done = pairing.import_draft(draft, site_url="https://podium.test")
    assert len(done.report.teams_created) == 4 and Team.objects.count() == 4
    people = {p.key: p.name for p in draft.people}
    for team in draft.proposal().teams:
        made = Team.objects.get(name=" & ".join(p.name for p in team.members))
        emails = sorted(m.user.email.lower() for m in Membership.objects.filter(team=made))
        assert emails == sorted(team.emails)
    # Two people whose addresses share the part before the @ are two accounts.
    twins = Membership.objects.filter(user__email__startswith="senior0@")
    assert sorted(m.user.username for m in twins) == ["senior0", "senior02"]
    assert Membership.objects.get(user__email="Senior1@x.org").user.username == "s1-from-last-year"
    assert Membership.objects.get(user__email="junior2@x.org").user.username == "junior22"
    invited = sorted(people.keys() - {"senior1@x.org"})  # an existing account is not invited again
    assert sorted(m.to[0] for m in mail.outbox) == invited
    assert all("https://podium.test/accounts/password/set/" in m.body for m in mail.outbox)
