"""`load_competition`: creates, updates, and changes nothing when loaded twice."""

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from competitions.models import Competition, Phase

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def load(path) -> str:
    from io import StringIO

    out = StringIO()
    call_command("load_competition", str(path), stdout=out)
    return out.getvalue()


def snapshot(slug: str) -> list:
    competition = Competition.objects.get(slug=slug)
    rows = [tuple(Competition.objects.filter(pk=competition.pk).values_list()[0])]
    rows += list(competition.tasks.values_list())
    rows += list(competition.phases.values_list())
    rows.append(
        tuple(
            type(competition.efficiency_rule)
            .objects.filter(pk=competition.efficiency_rule.pk)
            .values_list()[0]
        )
    )
    return rows


def test_example_loads_and_second_load_changes_nothing():
    assert "created" in load(ROOT / "examples/xtreme-fellowship.yaml")
    before = snapshot("xtreme-fellowship")
    assert "already up to date" in load(ROOT / "examples/xtreme-fellowship.yaml")
    assert snapshot("xtreme-fellowship") == before
    competition = Competition.objects.get(slug="xtreme-fellowship")
    assert set(competition.task_languages()) == {"xnli", "pawsx", "udpos", "panx"}
    final = competition.phases.get(key="final")
    assert final.max_attempts == 1 and final.results_visibility == Phase.Visibility.ON_PUBLISH
    assert competition.efficiency_rule.bonus_places == [2, 1]


def test_changed_file_updates_in_place(tmp_path):
    text = (ROOT / "examples/demo.yaml").read_text()
    load(ROOT / "examples/demo.yaml")
    changed = tmp_path / "demo.yaml"
    changed.write_text(
        text.replace("max_score_gap: 10.0", "max_score_gap: 7.5").replace(
            "  pawsx: {languages: [en, de, fr, ja]}\n", ""
        )
    )
    output = load(changed)
    assert "updated" in output and "efficiency rule: max_score_gap" in output
    competition = Competition.objects.get(slug="demo")
    assert competition.efficiency_rule.max_score_gap == 7.5
    assert "pawsx" not in competition.task_languages()
    assert Competition.objects.count() == 1


def test_invalid_file_is_refused_with_the_key(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (ROOT / "examples/demo.yaml").read_text().replace("max_attempts: 3", "max_attempts: -1")
    )
    with pytest.raises(CommandError) as caught:
        load(bad)
    assert "phases[0].max_attempts" in str(caught.value)
    assert not Competition.objects.exists()


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        load(tmp_path / "nope.yaml")
