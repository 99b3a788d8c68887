"""`manage.py demo`: set up the demo competition with real runs, then serve the site."""

import os
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from competitions.reads.boards import leaderboard
from competitions.services import demo


class Command(BaseCommand):
    help = "Migrate, load the demo competition, train and evaluate demo models, start the site."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("DEMO_PORT", "8000")))
        parser.add_argument("--no-serve", action="store_true", help="set up only, do not serve")

    def handle(self, *args, port: int, no_serve: bool, **options):
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write("Setting up the demo competition (synthetic mini-XTREME data):")
        competition = demo.seed(say=self.stdout.write)
        board = leaderboard(competition.phases.get(key="eval"))
        self.stdout.write("\nThe evaluation board after efficiency re-ranking:")
        for row in board.rows:
            self.stdout.write(
                f"  {row.final_rank}. {row.team:<22} {row.overall:5.1f}  {row.runtime_s:6.2f} s  "
                f"{row.reason}"
            )
        url = f"http://127.0.0.1:{port}/"
        self.stdout.write(
            self.style.SUCCESS(
                f"\nPodium demo is ready: {url}\n"
                f"  leaderboard: {url}c/{competition.slug}/leaderboard/eval/\n"
                f"  log in as a team member: ada / {demo.DEMO_PASSWORD}"
                f"   organiser (admin at {url}admin/): organiser / {demo.DEMO_PASSWORD}\n"
            )
        )
        if no_serve:
            return
        # New submissions are evaluated by a foreground worker that polls the database.
        watcher = subprocess.Popen(
            [sys.executable, "manage.py", "evaluate", "--pending", "--watch"], cwd=settings.BASE_DIR
        )
        try:
            call_command("runserver", f"127.0.0.1:{port}", use_reloader=False)
        finally:
            watcher.terminate()
