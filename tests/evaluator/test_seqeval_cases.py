"""The kinds of cases seqeval's own test suite checks, scored through our file path and compared
with seqeval 1.2.2 (default mode, micro): prefix-only tags, IOB1/IOB2/IOE/IOBES/BILOU sequences,
dots, suffix-less types, and its statistical test (random BIO and EIO files of 1,000 tokens)."""

import random
import warnings

import pytest
from seqeval.metrics import f1_score, precision_score, recall_score

from evaluator.scoring import CONVENTION_SEQEVAL1, score_file_pair

CASES = [
    # (gold, predictions)
    ([["B-ORG", "I-ORG"]], [["I-ORG", "I-ORG"]]),
    ([["O", "O", "O", "B-MISC", "I-MISC", "I-MISC", "O", "B-PER", "I-PER"]],
     [["O", "O", "B-MISC", "I-MISC", "I-MISC", "I-MISC", "O", "B-PER", "I-PER"]]),
    ([["O", "O", "O", "B", "I", "I", "O"], ["B", "I", "O"]],
     [["O", "O", "B", "I", "I", "I", "O"], ["B", "O", "O"]]),
    ([["O", "O", "O", "B-MISC", "I-MISC", "O", "B-ORG"], ["B-PER", "I-PER", "O", "B-PER"]],
     [["O", "O", "B-MISC", "I-MISC", "I-MISC", "O", "O"], ["B-PER", "I-PER", "O", "B-MISC"]]),
    ([["B-A", "B-B", "O", "B-A"]], [["O", "B-B", "B-C", "B-A"]]),
    ([["B-PER", "I-PER", "E-PER", "S-LOC"]], [["B-PER", "E-PER", "S-PER", "S-LOC"]]),
    ([["B-PER", "L-PER", "U-LOC", "O"]], [["B-PER", "I-PER", "L-PER", "U-LOC"]]),
    ([["I-PER", "I-PER", "O", "I-LOC", "B-LOC"]], [["I-PER", "B-PER", "O", "I-LOC", "I-LOC"]]),
    ([["O", "I-PER", "E-PER", "O"]], [["O", "B-PER", "E-PER", "O"]]),
    ([[".", "B-PER", ".", "I-PER"]], [["B-PER", "I-PER", ".", "."]]),
    ([["MISC", "MISC", "O", "PER", "PER"]], [["MISC", "O", "O", "PER", "PER"]]),
    ([["B-PER", "I-ORG", "I-ORG"]], [["B-PER", "B-ORG", "I-ORG"]]),
    ([["B-PER"], ["I-PER"], ["O"]], [["B-PER"], ["B-PER"], ["B-PER"]]),
    ([["O"]], [["O"]]),
    ([["B-"]], [["B-"]]),
]  # fmt: skip


def _write(tmp_path, name, sentences):
    path = tmp_path / f"{name}.tsv"
    path.write_text("".join("\n".join(s) + "\n\n" for s in sentences))
    return path


def _assert_like_seqeval(tmp_path, gold, pred, conventions=(CONVENTION_SEQEVAL1,)):
    gold_path, pred_path = _write(tmp_path, "gold", gold), _write(tmp_path, "pred", pred)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = {
            "f1": f1_score(gold, pred) * 100,
            "precision": precision_score(gold, pred) * 100,
            "recall": recall_score(gold, pred) * 100,
        }
    for convention in conventions:
        metrics = score_file_pair("panx", gold_path, pred_path, convention).metrics
        assert {k: metrics[k] for k in expected} == expected, (gold, pred, convention)


@pytest.mark.parametrize(("gold", "pred"), CASES)
def test_seqeval_suite_style_cases_are_bit_identical(tmp_path, gold, pred):
    _assert_like_seqeval(tmp_path, gold, pred)
    _assert_like_seqeval(tmp_path, pred, gold)  # and the other way round


def _conlleval_file(rng: random.Random, prefixes: str):
    """seqeval's statistical test data: 1,000 tokens of random prefix and type, a sentence break
    after about one token in twenty."""
    types = ["PER", "MISC", "ORG", "LOC"]
    gold, pred, g, p = [], [], [], []
    for _ in range(1000):
        for row, prefix in ((g, rng.choice(prefixes)), (p, rng.choice(prefixes))):
            row.append("O" if prefix == "O" else f"{prefix}-{rng.choice(types)}")
        if rng.random() > 0.95:
            gold.append(g)
            pred.append(p)
            g, p = [], []
    if g:
        gold.append(g)
        pred.append(p)
    return gold, pred


@pytest.mark.parametrize("prefixes", ["BIO", "EIO"])
def test_seqeval_statistical_test_files_are_bit_identical_under_both_conventions(
    tmp_path, prefixes
):
    rng = random.Random(prefixes)
    for _ in range(25):
        gold, pred = _conlleval_file(rng, prefixes)
        _assert_like_seqeval(tmp_path, gold, pred, ("xtreme", CONVENTION_SEQEVAL1))
