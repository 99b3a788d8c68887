"""Scoring conforms to google-research/xtreme evaluate.py and to seqeval, on real files."""

import shutil
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from seqeval.metrics import f1_score, precision_score, recall_score

from evaluator.scoring import (
    CONVENTION_SEQEVAL1,
    ScoringError,
    entity_counts,
    read_tag_file,
    score_directory,
    seqeval_f1,
)

MOCK = Path(__file__).resolve().parents[1] / "fixtures" / "xtreme_mock"

# evaluate_test.py (google-research/xtreme) TASK2AVG_SCORES for these four tasks.
OFFICIAL = {
    "pawsx": {"accuracy": 51.42857142857143},
    "xnli": {"accuracy": 30.666666666666668},
    "panx": {
        "f1": 57.50793650793652,
        "precision": 54.729166666666664,
        "recall": 62.750000000000014,
    },
    "udpos": {"f1": 70.21746048354693, "precision": 71.02232625883823, "recall": 69.54982073976082},
}


@pytest.fixture(scope="module")
def mock_scores():
    return score_directory(MOCK / "labels", MOCK / "predictions")


@pytest.mark.parametrize("task", sorted(OFFICIAL))
def test_reproduces_official_mock_averages(mock_scores, task):
    for metric, expected in OFFICIAL[task].items():
        assert mock_scores.task_metrics[task][metric] == pytest.approx(expected, abs=1e-9)
    assert mock_scores.per_task[task] == pytest.approx(
        next(iter(OFFICIAL[task].values())), abs=1e-9
    )


def test_overall_is_unweighted_mean_of_tasks(mock_scores):
    expected = sum(v[next(iter(v))] for v in OFFICIAL.values()) / 4
    assert mock_scores.overall == pytest.approx(expected, abs=1e-9)
    assert len([k for k in mock_scores.per_language if k[0] == "panx"]) == 40


def _read_all(task):
    langs = sorted(p.stem[5:] for p in (MOCK / "labels" / task).glob("test-*.tsv"))
    return [
        (read_tag_file(MOCK / "labels" / task / f"test-{lang}.tsv"),
         read_tag_file(MOCK / "predictions" / task / f"test-{lang}.tsv"))
        for lang in langs
    ]  # fmt: skip


def test_seqeval1_convention_matches_installed_seqeval_on_pos():
    # seqeval 1.2.2 parses un-prefixed tags differently (NOUN -> N + OUN); our option follows it.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for gold, pred in _read_all("udpos"):
            assert seqeval_f1(gold, pred, CONVENTION_SEQEVAL1) == f1_score(gold, pred)
    scores = score_directory(MOCK / "labels", MOCK / "predictions", ["udpos"], CONVENTION_SEQEVAL1)
    assert scores.per_task["udpos"] == pytest.approx(70.39805810699043, abs=1e-9)


def test_panx_mock_matches_installed_seqeval_exactly():
    for gold, pred in _read_all("panx"):
        counts = entity_counts(gold, pred)
        assert counts.f1 == f1_score(gold, pred)
        assert counts.precision == precision_score(gold, pred)
        assert counts.recall == recall_score(gold, pred)


EDGE_CASES = [
    # (gold, pred): I- after O starts an entity; single-token entities; all-O; entity at the end.
    ([["O", "I-PER", "I-PER", "O"]], [["O", "B-PER", "I-PER", "O"]]),
    ([["B-LOC", "O", "B-PER"]], [["B-LOC", "O", "B-ORG"]]),
    ([["O", "O", "O"]], [["O", "O", "O"]]),
    ([["O", "O", "O"]], [["O", "B-ORG", "O"]]),
    ([["O", "B-ORG", "I-ORG"]], [["O", "B-ORG", "I-ORG"]]),
    ([["O", "B-ORG", "I-ORG"], ["B-PER"]], [["O", "B-ORG", "I-LOC"], ["I-PER"]]),
    ([["B-PER", "I-ORG", "I-ORG"]], [["B-PER", "B-ORG", "I-ORG"]]),
]


@pytest.mark.parametrize(("gold", "pred"), EDGE_CASES)
def test_edge_cases_agree_with_seqeval(gold, pred):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert seqeval_f1(gold, pred) == f1_score(gold, pred)
        assert seqeval_f1(gold, pred, CONVENTION_SEQEVAL1) == f1_score(gold, pred)


def test_edge_case_values():
    # I- after O is an entity start (conlleval), so this is a perfect match.
    assert seqeval_f1([["O", "I-PER", "I-PER"]], [["O", "B-PER", "I-PER"]]) == 1.0
    # all-O gold and prediction: no entities, F1 is 0 as in seqeval.
    assert seqeval_f1([["O", "O"]], [["O", "O"]]) == 0.0
    # an entity closing the sentence is not merged into the next sentence's entity.
    assert entity_counts([["B-PER"], ["I-PER"]], [["B-PER"], ["I-PER"]]).true == 2


def test_old_convention_pos_merges_runs_of_equal_tags():
    # seqeval <= 0.0.12: NOUN NOUN is one "NOUN" chunk; a different tag splits chunks.
    counts = entity_counts([["NOUN", "NOUN", "VERB"]], [["NOUN", "NOUN", "VERB"]])
    assert (counts.true, counts.correct) == (2, 2)
    counts = entity_counts([["NOUN", "NOUN", "VERB"]], [["NOUN", "PROPN", "VERB"]])
    assert (counts.true, counts.predicted, counts.correct) == (2, 3, 1)


PANX = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]
sentences = st.lists(st.sampled_from(PANX), min_size=1, max_size=12)


@st.composite
def aligned(draw, alphabet=sentences):
    gold = draw(st.lists(alphabet, min_size=1, max_size=8))
    pred = [draw(st.lists(st.sampled_from(PANX), min_size=len(s), max_size=len(s))) for s in gold]
    return gold, pred


@settings(max_examples=300, deadline=None)
@given(aligned())
def test_property_equals_seqeval_on_iob2(pair):
    gold, pred = pair
    for convention in ("xtreme", CONVENTION_SEQEVAL1):
        counts = entity_counts(gold, pred, convention)
        assert abs(counts.f1 - f1_score(gold, pred)) <= 1e-12
        assert abs(counts.precision - precision_score(gold, pred)) <= 1e-12
        assert abs(counts.recall - recall_score(gold, pred)) <= 1e-12


ANY_TAGS = [
    "O",
    "NOUN",
    "VERB",
    "SCONJ",
    "INTJ",
    "X",
    "E-PER",
    "S-LOC",
    "B-PER",
    "I-PER",
    "B-",
    ".",
    "PROPN",
]


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_property_seqeval1_convention_equals_seqeval_on_any_tags(data):
    gold = data.draw(
        st.lists(
            st.lists(st.sampled_from(ANY_TAGS), min_size=1, max_size=8), min_size=1, max_size=5
        )
    )
    pred = [
        data.draw(st.lists(st.sampled_from(ANY_TAGS), min_size=len(s), max_size=len(s)))
        for s in gold
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert abs(seqeval_f1(gold, pred, CONVENTION_SEQEVAL1) - f1_score(gold, pred)) <= 1e-12


def test_mismatched_prediction_files_are_reported(tmp_path):
    shutil.copytree(MOCK / "labels" / "panx", tmp_path / "gold" / "panx")
    shutil.copytree(MOCK / "predictions" / "panx", tmp_path / "pred" / "panx")
    (tmp_path / "pred" / "panx" / "test-de.tsv").write_text("O\n")
    with pytest.raises(
        ScoringError, match=r"panx/test-de.tsv: 1 predicted examples but the gold file has 2"
    ):
        score_directory(tmp_path / "gold", tmp_path / "pred")
    (tmp_path / "pred" / "panx" / "test-de.tsv").unlink()
    with pytest.raises(ScoringError, match=r"prediction file panx/test-de\.tsv is missing"):
        score_directory(tmp_path / "gold", tmp_path / "pred")
