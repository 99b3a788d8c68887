"""Organisers pair people deliberately: importing teams and their members from a CSV file."""

import csv
import io
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.text import slugify

from competitions.models import Membership, Team

REQUIRED_COLUMNS = ("team", "username", "email")
TEAM_SIZE = 2  # teams are pairs of engineers: other sizes are imported, with a warning


class TeamImportError(ValueError):
    """A CSV file that cannot be imported; the message names the line and the problem."""


@dataclass
class ImportReport:
    teams_created: list[str] = field(default_factory=list)
    users_created: list[str] = field(default_factory=list)
    memberships_created: list[str] = field(default_factory=list)
    # Imported all the same, but worth a look: an address no invitation reaches, a team that
    # is not a pair.
    warnings: list[str] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)  # usernames whose email is not one


def create_team(name: str, *, is_reference: bool = False) -> Team:
    team, _ = Team.objects.get_or_create(
        name=name, defaults={"slug": slugify(name)[:100] or "team", "is_reference": is_reference}
    )
    return team


def _rows(text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    columns = [c.strip().lower() for c in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise TeamImportError(
            f"line 1: the header needs the columns {', '.join(REQUIRED_COLUMNS)} "
            f"(missing {', '.join(missing)})"
        )
    rows = []
    for number, row in enumerate(reader, start=2):
        clean = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
        empty = [c for c in REQUIRED_COLUMNS if not clean.get(c)]
        if empty:
            raise TeamImportError(f"line {number}: {', '.join(empty)} is empty")
        clean["line"] = str(number)
        rows.append(clean)
    return rows


@transaction.atomic
def import_teams(text: str) -> ImportReport:
    """Create users, teams and memberships; running it again with the same file changes nothing."""
    user_model = get_user_model()
    report = ImportReport()
    rows = _rows(text)
    for row in rows:
        if not _valid_email(row["email"]):
            report.unreachable.append(row["username"])
            report.warnings.append(
                f"line {row['line']}: {row['email']!r} is not an email address; no invitation "
                f"can reach {row['username']} (fix the address in the admin, then send a link "
                "with 'Forgot password?')"
            )
        team = Team.objects.filter(name=row["team"]).first()
        if team is None:
            slug = slugify(row["team"])[:100]
            if not slug or Team.objects.filter(slug=slug).exists():
                raise TeamImportError(
                    f"line {row['line']}: team name {row['team']!r} gives the web address "
                    f"{slug!r}, which is empty or taken; choose another name"
                )
            team = Team.objects.create(name=row["team"], slug=slug)
            report.teams_created.append(team.name)
        user = user_model.objects.filter(username=row["username"]).first()
        if user is None:
            user = user_model.objects.create_user(username=row["username"], email=row["email"])
            user.set_unusable_password()
            user.save()
            report.users_created.append(user.username)
        elif user.email and user.email.lower() != row["email"].lower():
            raise TeamImportError(
                f"line {row['line']}: the username {user.username} belongs to another account "
                f"({user.email}); give {row['email']} another username"
            )
        membership = Membership.objects.filter(user=user).select_related("team").first()
        if membership is None:
            Membership.objects.create(user=user, team=team)
            report.memberships_created.append(f"{user.username} → {team.name}")
        elif membership.team_id != team.id:
            raise TeamImportError(
                f"line {row['line']}: {user.username} is already in team {membership.team.name}; "
                "one person belongs to one team (remove the old membership in the admin first)"
            )
    for name in dict.fromkeys(row["team"] for row in rows):
        members = Membership.objects.filter(team__name=name).count()
        if members != TEAM_SIZE:
            report.warnings.append(
                f"team {name} has {members} member(s), not a pair of {TEAM_SIZE}; imported as "
                "it is (change it in the admin if that was a mistake)"
            )
    return report


def _valid_email(address: str) -> bool:
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


class TeamNameFixed(ValueError):
    """A team's name cannot change any more; the message says why and who can."""


def name_is_open(team: Team) -> bool:
    """A team chooses its name until its first submission: after it, boards, snapshots and mails
    carry the name, so it stays (organisers can still change it in the admin)."""
    return not team.submissions.exists()


def slug_for(name: str, team: Team) -> str:
    """The web address and file-name part for `name`; a name with no Latin letter or digit
    (Cyrillic, say) gets one from the team's number."""
    return slugify(name)[:100] or f"team-{team.pk}"


@transaction.atomic
def rename_team(team: Team, name: str) -> Team:
    """`team` takes the name its members chose (validated by forms.TeamNameForm)."""
    team = Team.objects.select_for_update().get(pk=team.pk)
    if not name_is_open(team):
        raise TeamNameFixed(
            f"Your team's name is fixed since its first submission: it is {team.name!r} on the "
            "boards. Ask the organisers if it must change."
        )
    team.name, team.slug = name, slug_for(name, team)
    team.save(update_fields=["name", "slug"])
    return team
