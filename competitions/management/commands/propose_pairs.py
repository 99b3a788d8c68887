"""`manage.py propose_pairs PEOPLE.csv`: the pairing assistant. Proposes pairs (senior with junior,
topic experience in each, no pair from the last edition, balanced strength), says why each pair
was chosen and which constraints could not be met, and writes the team import's CSV."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from competitions.pairing import PeopleFileError, import_rows, propose_pairs, read_people


class Command(BaseCommand):
    help = (
        "Propose pairs from a CSV of people (name,email,seniority,topic_experience"
        "[,past_teammates,strength]) and write them as an import_teams CSV."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--lock",
            action="append",
            default=[],
            metavar="EMAIL,EMAIL",
            help="keep these people together as a team (repeat for several teams)",
        )
        parser.add_argument(
            "--out", type=Path, help="write the pairs as a CSV for `manage.py import_teams`"
        )
        parser.add_argument("--seed", type=int, default=0, help="the solver's seed")

    def handle(self, *args, file: Path, lock, out=None, seed=0, **options):
        try:
            people = read_people(file.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"cannot read {file}: {error}") from None
        except PeopleFileError as error:
            raise CommandError(f"{file}: {error}") from None
        locked = [[e.strip() for e in team.split(",") if e.strip()] for team in lock]
        try:
            proposal = propose_pairs(people, locked, seed=seed)
        except ValueError as error:
            raise CommandError(f"{error}; change or drop that --lock") from None
        broken = sum(len(t.unmet) for t in proposal.teams)
        self.stdout.write(
            f"{len(proposal.teams)} teams for {len(people)} people in {proposal.solve_s:.2f} s; "
            f"strength spread {proposal.strength_spread:g}; "
            + (f"{broken} constraints not met" if broken else "every constraint met")
            + ("" if proposal.optimal else " (best found in the time allowed)")
        )
        for team in proposal.teams:
            names = " & ".join(f"{p.name} <{p.email}>" for p in team.members)
            mark = " [locked]" if team.locked else ""
            self.stdout.write(f"  {names}{mark}: strength {team.strength:g}")
            for reason in team.met:
                self.stdout.write(f"      + {reason}")
            for reason in team.unmet:
                self.stdout.write(self.style.WARNING(f"      - {reason}"))
        for reason in proposal.unmet:
            self.stdout.write(self.style.WARNING(f"why: {reason}"))
        if out:
            out.write_text(import_rows(proposal.teams), encoding="utf-8")
            self.stdout.write(
                f"wrote {out}: edit the team names (or the pairs), then "
                f"`manage.py import_teams {out}`; re-run with --lock to keep pairs you like"
            )
