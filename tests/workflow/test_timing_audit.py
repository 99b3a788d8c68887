"""The timing audit on real containers (issue 13, "Done when"): Alpha and Bravo do identical work,
Bravo a few points lower; Charlie a third of the work, a few points lower still. After
`audit_timing`, Charlie climbs to first and Bravo does not pass Alpha on noise."""

import io
import json
import tarfile
import textwrap

import pytest
from django.core.management import call_command

from competitions.models import AuditMeasurement, Team, TimingAudit
from competitions.reads.boards import leaderboard
from competitions.services.eligibility import attempts_used
from competitions.services.submissions import Artifact, submit
from competitions.worker.context import WorkerContext
from competitions.worker.pipeline import evaluate_run
from competitions.worker.splits import local_split
from evaluator.contract import read_gold
from evaluator.registry import get_task

# Measures time: it runs alone, after the parallel part (pyproject's `exclusive`).
pytestmark = [
    pytest.mark.docker,
    pytest.mark.slow,
    pytest.mark.exclusive,
    pytest.mark.django_db(transaction=True),
]

# The model's answers are baked in by each example's text (the examples come in an order and
# with ids of the run's own, evaluator/input_order.py), written in the order they are given.
PREDICT = textwrap.dedent(
    """
    import json, pathlib, sys
    total = 0
    for i in range(int(sys.argv[1])):  # the model's work
        total += i * i
    answers = json.loads(pathlib.Path("/app/answers.json").read_text())
    for source in pathlib.Path("/input").glob("*/test-*.jsonl"):
        name = f"{source.parent.name}/{source.stem}"
        target = pathlib.Path("/output") / f"{name}.tsv"
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w") as out:
            for line in source.read_text().splitlines():
                record = json.loads(line)
                record.pop("id")
                out.write(answers[name][json.dumps(record, sort_keys=True)])
    """
)


def predictions(split, gold: dict, wrong_every: int | None) -> dict[str, bytes]:
    """The answers, by example text, in XTREME's layout: gold tags for tagging; gold labels for
    classification with every n-th one swapped for another label (a few points lower per
    task)."""
    answers = {}
    for (task, language), examples in gold.items():
        spec = get_task(task)
        rows = (split.input_dir / task / f"test-{language}.jsonl").read_text().splitlines()
        keys = []
        for row in rows:
            record = json.loads(row)
            record.pop("id")
            keys.append(json.dumps(record, sort_keys=True))
        if spec.is_tagging:
            lines = ["".join(f"{t}\n" for t in tags) + "\n" for tags in examples]
        else:
            lines = [
                spec.labels[(spec.labels.index(g) + 1) % len(spec.labels)] + "\n"
                if wrong_every and i % wrong_every == 0
                else g + "\n"
                for i, g in enumerate(examples)
            ]
        answers[f"{task}/test-{language}"] = dict(zip(keys, lines, strict=True))
    return {"answers.json": json.dumps(answers).encode()}


def team_image(docker_client, registry, name, files, work) -> str:
    """Build the team's image with its predictions baked in, push it, return its digest ref."""
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        entries = {
            "Dockerfile": (
                f'FROM podium/base:bookworm\nCOPY . /app\nCMD ["python3", "/app/predict.py", '
                f'"{work}"]\n'
            ).encode(),
            "predict.py": PREDICT.encode(),
            **files,
        }
        for path, data in entries.items():
            info = tarfile.TarInfo(path)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    context.seek(0)
    repository = f"{registry}/teams/audit-{name.lower()}"
    docker_client.images.build(
        fileobj=context, custom_context=True, tag=f"{repository}:v1", rm=True
    )
    docker_client.images.push(repository, tag="v1")
    digests = docker_client.images.get(f"{repository}:v1").attrs["RepoDigests"]
    return next(d for d in digests if d.startswith(repository))


def test_audit_lifts_the_efficient_team_and_keeps_twins_apart_on_noise(
    with_limits, docker_client, built_images, local_registry, tmp_path, settings
):
    competition = with_limits(time_limit_s=120, memory_mb=256, cpus=1, output_mb=16)
    phase = competition.phases.get(key="eval")
    settings.PODIUM_WORK_DIR = str(tmp_path / "worker")
    worker = WorkerContext(name="audit-worker", work_dir=tmp_path / "worker")
    split = local_split(phase, worker.work_dir)
    gold = read_gold(split.gold_dir, split.manifest)
    work = 9_000_000
    plan = {"Alpha": (None, work), "Bravo": (25, work), "Charlie": (12, work // 3)}
    runs = {}
    for name, (wrong_every, iterations) in plan.items():
        team = Team.objects.create(name=name, slug=name.lower())
        ref = team_image(
            docker_client, local_registry, name, predictions(split, gold, wrong_every), iterations
        )
        run = submit(team, phase, Artifact(image_ref=ref)).runs.get()
        assert evaluate_run(run.pk, worker) == "finished", run
        run.refresh_from_db()
        runs[name] = run
    scores = {name: run.overall_score for name, run in runs.items()}
    assert scores["Alpha"] > scores["Bravo"] > scores["Charlie"] > scores["Alpha"] - 10, scores

    call_command("audit_timing", competition.slug, "eval", rounds=5)

    audit = TimingAudit.objects.get()
    assert audit.status == TimingAudit.Status.FINISHED and audit.hardware_id
    assert AuditMeasurement.objects.filter(audit=audit).count() == 3 * (1 + 5)
    assert all(AuditMeasurement.objects.values_list("matches_original", flat=True))
    board = leaderboard(phase, as_organiser=True)
    order = [row.team for row in board.rows]
    assert order[0] == "Charlie", [(r.team, r.reason) for r in board.rows]
    assert order.index("Alpha") < order.index("Bravo"), [(r.team, r.reason) for r in board.rows]
    assert all(len(row.audit_rounds) == 5 for row in board.rows)
    charlie = board.rows[0]
    assert charlie.reason.startswith("up 2: fastest model")
    # Audit runs cost no attempt and change no run.
    assert all(attempts_used(run.submission.team, phase) == 1 for run in runs.values())
    assert {n: r.__class__.objects.get(pk=r.pk).overall_score for n, r in runs.items()} == scores
