"""A team chooses its name on its team page until its first submission; after it the name is fixed
(issue 24.2: pairs imported under their members' names pick their own)."""

import pytest
from django.urls import reverse

from competitions.models import Team
from tests.factories import logged_in, submit_ref

pytestmark = pytest.mark.django_db


def rename(client, name):
    return client.post(reverse("team-name"), {"name": name}, follow=True).content.decode()


def test_members_name_their_team_before_the_first_submission(world):
    client = logged_in(world.ada)
    page = client.get(reverse("team")).content.decode()
    assert 'data-testid="team-name"' in page and 'value="Alpha"' in page
    page = rename(client, "  Gradient   Descendants ")
    assert "Your team is now called Gradient Descendants." in page
    team = Team.objects.get(pk=world.alpha.pk)
    assert (team.name, team.slug) == ("Gradient Descendants", "gradient-descendants")
    assert "<h1>Gradient Descendants</h1>" in page
    # A name in another alphabet keeps a usable file-name part.
    rename(client, "Нейроны")
    team.refresh_from_db()
    assert (team.name, team.slug) == ("Нейроны", f"team-{team.pk}")


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("Beta", "&#x27;Beta&#x27; is another team&#x27;s name; choose another."),
        ("beta", "&#x27;beta&#x27; is another team&#x27;s name"),
        ("Be-ta!", "start with a letter or digit and use only letters, digits, spaces"),
        ("<b>x</b>", "start with a letter or digit"),
        ("ab", "A team name needs at least 3 characters."),
        ("x" * 41, "A team name has at most 40 characters (this one has 41)."),
        ("", "Type the name your team wants."),
        ("mBERT-baseline", "reads too much like another team&#x27;s name"),
    ],
)
def test_a_refused_name_says_why_and_changes_nothing(world, name, said):
    world.baseline.slug = "mbert-baseline"
    world.baseline.save()
    page = rename(logged_in(world.ada), name)
    assert "Name not changed: " in page and said in page
    assert Team.objects.get(pk=world.alpha.pk).name == "Alpha"


def test_after_the_first_submission_the_name_is_fixed(world):
    submit_ref(world.alpha, world.eval, user=world.ada)
    client = logged_in(world.ada)
    assert 'data-testid="team-name"' not in client.get(reverse("team")).content.decode()
    page = rename(client, "Late Renamers")
    assert "Your team&#x27;s name is fixed since its first submission" in page
    assert Team.objects.get(pk=world.alpha.pk).name == "Alpha"


def test_someone_without_a_team_has_no_name_to_set(world):
    assert logged_in(world.olga).post(reverse("team-name"), {"name": "Olgas"}).status_code == 404
