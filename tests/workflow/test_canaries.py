"""Canaries against a lookup table, on the real pipeline: an image that embeds the hidden split's
public gold labels scores near 100 on the originals and is flagged on the canaries (a real
container); the majority predictor and an honest model (a word-to-tag model trained on the
training data) are not flagged, and no flag changes the board."""

import json
import sys

import pytest
from django.core.files import File

from competitions.models import Run
from competitions.reads.canaries import flagged_runs
from competitions.services.submissions import Artifact, submit
from competitions.worker.context import WorkerContext
from competitions.worker.pipeline import evaluate_run
from competitions.worker.splits import local_split
from evaluator.canary_scoring import read_canaries
from evaluator.contract import file_name, load_canaries, read_gold
from evaluator.data import open_source
from evaluator.registry import get_task
from evaluator.split_check import input_hash
from tests.archives import save_image_as

pytestmark = [pytest.mark.docker, pytest.mark.django_db(transaction=True)]

# The cheat: answers every example it recognises by its text, a fixed guess otherwise.
LOOKUP = r"""
import json, os
from pathlib import Path
table = json.loads(Path("/app/table.json").read_text())
guess = {"xnli": "entailment", "pawsx": "0", "udpos": "NOUN", "panx": "O"}
src, out = Path(os.environ.get("PODIUM_INPUT", "/input")), Path("/output")
manifest = json.loads((src / "manifest.json").read_text())
for task, entry in manifest["tasks"].items():
    (out / task).mkdir(parents=True, exist_ok=True)
    for lang in entry["languages"]:
        lines = []
        for row in (src / task / f"test-{lang}.jsonl").read_text(encoding="utf-8").splitlines():
            ex = json.loads(row)
            key = json.dumps([ex[f] for f in entry["input_fields"]], ensure_ascii=False)
            found = table.get(task, {}).get(key)
            if "tokens" in ex:
                lines += (found or [guess[task]] * len(ex["tokens"])) + [""]
            else:
                lines.append(found or guess[task])
        (out / task / f"test-{lang}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
"""

# An honest model: each word's most frequent training tag; the majority label for pairs.
HONEST = r"""
import json, sys
from collections import Counter
from pathlib import Path
model, src, out = json.loads(Path(sys.argv[1]).read_text()), Path(sys.argv[2]), Path(sys.argv[3])
manifest = json.loads((src / "manifest.json").read_text())
for task, entry in manifest["tasks"].items():
    (out / task).mkdir(parents=True, exist_ok=True)
    words, default = model[task]["words"], model[task]["default"]
    for lang in entry["languages"]:
        lines = []
        for row in (src / task / f"test-{lang}.jsonl").read_text(encoding="utf-8").splitlines():
            ex = json.loads(row)
            if "tokens" in ex:
                lines += [words.get(t, default) for t in ex["tokens"]] + [""]
            else:
                lines.append(default)
        (out / task / f"test-{lang}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
"""


@pytest.fixture
def worker(tmp_path, artifact_store, settings):
    settings.PODIUM_ALLOW_UNTRUSTED_PROCESS_RUNS = True
    return WorkerContext(
        name="canary-worker", work_dir=tmp_path / "worker", allow_untrusted_process=True
    )


def public_table(phase, split) -> dict:
    """What a team can know: the hidden split's public examples (the canaries left out), each
    input's text to its gold labels. Checked to be exactly the source's public examples."""
    gold = read_gold(split.gold_dir, split.manifest)
    canaries = read_canaries(load_canaries(split.gold_dir))
    source = open_source(phase.competition.data_config)
    table: dict = {}
    for task, entry in split.manifest["tasks"].items():
        fields = get_task(task).input_fields
        for lang in entry["languages"]:
            apart = set(canaries.get((task, lang), {}).get("positions", []))
            rows = (split.input_dir / file_name(task, lang, "jsonl")).read_text().splitlines()
            records = [json.loads(r) for r in rows]
            public = [
                (rec, label)
                for i, (rec, label) in enumerate(zip(records, gold[(task, lang)], strict=True))
                if i not in apart
            ]
            published = source.examples(task, lang, phase.split)
            assert {input_hash(task, rec) for rec, _ in public} == {
                input_hash(task, ex) for ex in published
            }
            for rec, label in public:
                key = json.dumps([rec[f] for f in fields], ensure_ascii=False)
                table.setdefault(task, {})[key] = label
    return table


def lookup_image(docker_client, tmp_path, table: dict) -> File:
    context = tmp_path / "lookup"
    context.mkdir()
    (context / "table.json").write_text(json.dumps(table, ensure_ascii=False))
    (context / "lookup.py").write_text(LOOKUP)
    (context / "Dockerfile").write_text(
        "FROM podium/base:bookworm\nCOPY table.json lookup.py /app/\n"
        'CMD ["python3", "/app/lookup.py"]\n'
    )
    image, _ = docker_client.images.build(path=str(context), tag="podium-test/lookup:latest")
    try:
        archive = save_image_as(docker_client, image.id, "cheat/lookup:v1", tmp_path / "lookup.tar")
    finally:
        docker_client.images.remove(image.id, force=True)
    return archive


def honest_model(competition, tmp_path):
    source = open_source(competition.data_config)
    model = {}
    for task, languages in competition.task_languages().items():
        spec = get_task(task)
        counts, labels = {}, {}
        for lang in languages:
            for ex in source.examples(task, lang, "train"):
                if spec.is_tagging:
                    for word, tag in zip(ex["tokens"], ex["tags"], strict=True):
                        counts.setdefault(word, {}).setdefault(tag, 0)
                        counts[word][tag] += 1
                        labels[tag] = labels.get(tag, 0) + 1
                else:
                    labels[ex["label"]] = labels.get(ex["label"], 0) + 1
        words = {w: max(tags, key=tags.get) for w, tags in counts.items()}
        model[task] = {"words": words, "default": max(labels, key=labels.get)}
    path = tmp_path / "honest.json"
    path.write_text(json.dumps(model))
    script = tmp_path / "honest.py"
    script.write_text(HONEST)
    return [sys.executable, str(script), str(path), "{input}", "{output}"]


def evaluated(submission, worker) -> Run:
    run = submission.runs.get()
    evaluate_run(run.pk, worker)
    run.refresh_from_db()
    assert run.status == Run.Status.FINISHED, run.failure_reason
    return run


def test_a_lookup_table_is_flagged_and_honest_models_are_not(
    with_limits, team, other_team, worker, tmp_path, docker_client, built_images
):
    from baselines import majority

    competition = with_limits(time_limit_s=60, memory_mb=256, cpus=1, output_mb=16)
    phase = competition.phases.get(key="eval")
    phase.max_attempts = 5
    phase.save()
    split = local_split(phase, worker.work_dir)

    archive = lookup_image(docker_client, tmp_path, public_table(phase, split))
    with archive.open("rb") as handle:
        cheat = evaluated(
            submit(team, phase, Artifact(image_file=File(handle, name="lookup.tar"))), worker
        )
    honest = evaluated(
        submit(other_team, phase, Artifact(trusted_command=honest_model(competition, tmp_path))),
        worker,
    )
    constant = evaluated(
        submit(other_team, phase, Artifact(trusted_command=majority.local_command())), worker
    )

    # The cheat is perfect on what it has seen: the board's score counts the originals only.
    assert cheat.overall_score > 99.0
    figures = cheat.canary_figures["tasks"]
    assert set(cheat.canary_figures["judged"]) >= {"panx", "udpos"}
    for task in ("panx", "udpos"):
        assert figures[task]["parents"] > 99.0 and figures[task]["original"] > 99.0
        assert figures[task]["gap"] > 40.0, figures
    assert cheat.canary_flag == Run.CanaryFlag.FLAGGED
    assert "canaries against" in cheat.canary_flag_reason
    assert [r.pk for r in flagged_runs(competition)] == [cheat.pk]
    # A flag changes nothing by itself: the run still counts on the board.
    assert not cheat.submission.disqualified

    for run in (honest, constant):
        assert run.canary_flag == Run.CanaryFlag.NONE, run.canary_figures
        for task, figure in run.canary_figures["tasks"].items():
            # Only a canary score far BELOW the originals' counts: replacements come from the
            # training data, so a model that learnt it may well do better on the canaries.
            assert figure["gap"] < competition.canary_gap_points, (task, figure)

    assert honest.overall_score > constant.overall_score
