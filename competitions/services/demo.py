"""The demo: a competition on synthetic data with real runs, so a newcomer sees a working board.

Everything goes through the real pipeline: the YAML loader, the team import, `submit` and
`evaluate_run`. The demo's models run as local processes (ProcessRunner), which is why `make demo`
sets PODIUM_ALLOW_UNTRUSTED_PROCESS_RUNS: it needs no Docker on a fresh machine.
"""

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model

from competitions.models import Competition, Team
from competitions.services.competitions import load_competition
from competitions.services.evaluation import WorkerContext, evaluate_run
from competitions.services.submissions import Artifact, submit
from competitions.services.teams import create_team, import_teams
from competitions.spec import parse_competition

ROOT = Path(settings.BASE_DIR)
DEMO_PASSWORD = "podium-demo"  # noqa: S105 - printed for the demo's local accounts, never used elsewhere


@dataclass(frozen=True)
class DemoModel:
    """A model the demo trains and submits: which team, how big, how long it trains."""

    team: str
    description: str
    train_args: tuple[str, ...] | None  # None: no training (the majority predictor)
    reference: bool = False


MODELS = (
    DemoModel(
        "mBERT baseline (reference)",
        "The supplied baseline recipe, small model, briefly trained on synthetic data",
        ("--model", "tiny", "--epochs", "3"),
        reference=True,
    ),
    DemoModel(
        "Neurotic Networks",
        "Baseline recipe trained longer",
        ("--model", "tiny", "--epochs", "6"),
    ),
    DemoModel(
        "Gradient Descendants",
        "A smaller, faster variant",
        ("--model", "tiny", "--epochs", "3", "--max-seq-length", "64"),
    ),
    DemoModel("Token Ring", "Majority class, as a sanity check", None),
)


def _train(model: DemoModel, checkpoint: Path, data: dict, say: Callable[[str], None]) -> None:
    if (checkpoint / "podium_model.json").exists() or (checkpoint / "config.json").exists():
        say(f"  {model.team}: checkpoint already trained ({checkpoint})")
        return
    say(f"  {model.team}: training ({' '.join(model.train_args or ())}) …")
    command = [
        sys.executable, "-m", "baselines.mbert.train", "--data", "synthetic",
        "--size", str(data.get("size", "small")), "--data-seed", str(data.get("seed", 0)),
        "--out", str(checkpoint), "--quiet", *(model.train_args or ()),
    ]  # fmt: skip
    subprocess.run(command, check=True, cwd=ROOT)


def _command(model: DemoModel, checkpoint: Path) -> list[str]:
    if model.train_args is None:
        return [
            sys.executable,
            "-m",
            "baselines.majority",
            "--input",
            "{input}",
            "--output",
            "{output}",
        ]
    return [
        sys.executable, "-m", "baselines.mbert.predict", "--checkpoint", str(checkpoint),
        "--input", "{input}", "--output", "{output}", "--device", "cpu",
    ]  # fmt: skip


def seed(say: Callable[[str], None] = print) -> Competition:
    """Load the demo competition, its teams and users, train and evaluate the demo models."""
    competition = load_competition(
        parse_competition((ROOT / "examples/demo.yaml").read_text())
    ).competition
    import_teams((ROOT / "examples/teams.csv").read_text())
    users = get_user_model().objects
    for user in users.filter(teams__isnull=False, last_login__isnull=True):
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    if not users.filter(username="organiser").exists():
        users.create_superuser("organiser", "organiser@example.com", DEMO_PASSWORD)

    phase = competition.phases.get(key="eval")
    work = Path(settings.VAR_DIR) / "demo"
    worker = WorkerContext.from_settings()
    for model in MODELS:
        team = create_team(model.team, is_reference=model.reference)
        if phase.submissions.filter(team=team).exists():
            continue
        checkpoint = work / Team.objects.get(pk=team.pk).slug
        if model.train_args is not None:
            _train(model, checkpoint, competition.data_config, say)
        submission = submit(
            team,
            phase,
            Artifact(trusted_command=_command(model, checkpoint)),
            description=model.description,
        )
        say(f"  {model.team}: evaluating …")
        evaluate_run(submission.runs.get().pk, worker)
        run = submission.runs.get()
        if run.overall_score is not None:
            say(f"    finished: overall {run.overall_score:.1f}, runtime {run.runtime_s:.2f} s")
        else:
            say(f"    {run.status}: {run.failure_reason}")
    return competition
