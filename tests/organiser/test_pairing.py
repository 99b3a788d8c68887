"""The pairing assistant: every constraint that can be met is met, the rest is explained, locked
pairs stay, and the proposal imports as teams (issue 24.2)."""

import csv
import io
import random
import re
from itertools import combinations

import pytest
from django.core.management import CommandError, call_command

from competitions.models import Membership, Team
from competitions.pairing import (
    PeopleFileError,
    Person,
    import_rows,
    propose_pairs,
    read_people,
)


def people_csv(rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["name", "email", "seniority", "topic_experience", "past_teammates", "strength"]
    )
    writer.writerows(rows)
    return out.getvalue()


def forty(seed=7):
    """20 seniors, 20 juniors; topic experience on 10 of each; the last edition's pairs
    (senior i with junior i, for the first 12) may not repeat."""
    rng = random.Random(seed)
    rows = []
    for i in range(20):
        past = f"junior{i}@x.org" if i < 12 else ""
        rows.append([f"Senior {i}", f"senior{i}@x.org", "senior", "yes" if i % 2 else "no",
                     past, round(rng.uniform(3, 9), 1)])  # fmt: skip
        rows.append([f"Junior {i}", f"junior{i}@x.org", "junior", "no" if i % 2 else "yes",
                     "", round(rng.uniform(1, 7), 1)])  # fmt: skip
    return rows


def broken(proposal) -> int:
    return sum(len(t.unmet) for t in proposal.teams)


def test_forty_people_meet_every_constraint():
    people = read_people(people_csv(forty()))
    proposal = propose_pairs(people)
    assert proposal.optimal and broken(proposal) == 0 and proposal.unmet == []
    assert sorted(e for t in proposal.teams for e in t.emails) == sorted(p.key for p in people)
    by_key = {p.key: p for p in people}
    for team in proposal.teams:
        a, b = (by_key[e] for e in team.emails)
        assert {a.seniority, b.seniority} == {"senior", "junior"}
        assert a.topic_experience or b.topic_experience
        assert b.key not in a.past_teammates and a.key not in b.past_teammates
        assert team.met and not team.unmet  # each pair says why it was chosen


def matchings(keys):
    if not keys:
        yield []
        return
    first, rest = keys[0], keys[1:]
    for i, other in enumerate(rest):
        for tail in matchings(rest[:i] + rest[i + 1 :]):
            yield [(first, other), *tail]


def test_the_pairs_are_the_most_balanced_of_those_meeting_the_constraints():
    # Every perfect matching of ten people, judged by hand: the solver's spread is the least
    # spread among the matchings that mix seniority and topic experience in every pair.
    rng = random.Random(3)
    rows = [[f"P{i}", f"p{i}@x.org", "senior" if i < 5 else "junior", "yes" if i % 3 else "no",
             "", round(rng.uniform(0, 10), 1)] for i in range(10)]  # fmt: skip
    people = read_people(people_csv(rows))
    by_key = {p.key: p for p in people}
    best = None
    for pairs in matchings(sorted(by_key)):
        if all(
            by_key[a].seniority != by_key[b].seniority
            and (by_key[a].topic_experience or by_key[b].topic_experience)
            for a, b in pairs
        ):
            totals = [by_key[a].strength + by_key[b].strength for a, b in pairs]
            spread = round(max(totals) - min(totals), 1)
            best = spread if best is None else min(best, spread)
    proposal = propose_pairs(people)
    assert broken(proposal) == 0 and proposal.strength_spread == best


def test_an_infeasible_set_breaks_as_few_constraints_as_it_must_and_says_why():
    # 30 seniors, 11 juniors, 41 people: 20 teams (one of three), 9 cannot hold a junior; only 15
    # have topic experience, so 5 teams have nobody with it.
    rows = [[f"S{i}", f"s{i}@x.org", "senior", "yes" if i < 12 else "no", "", 5] for i in range(30)]
    rows += [[f"J{i}", f"j{i}@x.org", "junior", "yes" if i < 3 else "no", "", 5] for i in range(11)]
    proposal = propose_pairs(read_people(people_csv(rows)))
    sizes = sorted(len(t.members) for t in proposal.teams)
    assert sizes == [2] * 19 + [3]
    seniority = [u for t in proposal.teams for u in t.unmet if u.startswith("no junior")]
    topic = [u for t in proposal.teams for u in t.unmet if u == "nobody has topic experience"]
    assert (len(seniority), len(topic)) == (9, 5)
    assert "30 seniors and 11 juniors: 20 teams cannot all mix both" in proposal.unmet
    assert "15 people have topic experience for 20 teams" in proposal.unmet


def test_locked_pairs_stay_even_when_they_break_a_constraint():
    rows = forty()
    people = read_people(people_csv(rows))
    # Two seniors locked together: the solver keeps them and still meets the rest it can.
    proposal = propose_pairs(people, [["Senior0@x.org", "senior1@x.org"]])
    locked = [t for t in proposal.teams if t.locked]
    assert [t.emails for t in locked] == [("senior0@x.org", "senior1@x.org")]
    assert locked[0].unmet == ("no junior: all are senior",)
    assert "a locked team breaks a constraint: unlock it to let the solver fix it" in proposal.unmet
    # Two seniors together leave two juniors to pair: exactly one more team breaks seniority.
    assert sum(u.startswith("no ") for t in proposal.teams for u in t.unmet) == 2


def test_a_repeat_pair_is_the_last_resort():
    rows = [
        ["A", "a@x.org", "senior", "yes", "b@x.org", 5],
        ["B", "b@x.org", "junior", "yes", "", 5],
        ["C", "c@x.org", "senior", "no", "", 5],
        ["D", "d@x.org", "junior", "no", "", 5],
    ]
    teams = {t.emails for t in propose_pairs(read_people(people_csv(rows))).teams}
    assert teams == {("a@x.org", "d@x.org"), ("b@x.org", "c@x.org")}
    for a, b in combinations(["a@x.org", "b@x.org", "c@x.org", "d@x.org"], 2):
        assert ((a, b) in teams) == ({a, b} in ({"a@x.org", "d@x.org"}, {"b@x.org", "c@x.org"}))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name,email\nA,a@x.org\n", "line 1: the header needs the columns"),
        (people_csv([["A", "a@x.org", "lead", "yes", "", 5]]), "line 2: seniority 'lead' is not"),
        (people_csv([["A", "a@x.org", "senior", "maybe", "", 5]]), "topic_experience 'maybe'"),
        (
            people_csv(
                [["A", "a@x.org", "senior", "yes", "", 11], ["B", "b@x.org", "junior", "no", "", 1]]
            ),
            "line 2: strength '11' is not between 0 and 10",
        ),
        (
            people_csv(
                [["A", "a@x.org", "senior", "yes", "", 5], ["A2", "A@x.org", "junior", "no", "", 5]]
            ),
            "line 3: A@x.org is already on line 2",
        ),
        (people_csv([["A", "a@x.org", "senior", "yes", "", 5]]), "fewer than two people"),
    ],
)
def test_a_bad_people_file_names_the_line_and_what_to_change(text, message):
    with pytest.raises(PeopleFileError, match=re.escape(message)):
        read_people(text)


@pytest.mark.django_db
def test_the_command_writes_a_file_that_imports_as_teams(tmp_path):
    source = tmp_path / "people.csv"
    source.write_text(people_csv(forty()))
    out = tmp_path / "teams.csv"
    printed = io.StringIO()
    call_command("propose_pairs", str(source), "--out", str(out), stdout=printed)
    text = printed.getvalue()
    assert "20 teams for 40 people" in text and "every constraint met" in text
    assert "+ senior" in text and "+ new teammates" in text
    call_command("import_teams", str(out), "--no-invite", stdout=io.StringIO())
    assert Team.objects.count() == 20
    names = {p.email: p.name for p in read_people(source.read_text())}
    for team in Team.objects.all():
        emails = [m.user.email for m in Membership.objects.filter(team=team).select_related("user")]
        assert len(emails) == 2
        assert sorted(team.name.split(" & ")) == sorted(names[e] for e in emails)
    with pytest.raises(CommandError, match=re.escape("nobody@x.org, who is not in the list")):
        call_command("propose_pairs", str(source), "--lock", "nobody@x.org,senior1@x.org")


def test_import_rows_uses_a_chosen_name_and_otherwise_the_members():
    a = Person("Ada", "ada@x.org", "senior", True)
    b = Person("Bob", "bob@x.org", "junior", False)
    proposal = propose_pairs([a, b])
    assert import_rows(proposal.teams).splitlines() == [
        "team,username,email", "Ada & Bob,ada,ada@x.org", "Ada & Bob,bob,bob@x.org",
    ]  # fmt: skip
    named = import_rows(proposal.teams, {("ada@x.org", "bob@x.org"): "Gradient Descendants"})
    assert named.splitlines()[1] == "Gradient Descendants,ada,ada@x.org"
