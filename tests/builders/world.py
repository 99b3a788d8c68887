"""The test world: a competition with two phases, two teams and a reference team, organisers,
submissions and finished runs as a worker would record them."""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.utils import timezone

from competitions.models import (
    Competition,
    CompetitionTask,
    EfficiencyRule,
    Membership,
    Phase,
    Team,
)
from competitions.services import runs as run_service
from competitions.services.submissions import Artifact, submit
from evaluator.scoring import primary_metric
from tests.builders.services import ROOT

DEMO_YAML = ROOT / "examples" / "demo.yaml"


PASSWORD = "correct horse battery staple"


DIGEST = "sha256:" + "a" * 64


TASKS = {"xnli": ["de", "en"], "panx": ["de", "en"]}


@dataclass
class World:
    competition: Competition
    eval: Phase
    final: Phase
    alpha: Team
    beta: Team
    baseline: Team
    ada: User  # alpha
    bob: User  # beta
    olga: User  # organiser


def make_world() -> World:
    comp = Competition.objects.create(
        slug="xf",
        title="XTREME Fellowship",
        description="Cross-lingual transfer.",
        publish_code_after_close=True,
    )
    for order, (task, langs) in enumerate(TASKS.items()):
        CompetitionTask.objects.create(competition=comp, task=task, languages=langs, order=order)
    EfficiencyRule.objects.create(
        competition=comp,
        metric="runtime",
        bonus_places=[2, 1],
        max_score_gap=10.0,
        min_efficiency_gap=0.05,
    )
    eval_phase = Phase.objects.create(
        competition=comp,
        key="eval",
        title="Evaluation",
        split="validation",
        order=0,
        max_attempts=3,
        leaderboard_policy="best",
        results_visibility="live",
    )
    final = Phase.objects.create(
        competition=comp,
        key="final",
        title="Final",
        split="test",
        order=1,
        max_attempts=1,
        leaderboard_policy="latest",
        results_visibility="on_publish",
    )
    alpha = Team.objects.create(name="Alpha", slug="alpha")
    beta = Team.objects.create(name="Beta", slug="beta")
    baseline = Team.objects.create(name="mBERT baseline", slug="baseline", is_reference=True)
    ada = User.objects.create_user("ada", password=PASSWORD)
    bob = User.objects.create_user("bob", password=PASSWORD)
    olga = User.objects.create_user("olga", password=PASSWORD, is_staff=True)
    Membership.objects.create(team=alpha, user=ada)
    Membership.objects.create(team=beta, user=bob)
    splits_prepared(eval_phase, final)
    return World(comp, eval_phase, final, alpha, beta, baseline, ada, bob, olga)


def splits_prepared(*phases: Phase) -> None:
    """Record each phase's hidden split as built and verified for its competition's current data,
    as `prepare_splits` records it, so teams may submit (eligibility.phase_refusal). For tests
    whose runs never read a split or whose worker builds it itself; the preparation's own tests
    run `prepare_splits`. Call it again after changing a competition's data or tasks."""
    for phase in phases:
        phase.split_key = phase.competition.split_key(phase.split)
        phase.split_built_at = timezone.now()
        phase.split_verified = True
        phase.split_summary = {"counts": {}, "problems": []}
        phase.save(update_fields=["split_key", "split_built_at", "split_verified", "split_summary"])


def submit_ref(team: Team, phase: Phase, user=None, **kwargs):
    return submit(
        team, phase, Artifact(image_ref=f"registry.local/{team.slug}@{DIGEST}"), user=user, **kwargs
    )


def finish(
    submission, overall: float, runtime: float, measurements=None, energy=None, hardware="test-hw"
):
    """Complete the submission's queued run as a worker would, with per-language scores."""
    run = submission.runs.order_by("-created_at").first()
    claimed = run_service.claim_run(run.pk, "test-worker")
    scores = []
    for task, langs in TASKS.items():
        metric = primary_metric(task)
        for i, lang in enumerate(langs):
            scores.append((task, lang, metric, overall + (i - 0.5)))
        scores.append((task, "", metric, overall))
    result = run_service.RunResult(
        overall=overall,
        scores=scores,
        runtime_s=runtime,
        runtime_measurements=measurements or [runtime * 0.98, runtime, runtime * 1.02],
        startup_overhead_s=0.2,
        hardware={"cpu": "test"},
        hardware_id=hardware,
        logs="predicting...\ndone\n",
        team_logs="predicting...\ndone\n",  # no hidden text in it: the team's copy is whole
        energy_kwh=energy,
    )
    assert run_service.finish_run(claimed, result)
    return claimed


def database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
