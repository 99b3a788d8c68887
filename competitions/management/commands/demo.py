"""`manage.py demo`: set up the demo competition with real runs, serve the site, run a worker."""

import os
import signal
import sys
import threading
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from competitions.management import demo_runtime
from competitions.reads.boards import leaderboard
from competitions.services import demo
from competitions.worker import entry


def _exit_on_sigterm(signum, frame):
    # SIGTERM unwinds like Ctrl-C: the `finally` below stops the worker and what it started.
    sys.exit(128 + signum)


class Command(BaseCommand):
    help = "Migrate, load the demo competition, train and evaluate demo models, start the site."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("DEMO_PORT", "8000")))
        parser.add_argument("--no-serve", action="store_true", help="set up only, do not serve")
        parser.add_argument(
            "--no-models",
            action="store_true",
            help="no pre-made runs: only the competition, its teams and accounts (no training)",
        )
        parser.add_argument(
            "--full-recipe",
            action="store_true",
            help="train the demo's checkpoints by the baseline's full recipe (slower)",
        )
        parser.add_argument(
            "--no-docker",
            action="store_true",
            help="do not use a Docker engine even if there is one",
        )
        parser.add_argument(
            "--quiet", action="store_true", help="print only the address and logins"
        )

    def handle(self, *args, port, no_serve, no_models, full_recipe, no_docker, quiet, **options):
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, _exit_on_sigterm)
        started = time.monotonic()
        say = (lambda line: None) if quiet else self.stdout.write
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        say("Preparing the database …")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        docker = self._docker(say, disabled=no_docker)
        if not docker:
            # Pages and the API say so beside the upload form.
            settings.PODIUM_DOCKER_WORKERS = False
        say("Setting up the demo competition (synthetic mini-XTREME data):")
        try:
            here = entry.WorkerContext.from_settings()  # the demo's own runs, in this process
            evaluate = None if no_models else (lambda run_id: entry.evaluate_one(run_id, here))
            competition = demo.seed(
                say=say, evaluate=evaluate, prepare=entry.prepare_phase, full_recipe=full_recipe
            )
        except demo.DemoStepFailed as error:
            raise CommandError(str(error)) from None
        if not quiet:
            self._print_board(competition)
        if no_serve:
            self.stdout.write(
                self.style.SUCCESS(
                    f"\nDemo set up in {time.monotonic() - started:.0f} s (--no-serve: no site and "
                    f"no worker started). The database is {settings.DATABASES['default']['NAME']}; "
                    "serve it with `make demo` or `python manage.py demo`."
                )
            )
            return
        # Links in the emails the site and the worker print point at this demo.
        site = f"http://127.0.0.1:{port}"
        settings.PODIUM_SITE_URL = os.environ["PODIUM_SITE_URL"] = site
        worker = demo_runtime.start_worker(docker=docker, quiet=quiet)
        try:
            self._print_ready(competition, port, docker, time.monotonic() - started)
            call_command("runserver", f"127.0.0.1:{port}", use_reloader=False)
        finally:
            demo_runtime.stop_group(worker)

    def _docker(self, say, *, disabled: bool) -> bool:
        if disabled:
            say("Docker: not used (--no-docker); team images will wait queued for a Docker worker.")
            return False
        engine = demo_runtime.docker_engine()
        if not engine.reachable:
            self.stdout.write(
                self.style.WARNING(
                    f"Docker: no engine reachable ({engine.detail}). The demo's models run as "
                    "local processes; an image a team submits waits queued until a Docker worker "
                    "starts."
                )
            )
            return False
        say(f"Docker: {engine.detail}; building the offline base image and example (cached) …")
        began = time.monotonic()
        with demo.ticking(say, "  building the images"):
            failure = demo_runtime.build_images()
        if failure:
            self.stdout.write(
                self.style.WARNING(
                    "Docker: the images could not be built, so team images will wait queued:\n"
                    + failure
                )
            )
            return False
        say(f"  images ready in {time.monotonic() - began:.0f} s")
        return True

    def _print_board(self, competition) -> None:
        board = leaderboard(competition.phases.get(key=demo.SHOWCASE))
        if not board.rows and not board.references:
            return
        self.stdout.write(
            f"\nThe board of the demo's own models ({board.phase.title}) after efficiency "
            "re-ranking:"
        )
        for row in [*board.rows, *board.references]:
            rank = "ref" if row.is_reference else f"{row.final_rank}."
            runtime = f"{row.runtime_s:6.2f} s" if row.runtime_s is not None else "     — "
            reason = "reference, not ranked" if row.is_reference else row.reason
            self.stdout.write(f"  {rank:>4} {row.team:<22} {row.overall:5.1f}  {runtime}  {reason}")

    def _print_ready(self, competition, port: int, docker: bool, elapsed_s: float) -> None:
        url = f"http://127.0.0.1:{port}/"
        runs = (
            "a Docker worker scores the images teams submit (docs/submission-contract.md)"
            if docker
            else "no Docker: image submissions wait queued; only local commands are evaluated"
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"\nPodium demo is ready after {elapsed_s:.0f} s: {url}\n"
                f"  the demo's models (local processes): "
                f"{url}c/{competition.slug}/leaderboard/{demo.SHOWCASE}/\n"
                f"  teams' images (scored in Docker, a board of their own): "
                f"{url}c/{competition.slug}/leaderboard/eval/\n"
                f"  how to submit: {url}c/{competition.slug}/how-to-submit/\n"
                f"  log in as a team member: ada / {demo.DEMO_PASSWORD}"
                f"   organiser (admin at {url}admin/): organiser / {demo.DEMO_PASSWORD}\n"
                f"  worker: {runs}\n"
                "  Ctrl-C stops the site and the worker.\n"
            )
        )
