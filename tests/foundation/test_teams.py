"""`import_teams`: users, teams and memberships from CSV, idempotently; bad rows named."""

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from competitions.models import Membership, Team

pytestmark = pytest.mark.django_db

CSV = "team,username,email\nNeurotic Networks,ada,ada@example.com\nNeurotic Networks,alan,alan@example.com\nToken Ring,barbara,b@example.com\n"


def test_import_twice_creates_once(tmp_path):
    path = tmp_path / "teams.csv"
    path.write_text(CSV)
    call_command("import_teams", str(path))
    call_command("import_teams", str(path))
    assert Team.objects.count() == 2
    assert User.objects.count() == 3
    assert Membership.objects.count() == 3
    assert set(
        Team.objects.get(name="Neurotic Networks").members.values_list("username", flat=True)
    ) == {"ada", "alan"}


def test_missing_column_is_named(tmp_path):
    path = tmp_path / "teams.csv"
    path.write_text("team,user\nA,b\n")
    with pytest.raises(CommandError, match="missing username, email"):
        call_command("import_teams", str(path))


def test_person_in_two_teams_is_refused_and_nothing_imported(tmp_path):
    path = tmp_path / "teams.csv"
    path.write_text(CSV + "Gradient Descendants,ada,ada@example.com\n")
    with pytest.raises(CommandError, match="line 5: ada is already in team Neurotic Networks"):
        call_command("import_teams", str(path))
    assert not Team.objects.exists()


def test_api_token_command_works(tmp_path):
    from io import StringIO

    User.objects.create_user("grace")
    out = StringIO()
    call_command("drf_create_token", "grace", stdout=out)
    from rest_framework.authtoken.models import Token

    assert Token.objects.get(user__username="grace").key in out.getvalue()


def test_invalid_emails_and_teams_that_are_not_pairs_are_warned_about(tmp_path, mailoutbox):
    path = tmp_path / "teams.csv"
    path.write_text(
        "team,username,email\n"
        "Trio,ada,ada@example.com\nTrio,alan,alan@example.com\nTrio,grace,grace@example.com\n"
        "Pair,barbara,not-an-address\nPair,edsger,e@example.com\n"
    )
    out = StringIO()
    call_command("import_teams", str(path), stdout=out)
    text = out.getvalue()
    assert "warning: line 5: 'not-an-address' is not an email address" in text
    assert "no invitation can reach barbara" in text
    assert "warning: team Trio has 3 member(s), not a pair of 2" in text
    assert "team Pair has" not in text
    assert Membership.objects.count() == 5  # imported all the same
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        ["ada@example.com", "alan@example.com", "grace@example.com", "e@example.com"]
    )
