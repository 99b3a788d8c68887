"""The competition YAML: every bad key is refused with a message naming it."""

import pytest

from competitions.spec import SpecError, parse_competition

VALID = """
slug: q1
title: Q1 Challenge
tasks:
  xnli: {languages: [en, de, fr]}
  pawsx: {}
  udpos: {}
  panx: {}
data: {source: synthetic, seed: 0}
phases:
  - {key: eval, title: Evaluation, split: validation, opens: 2026-12-01T09:00:00Z,
     closes: 2027-02-28T17:00:00Z, max_attempts: 3, failed_runs_count: false, leaderboard: best}
  - {key: final, title: Final, split: test, max_attempts: 1}
limits: {time_limit_s: 3600, memory_mb: 16384, cpus: 8, gpus: 1, output_mb: 1024}
timing: {repeats: 1}
efficiency_rule: {metric: runtime, bonus_places: [2, 1], max_score_gap: 10.0, min_efficiency_gap: 0.05}
"""


def problems_of(text: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        parse_competition(text)
    return caught.value.problems


def test_valid_file_parses_with_all_languages_when_omitted():
    spec = parse_competition(VALID)
    languages = spec.task_languages()
    assert languages["xnli"] == ["de", "en", "fr"]  # XTREME's order, not the file's
    assert len(languages["panx"]) == 40 and len(languages["udpos"]) == 33
    assert len(languages["pawsx"]) == 7
    assert spec.phases[1].max_attempts == 1


@pytest.mark.parametrize(
    ("old", "new", "key", "words"),
    [
        ("  pawsx: {}", "  mlqa: {}", "tasks.mlqa", "unknown task"),
        ("max_attempts: 3", "max_attempts: -1", "phases[0].max_attempts", "at least 1"),
        (
            "closes: 2027-02-28T17:00:00Z",
            "closes: 2026-11-01T17:00:00Z",
            "phases[0]",
            "after opens",
        ),
        ("bonus_places: [2, 1]", "bonus_places: [1, 2]", "efficiency_rule.bonus_places", "[2, 1]"),
        ("[en, de, fr]", "[en, de, xx]", "tasks.xnli.languages", "no language xx"),
        ("leaderboard: best", "leaderboard: fastest", "phases[0].leaderboard", "best"),
        ("timing: {repeats: 1}", "timing: {repeat: 1}", "timing.repeat", "unknown key"),
        (
            "min_efficiency_gap: 0.05",
            "min_efficiency_gap: 5",
            "efficiency_rule.min_efficiency_gap",
            "1",
        ),
        ("split: validation", "split: dev", "phases[0].split", "validation"),
    ],
)
def test_each_problem_names_its_key(old, new, key, words):
    assert old in VALID
    problems = problems_of(VALID.replace(old, new, 1))
    matching = [p for p in problems if p.startswith(key + ":") or p.startswith(key + ".")]
    assert matching, problems
    assert any(words in p for p in matching), problems


def test_broken_yaml_says_where():
    problems = problems_of("slug: x\ntasks: {xnli: [\n")
    assert len(problems) == 1 and "not valid YAML at line" in problems[0]


def test_every_problem_is_reported_at_once():
    text = VALID.replace("max_attempts: 3", "max_attempts: -1").replace("  pawsx: {}", "  mlqa: {}")
    problems = problems_of(text)
    assert any(p.startswith("tasks.mlqa") for p in problems)
    assert any(p.startswith("phases[0].max_attempts") for p in problems)


def test_local_data_needs_a_path():
    problems = problems_of(VALID.replace("source: synthetic, seed: 0", "source: local"))
    assert any(p.startswith("data") and "path" in p for p in problems)


def test_duplicate_phase_keys_refused():
    text = VALID.replace("key: final", "key: eval")
    assert any("repeated: eval" in p for p in problems_of(text))


def test_data_keys_must_fit_the_source():
    problems = problems_of(
        VALID.replace("source: synthetic, seed: 0", "source: huggingface, seed: 3")
    )
    assert any(
        p.startswith("data") and "seed does not apply to source 'huggingface'" in p
        for p in problems
    )
    spec = parse_competition(VALID.replace("source: synthetic, seed: 0", "source: huggingface"))
    assert spec.data.to_config() == {"source": "huggingface"}
    assert parse_competition(VALID).data.to_config() == {
        "source": "synthetic",
        "seed": 0,
        "size": "small",
    }


def test_a_local_data_path_that_does_not_exist_is_refused_naming_the_key(tmp_path):
    missing = tmp_path / "no-such-xtreme"
    text = VALID.replace("source: synthetic, seed: 0", f"source: local, path: {missing}")
    problems = problems_of(text)
    assert any(p.startswith("data.path") and str(missing) in p for p in problems), problems
    missing.mkdir()
    assert parse_competition(text).data.path == str(missing)


def test_every_data_key_is_documented():
    from pathlib import Path

    from competitions.spec import DataSpec

    doc = (Path(__file__).resolve().parents[2] / "docs" / "competition-yaml.md").read_text()
    for key in DataSpec.model_fields:
        assert f"`data.{key}`" in doc, key


@pytest.mark.django_db
def test_the_scoring_convention_is_a_competition_setting_from_the_yaml():
    from competitions.services.competitions import load_competition

    assert parse_competition(VALID).scoring.convention == "xtreme"  # the paper's, by default
    text = VALID + "scoring: {convention: seqeval1}\n"
    competition = load_competition(parse_competition(text)).competition
    assert competition.scoring_convention == "seqeval1"
    again = load_competition(parse_competition(VALID))
    assert again.competition.scoring_convention == "xtreme"
    assert any("scoring_convention" in change for change in again.changes)
    problems = problems_of(VALID + "scoring: {convention: seqeval2}\n")
    assert problems == ["scoring.convention: must be 'xtreme' or 'seqeval1' (got 'seqeval2')"]
