"""The organisers' pairing page: upload the people, read the pairs and why, edit, lock, re-solve,
import as teams; a broken file is told by line, and only organisers get in (issue 24.2)."""

import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from competitions.models import Membership, Team
from tests.factories import logged_in
from tests.organiser.test_pairing import people_csv

pytestmark = pytest.mark.django_db

ROWS = [
    ["Ada", "ada@x.org", "senior", "yes", "bea@x.org", 8],
    ["Bea", "bea@x.org", "junior", "no", "", 3],
    ["Cem", "cem@x.org", "senior", "no", "", 6],
    ["Dia", "dia@x.org", "junior", "yes", "", 4],
    ["Eli", "eli@x.org", "senior", "yes", "", 5],
    ["Fay", "fay@x.org", "junior", "no", "", 5],
]


def url(world, action=None):
    if action is None:
        return reverse("organiser-pairing", args=[world.competition.slug])
    return reverse("organiser-pairing-action", args=[world.competition.slug, action])


def upload(client, world, text, name="people.csv"):
    file = SimpleUploadedFile(name, text.encode(), content_type="text/csv")
    return client.post(url(world, "upload"), {"people": file}, follow=True)


def cards(page: str) -> dict[int, str]:
    """Each team's card on the page, by its index."""
    found = re.findall(
        r'<section class="card pair[^"]*" data-team="(\d+)"(.*?)</section>', page, re.S
    )
    return {int(i): body for i, body in found}


def test_the_organiser_pairs_edits_locks_resolves_and_imports(world):
    client = logged_in(world.olga)
    assert (
        'data-testid="pairing-link"'
        in client.get(reverse("organiser", args=[world.competition.slug])).content.decode()
    )
    page = upload(client, world, people_csv(ROWS)).content.decode()
    assert "6 people read" in page and "3 teams for 6 people" in page
    assert "every constraint met" in page
    teams = cards(page)
    assert len(teams) == 3 and all(
        "+ senior" in body and "new teammates" in body for body in teams.values()
    )
    ada_card = next(i for i, body in teams.items() if "ada@x.org" in body)
    assert "bea@x.org" not in teams[ada_card]  # last edition's teammates are kept apart

    # Swap Ada's partner for Bea: the page says which constraint that pair now breaks.
    partner = next(e for e in re.findall(r"\w+@x\.org", teams[ada_card]) if e != "ada@x.org")
    page = client.post(
        url(world, "swap"), {"first": partner, "second": "bea@x.org"}, follow=True
    ).content.decode()
    ada_card, body = next((i, b) for i, b in cards(page).items() if "ada@x.org" in b)
    assert "bea@x.org" in body and "teammates in the last edition: Ada and Bea" in body
    assert re.search(r'data-testid="broken">\d+ constraints? not met', page)

    # Locked, the pair survives a re-solve, still explained as breaking the rule.
    client.post(url(world, "lock"), {"team": ada_card})
    page = client.post(url(world, "resolve"), follow=True).content.decode()
    assert "Re-solved; 1 locked team kept." in page
    locked = [b for b in cards(page).values() if "data-locked" in b]
    assert len(locked) == 1 and "ada@x.org" in locked[0] and "bea@x.org" in locked[0]
    assert "a locked team breaks a constraint" in page

    # Unlocked and re-solved, every constraint is met again; then the organiser imports.
    ada_card = next(i for i, b in cards(page).items() if "ada@x.org" in b)
    client.post(url(world, "unlock"), {"team": ada_card})
    page = client.post(url(world, "resolve"), follow=True).content.decode()
    assert "every constraint met" in page
    refused = client.post(url(world, "import"), {"invite": "on"}, follow=True).content.decode()
    assert "Tick the box to confirm the import" in refused and Team.objects.count() == 3  # world's
    page = client.post(url(world, "import"), {"confirmed": "on", "invite": "on"}, follow=True)
    page = page.content.decode()
    assert "3 teams, 6 accounts and 6 memberships created; 6 invitations sent" in page
    made = Team.objects.exclude(pk__in=[world.alpha.pk, world.beta.pk, world.baseline.pk])
    assert made.count() == 3
    for team in made:
        members = sorted(Membership.objects.filter(team=team).values_list("user__email", flat=True))
        assert len(members) == 2 and "&" in team.name
        assert members != ["ada@x.org", "bea@x.org"]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r[1] for r in ROWS)
    # The world's "ada" is someone else: the new Ada gets an account of her own.
    assert Membership.objects.get(user__email="ada@x.org").user.username == "ada2"
    assert 'data-testid="pairs"' not in page  # the draft is done with


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (
            people_csv([*ROWS[:2], ["Cem", "cem@x.org", "lead", "no", "", 6]]),
            "people.csv, line 4: seniority &#x27;lead&#x27; is not one of senior, junior. "
            "Fix the file and upload it again",
        ),
        ("name,mail\nA,a@x.org\n", "people.csv, line 1: the header needs the columns"),
        (people_csv(ROWS[:1]), "fewer than two people"),
    ],
)
def test_a_broken_file_says_which_line_and_what_to_do(world, text, said):
    client = logged_in(world.olga)
    file = SimpleUploadedFile("people.csv", text.encode(), content_type="text/csv")
    answer = client.post(url(world, "upload"), {"people": file})
    assert answer.status_code == 400
    assert said in answer.content.decode()
    assert 'data-testid="pairs"' not in answer.content.decode()


def test_a_file_that_is_not_text_is_refused_with_a_message(world):
    client = logged_in(world.olga)
    file = SimpleUploadedFile("people.xlsx", b"PK\x03\x04\xff\xfe\x00", content_type="text/csv")
    answer = client.post(url(world, "upload"), {"people": file})
    assert answer.status_code == 400
    assert "people.xlsx is not UTF-8 text: save it as “CSV UTF-8”" in answer.content.decode()


def test_only_organisers_pair(world):
    client = logged_in(world.ada)
    assert client.get(url(world)).status_code == 403
    file = SimpleUploadedFile("people.csv", people_csv(ROWS).encode())
    assert client.post(url(world, "upload"), {"people": file}).status_code == 403
    assert client.post(url(world, "import"), {"confirmed": "on"}).status_code == 403
    anonymous = logged_in(world.olga)
    anonymous.logout()
    assert anonymous.get(url(world)).status_code == 302
