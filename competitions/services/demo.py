"""The demo: a competition on synthetic data with real runs, so a newcomer sees a working board.

Everything goes through the real pipeline: the YAML loader, the team import, `submit`, and the
worker's own evaluation, which the caller hands in (`manage.py demo` passes the worker's door), so
this service never imports the worker. The demo's models run as local processes (ProcessRunner),
which is why `make demo` sets PODIUM_ALLOW_UNTRUSTED_PROCESS_RUNS: it needs no Docker on a fresh
machine. A process run is not timed as a container run is (no container start, no cgroup limits),
so the two are never compared: the demo's runs have a phase and a board of their own (SHOWCASE),
closed to teams, whose images go to the other phases and are scored in Docker.
"""

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model

from baselines import majority
from competitions.durations import duration_words
from competitions.models import Competition, Phase
from competitions.reads.organiser import split_state
from competitions.services.competitions import load_competition
from competitions.services.organiser import close_phase, open_phase
from competitions.services.submissions import Artifact, submit
from competitions.services.teams import create_team, import_teams
from competitions.spec import parse_competition

ROOT = Path(settings.BASE_DIR)
SHOWCASE = "showcase"  # the phase of the demo's own models (examples/demo.yaml)
DEMO_PASSWORD = "podium-demo"  # noqa: S105 - printed for the demo's local accounts, never used elsewhere


@dataclass(frozen=True)
class DemoModel:
    """A model the demo submits: which team, which checkpoint, how it predicts."""

    team: str
    description: str
    checkpoint: str | None  # a key of CHECKPOINTS; None: the majority predictor
    predict_args: tuple[str, ...] = ()
    reference: bool = False


# Checkpoints the demo trains once: the supplied baseline's recipe with the small offline model,
# zero-shot from English, and two team variants that also train on the demo's other languages.
DEMO_LANGUAGES = "en,de,fr,ru,ar,hi,ja,zh"
CHECKPOINTS = {
    "baseline": ("--model", "tiny", "--epochs", "4"),
    "multilingual": ("--model", "tiny", "--epochs", "4", "--train-languages", DEMO_LANGUAGES,
                     "--max-train-examples", "1200"),
    "multilingual-small": ("--model", "tiny", "--epochs", "4", "--train-languages", DEMO_LANGUAGES,
                           "--max-train-examples", "1000"),
}  # fmt: skip
# What the demo trains by default, so that a fresh 2-core machine is ready in minutes: the same
# recipes on a quarter of the data-epochs. `--full-recipe` trains the ones above.
QUICK = {
    "baseline": ("--epochs", "2"),
    "multilingual": ("--epochs", "2", "--max-train-examples", "600"),
    "multilingual-small": ("--epochs", "2", "--max-train-examples", "400"),
}

MODELS = (
    DemoModel(
        "mBERT baseline",
        "The supplied baseline recipe with the small offline model, zero-shot from English",
        "baseline",
        reference=True,
    ),
    DemoModel(
        "Neurotic Networks",
        "Baseline trained on every language; predicts one sentence at a time",
        "multilingual",
        ("--max-batch-tokens", "16"),
    ),
    DemoModel(
        "Gradient Descendants",
        "Baseline trained on every language with less data; default batching",
        "multilingual-small",
    ),
    DemoModel("Token Ring", "Majority class, as a sanity check", None),
)


# Progress bars of the libraries the baseline uses (tqdm, Hugging Face) stay off: the demo says
# one line per step instead.
QUIET_ENV = {
    "TQDM_DISABLE": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
}


class DemoStepFailed(RuntimeError):
    """A step of the demo's set-up failed; the message ends with the step's last output."""


PROGRESS_EVERY_S = 15  # the demo is never silent for longer while a checkpoint trains


def training_steps(log: Path) -> tuple[int, int | None]:
    """(steps done, steps in all) from the log the recipe writes; (0, None) before it starts."""
    total, step = None, 0
    with contextlib.suppress(FileNotFoundError):
        for line in log.read_text().splitlines():
            try:
                event = json.loads(line)
            except ValueError:  # the line the recipe is writing now
                continue
            if event.get("event") == "start":
                total = event["total_steps"]
            elif "step" in event:
                step = event["step"]
    return step, total


def progress_line(step: int, total: int | None, seconds_per_step: float | None) -> str:
    """ "step 120 of 480 (25%), about 3 min left"; the time left once a rate was measured."""
    if not total:
        return "preparing the data and the model"
    said = f"step {step} of {total} ({100 * step // total}%)"
    if step >= total:
        return said + ", scoring the dev split"
    if seconds_per_step is None:
        return said
    return f"{said}, about {duration_words(seconds_per_step * (total - step)) or '1 s'} left"


def recipe(name: str, full: bool) -> tuple[str, ...]:
    """The checkpoint's training options, the quick recipe's values in place of the full one's."""
    options = dict(zip(CHECKPOINTS[name][::2], CHECKPOINTS[name][1::2], strict=True))
    if not full:
        options.update(zip(QUICK[name][::2], QUICK[name][1::2], strict=True))
    return tuple(part for pair in options.items() for part in pair)


def _train(name: str, checkpoint: Path, say: Callable[[str], None], full: bool) -> None:
    if (checkpoint / "podium_baseline.json").exists():
        say(f"  checkpoint {name!r}: already trained")
        return
    args = recipe(name, full)
    command = [
        sys.executable, "-m", "baselines.mbert.train", "--data", "synthetic", "--size", "small",
        "--out", str(checkpoint), "--quiet", "--dev-languages", "en", *args,
    ]  # fmt: skip
    say(f"  checkpoint {name!r}: training ({' '.join(args)}) …")
    started = time.monotonic()
    seen: list[tuple[float, int]] = []
    with tempfile.TemporaryFile("w+") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **QUIET_ENV}, stdout=output, stderr=output,
            text=True,
        )  # fmt: skip
        try:
            while process.poll() is None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=PROGRESS_EVERY_S)
                    break
                step, total = training_steps(checkpoint / "train_log.jsonl")
                if step and (not seen or step > seen[-1][1]):
                    seen.append((time.monotonic(), step))  # when each new step was first seen
                rate = None
                if len(seen) > 1:
                    (t0, s0), (t1, s1) = seen[0], seen[-1]
                    rate = (t1 - t0) / (s1 - s0)
                say(f"  checkpoint {name!r}: {progress_line(step, total, rate)}")
        finally:  # a stopped demo (Ctrl-C, SIGTERM) leaves no training behind
            if process.poll() is None:
                process.kill()
                process.wait()
        if process.returncode != 0:
            output.seek(0)
            tail = "\n".join(output.read().strip().splitlines()[-15:])
            raise DemoStepFailed(f"training checkpoint {name!r} failed:\n{tail}")
    say(f"  checkpoint {name!r}: trained in {time.monotonic() - started:.0f} s")


@contextlib.contextmanager
def ticking(say: Callable[[str], None], doing: str):
    """Say `doing` and the seconds so far every PROGRESS_EVERY_S while the block runs (a run of
    the demo's slowest team takes minutes and prints nothing of its own)."""
    done, started = threading.Event(), time.monotonic()

    def tick():
        while not done.wait(PROGRESS_EVERY_S):
            say(f"{doing}, {time.monotonic() - started:.0f} s so far …")

    ticker = threading.Thread(target=tick, name="demo-ticker", daemon=True)
    ticker.start()
    try:
        yield
    finally:
        done.set()
        ticker.join()


def _command(model: DemoModel, checkpoint: Path | None) -> list[str]:
    if checkpoint is None:
        return majority.local_command()
    return [
        sys.executable, "-m", "baselines.mbert.predict", "--checkpoint", str(checkpoint),
        "--input", "{input}", "--output", "{output}", "--device", "cpu", *model.predict_args,
    ]  # fmt: skip


def seed(
    say: Callable[[str], None] = print,
    *,
    evaluate: Callable[[int], object] | None = None,
    prepare: Callable[[Phase], object] | None = None,
    full_recipe: bool = False,
) -> Competition:
    """Load the demo competition, its teams and users; with `prepare` (a phase in, its hidden
    split built and verified by the worker's prepare_splits), build the splits teams submit to;
    with `evaluate` (a run id in, the run evaluated by a worker), also train, submit and evaluate
    the demo models on the showcase phase (without it: no pre-made runs, only the competition,
    teams and accounts), by the quick recipes unless `full_recipe`. The showcase phase is left
    closed to teams either way."""
    competition = load_competition(
        parse_competition((ROOT / "examples/demo.yaml").read_text())
    ).competition
    if prepare is not None:
        _prepare_splits(competition, say, prepare)
    import_teams((ROOT / "examples/teams.csv").read_text())
    users = get_user_model().objects
    for user in users.filter(teams__isnull=False, last_login__isnull=True):
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    if not users.filter(username="organiser").exists():
        users.create_superuser("organiser", "organiser@example.com", DEMO_PASSWORD)

    showcase = competition.phases.get(key=SHOWCASE)
    if evaluate is not None:
        with _seed_mail_unprinted():
            _evaluate_models(showcase, say, evaluate, full_recipe)
    # Teams' images are timed in containers: they go to the other phases, never beside these runs.
    close_phase(showcase)
    return competition


def _prepare_splits(competition: Competition, say, prepare: Callable[[Phase], object]) -> None:
    """Each phase's hidden split, as an organiser's `prepare_splits` builds it: no phase takes a
    team's submission without one (eligibility.phase_refusal)."""
    for phase in competition.phases.all():
        if split_state(phase).ready:
            continue
        started = time.monotonic()
        prepare(phase)
        state = split_state(Phase.objects.get(pk=phase.pk))
        if not state.ready:
            raise DemoStepFailed(f"the hidden split of phase {phase.key!r} is {state.state}")
        say(f"  hidden split of {phase.title}: {state.words} in {time.monotonic() - started:.0f} s")


@contextlib.contextmanager
def _seed_mail_unprinted():
    """The demo's pre-made runs end before anyone watches: their notification emails are not
    printed between the set-up lines (the site and the worker print theirs, console backend)."""
    backend = settings.EMAIL_BACKEND
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    try:
        yield
    finally:
        settings.EMAIL_BACKEND = backend


def _evaluate_models(
    phase: Phase,
    say: Callable[[str], None],
    evaluate: Callable[[int], object],
    full_recipe: bool,
) -> None:
    """Train and submit the demo's models to `phase` (open while they are submitted)."""
    if not phase.is_open:  # a demo set up before and stopped part way
        open_phase(phase)
    work = Path(settings.VAR_DIR) / "demo"
    for model in MODELS:
        team = create_team(model.team, is_reference=model.reference)
        if phase.submissions.filter(team=team).exists():
            continue
        checkpoint = None
        if model.checkpoint:
            checkpoint = work / (model.checkpoint + ("" if full_recipe else "-quick"))
            _train(model.checkpoint, checkpoint, say, full_recipe)
        submission = submit(
            team,
            phase,
            Artifact(trusted_command=_command(model, checkpoint)),
            description=model.description,
        )
        with ticking(say, f"  {model.team}: evaluating"):
            evaluate(submission.runs.get().pk)
        run = submission.runs.get()
        if run.overall_score is not None:
            say(
                f"  {model.team}: evaluated, overall {run.overall_score:.1f}, "
                f"runtime {run.runtime_s:.2f} s"
            )
        else:
            say(f"  {model.team}: {run.status}: {run.failure_reason}")
