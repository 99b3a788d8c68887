"""`manage.py submit_reference`: organisers submit a reference model (the baseline) to a phase."""

import shlex
from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from competitions.models import Phase
from competitions.services.eligibility import SubmissionRefused
from competitions.services.submissions import Artifact, submit
from competitions.services.teams import create_team


class Command(BaseCommand):
    help = (
        "Submit a reference model (shown on the board, never ranked, no attempt limit): an image "
        "archive, a digest-pinned image reference, or a trusted local command."
    )

    def add_arguments(self, parser):
        parser.add_argument("competition")
        parser.add_argument("phase")
        parser.add_argument("--team", default="mBERT baseline")
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--archive", type=Path, help="a `docker save` archive")
        source.add_argument("--image-ref", help="name@sha256:… pinned by digest")
        source.add_argument(
            "--command",
            help="a trusted local command with {input} and {output} placeholders, e.g. "
            '"python -m baselines.mbert.predict --checkpoint runs/tiny --input {input} '
            '--output {output}"',
        )
        parser.add_argument("--description", default="")

    def handle(
        self, *args, competition, phase, team, archive, image_ref, command, description, **_
    ):
        found = Phase.objects.filter(competition__slug=competition, key=phase).first()
        if found is None:
            raise CommandError(f"competition {competition!r} has no phase {phase!r}")
        reference = create_team(team, is_reference=True)
        if not reference.is_reference:
            raise CommandError(f"team {team!r} exists and is a competing team, not a reference")
        try:
            if archive:
                with archive.open("rb") as handle:
                    submission = submit(
                        reference, found, Artifact(image_file=File(handle, name=archive.name)),
                        description=description,
                    )  # fmt: skip
            else:
                artifact = (
                    Artifact(image_ref=image_ref)
                    if image_ref
                    else Artifact(trusted_command=shlex.split(command))
                )
                submission = submit(reference, found, artifact, description=description)
        except (SubmissionRefused, OSError) as error:
            raise CommandError(str(error)) from None
        run = submission.runs.get()
        self.stdout.write(
            self.style.SUCCESS(f"{reference.name}: submission {submission.pk}, run {run.pk} queued")
        )
