"""The starter kit works on its own: extracted far from the platform's repository, with nothing of
it importable, its README's commands score the kit's sample as the platform scores it and check an
image against the contract as a worker runs it."""

import json
import os
import re
import subprocess
import sys
import tarfile

import pytest
from django.core.files.storage import default_storage

from competitions.services.starter_kit import starter_kit
from evaluator.scoring import score_directory
from tests.factories import ROOT

pytestmark = [pytest.mark.docker, pytest.mark.django_db]

PREDICT = (
    "PODIUM_INPUT=sample/input PODIUM_OUTPUT=predictions python docker/examples/valid/predict.py"
)
SCORE = "python -m evaluator.cli score sample/gold predictions"
CHECK = "python -m evaluator.cli check {image} --rules competition.json"


@pytest.fixture
def kit(competition, artifact_store, tmp_path_factory):
    """The competition's kit as a team extracts it, in a folder outside the repository (its final
    phase's hidden split built, of 30 examples a language)."""
    final = competition.phases.get(key="final")
    tasks = competition.task_languages()
    counts = {task: dict.fromkeys(langs, 30) for task, langs in tasks.items()}
    final.split_summary = {"counts": counts, "problems": []}
    final.save(update_fields=["split_summary"])
    with default_storage.open(starter_kit(competition), "rb") as handle:
        team = tmp_path_factory.mktemp("team")
        with tarfile.open(fileobj=handle, mode="r:gz") as archive:
            archive.extractall(team, filter="data")
    folder = team / f"podium-starter-{competition.slug}"
    assert ROOT not in folder.parents and folder.is_dir()
    return folder


def shell(kit, command: str) -> subprocess.CompletedProcess:
    """`command` in bash in the kit's folder; `python` is this interpreter (its packages only),
    with no PYTHONPATH, so only the kit's own code can be imported."""
    bin_dir = kit.parent / "bin"
    bin_dir.mkdir(exist_ok=True)
    if not (bin_dir / "python").exists():
        (bin_dir / "python").symlink_to(sys.executable)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "DJANGO"))}
    env["PATH"] = f"{bin_dir}:{env['PATH']}"
    return subprocess.run(
        ["bash", "-e", "-c", command], cwd=kit, env=env, capture_output=True, text=True, timeout=120
    )


PROBE = """
import importlib, pathlib, sys
for path in pathlib.Path("evaluator").rglob("*.py"):
    importlib.import_module(".".join(path.with_suffix("").parts).removesuffix(".__init__"))
print(sorted(m for m in sys.modules if m.split(".")[0] in ("django", "competitions")))
"""


def test_the_kit_scores_its_sample_as_the_platform_does_without_the_repository(kit):
    readme = (kit / "README.txt").read_text()
    assert PREDICT in readme and SCORE in readme and "pip install -r requirements.txt" in readme
    alone = shell(kit, "python -c 'import competitions'")
    assert alone.returncode != 0 and "No module named 'competitions'" in alone.stderr
    done = shell(kit, f"{PREDICT}\n{SCORE}\n{SCORE} --json")
    assert done.returncode == 0, done.stderr
    text, _, as_json = done.stdout.partition("\n{")
    expected = score_directory(kit / "sample" / "gold", kit / "predictions")
    assert json.loads("{" + as_json) == json.loads(json.dumps(expected.to_dict()))
    assert f"overall: {expected.overall:.2f}" in text
    # None of what the kit ships loads Django or the platform's code.
    (kit.parent / "probe.py").write_text(PROBE)
    probe = shell(kit, 'python -c "$(cat ../probe.py)"')
    assert probe.returncode == 0 and probe.stdout.strip() == "[]", probe.stderr


def test_the_kit_checks_an_image_against_the_contract_without_the_repository(kit, built_images):
    assert CHECK.format(image="my-model") in (kit / "README.txt").read_text()
    rules = json.loads((kit / "competition.json").read_text())
    passed = shell(kit, CHECK.format(image="podium-example/valid:latest"))
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "podium-example/valid:latest: PASSED" in passed.stdout
    assert "follows the submission contract" in passed.stdout
    for task in rules["tasks"]:
        assert task in passed.stdout.split("sample scores")[1]
    # The run on the final's hidden split predicted from the sample's timing, as check_submission.
    timed = re.search(r"test phase on the sample: ([\d.]+) s \(([\d,]+) examples", passed.stdout)
    sample_s, sample_n = float(timed[1]), int(timed[2].replace(",", ""))
    split_n = 30 * sum(len(langs) for langs in rules["tasks"].values())
    found = re.search(r"about ([\d.]+) s on the Final split of ([\d,]+) examples", passed.stdout)
    assert found and int(found[2].replace(",", "")) == split_n, passed.stdout
    assert abs(float(found[1]) - sample_s * split_n / sample_n) <= 0.005 * split_n / sample_n + 0.05
    refused = shell(kit, CHECK.format(image="podium-example/bad-exit:latest"))
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "FAILED" in refused.stdout and "exited with code 3" in refused.stdout
    assert "model weights not found" in refused.stdout


def test_the_kits_requirements_are_pinned_as_the_platforms(kit):
    pins = dict(
        line.split("==") for line in (ROOT / "constraints.txt").read_text().split() if "==" in line
    )
    listed = [line for line in (kit / "requirements.txt").read_text().splitlines() if "==" in line]
    assert {"numpy", "docker"} <= {line.split("==")[0] for line in listed}
    for line in listed:
        name, version = line.split("==")
        assert pins[name] == version, line


def test_the_kits_readme_says_where_the_training_data_is_and_its_loader_line_runs(kit):
    readme = (kit / "README.txt").read_text()
    assert "Training data: Synthetic mini-XTREME data" in readme  # the demo YAML's `data:`
    lines = [line.strip() for line in readme.splitlines() if "load_examples" in line]
    assert lines[0] == "from baselines.mbert.data import load_examples"
    assert "pip install -r docker/baseline/requirements.txt" in readme
    program = "\n".join(lines).replace('"TASK"', '"pawsx"') + "\nprint(len(rows))"
    (kit.parent / "loader.py").write_text(program)
    # The loader needs the baseline's packages (torch): the virtualenv's interpreter has them.
    loaded = shell(kit, f'{sys.executable} -c "$(cat ../loader.py)"')
    assert loaded.returncode == 0, loaded.stderr
    assert int(loaded.stdout) > 0
