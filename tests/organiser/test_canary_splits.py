"""prepare_splits with canaries: they are built in, counted apart, and verified; the input says
nothing of them (ids renumbered, no canary record beside the inputs)."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from competitions.models import Competition
from competitions.services.competitions import load_competition
from competitions.spec import parse_competition
from competitions.worker.splits import local_split
from evaluator.canary import CANARY_FILE
from tests.organiser.test_prepare_splits import write_xtreme_layout, yaml_for

pytestmark = pytest.mark.django_db


def test_canaries_are_built_verified_and_invisible_in_the_input(tmp_path, artifact_store):
    data = tmp_path / "xtreme"
    write_xtreme_layout(data)
    spec = parse_competition(
        yaml_for(f"{{source: local, path: {data}}}", "{percent: 20, seed: 11}")
    )
    load_competition(spec)
    competition = Competition.objects.get(slug="local-xf")
    out = StringIO()
    call_command("prepare_splits", "local-xf", "--phase", "eval", stdout=out)
    text = out.getvalue()
    assert "canaries (en " in text and "scored apart" in text and "verified" in text
    phase = competition.phases.get(key="eval")
    assert phase.split_verified and phase.split_summary["canaries"]["panx"]["en"] >= 1
    split = local_split(phase, tmp_path / "work")
    record = json.loads((split.gold_dir / CANARY_FILE).read_text())
    assert record["seed"] == 11 and record["tasks"]["udpos"]["en"]["positions"]
    assert not list(split.input_dir.rglob(CANARY_FILE))
    rows = (split.input_dir / "udpos" / "test-en.jsonl").read_text().splitlines()
    ids = [json.loads(row)["id"] for row in rows]
    assert ids == [f"udpos-en-{i:06d}" for i in range(len(ids))]
