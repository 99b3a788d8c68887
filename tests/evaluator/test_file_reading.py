"""What real files contain: line endings, byte-order marks, blank lines, other encodings, size.

Files are read in chunks; the chunk size is shrunk here to a few bytes so that every border case
(a CRLF cut in two, a tag cut in two, an entity across chunks) happens in small files.
"""

import io
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from seqeval.metrics import f1_score, precision_score, recall_score

from evaluator import lines as lines_module
from evaluator.lines import BLANK, LineCodec, iter_line_ids
from evaluator.scoring import (
    CONVENTION_SEQEVAL1,
    ScoringError,
    entity_counts,
    score_directory,
    score_file_pair,
    token_accuracy,
)

PIECES = ["B-PER", "I-PER", "O", "NOUN", "\r", "\n", "\r\n", " ", "\t", "\u00a0", "\u2028",
          "\x0c", "é", "日本", "PROPNPROPN", "\x00", "I-LOC "]  # fmt: skip


@pytest.fixture(params=[1, 3, 7, 1 << 20], ids=lambda n: f"chunk{n}")
def chunk(request, monkeypatch):
    monkeypatch.setattr(lines_module, "CHUNK_BYTES", request.param)
    return request.param


def read(data: bytes) -> list[str]:
    codec = LineCodec()
    ids = [i for block in iter_line_ids(io.BytesIO(data), codec) for i in block.tolist()]
    return ["" if i == BLANK else codec.strings[i] for i in ids]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40), st.sampled_from([1, 2, 5, 64]))
def test_lines_are_what_python_open_gives_stripped(tmp_path_factory, pieces, size):
    """evaluate.py: `for line in open(path)`, universal newlines, then line.strip()."""
    data = "".join(pieces).encode("utf-8")
    path = tmp_path_factory.mktemp("lines") / "f.tsv"
    path.write_bytes(data)
    with open(path, encoding="utf-8") as handle:
        expected = [line.strip() for line in handle]
    lines_module.CHUNK_BYTES, saved = size, lines_module.CHUNK_BYTES
    try:
        assert read(data) == expected
    finally:
        lines_module.CHUNK_BYTES = saved


TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "NOUN", "SCONJ", "INTJ", "X", "E-PER", "S-LOC",
        "B-", ".", "PROPN"]  # fmt: skip


def write_pair(tmp_path, gold, pred, ending="\n"):
    for folder, sentences in (("gold", gold), ("pred", pred)):
        (tmp_path / folder / "udpos").mkdir(parents=True, exist_ok=True)
        text = ending.join(ending.join(s) + ending for s in sentences)
        (tmp_path / folder / "udpos" / "test-en.tsv").write_bytes(text.encode())
    return tmp_path / "gold" / "udpos" / "test-en.tsv", tmp_path / "pred" / "udpos" / "test-en.tsv"


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_streamed_file_scores_equal_in_memory_scores_and_seqeval(tmp_path_factory, data):
    gold = data.draw(st.lists(st.lists(st.sampled_from(TAGS), min_size=1, max_size=9),
                              min_size=1, max_size=6))  # fmt: skip
    pred = [data.draw(st.lists(st.sampled_from(TAGS), min_size=len(s), max_size=len(s)))
            for s in gold]  # fmt: skip
    ending = data.draw(st.sampled_from(["\n", "\r\n", "\r"]))
    size = data.draw(st.sampled_from([1, 4, 1 << 20]))
    gold_path, pred_path = write_pair(tmp_path_factory.mktemp("pair"), gold, pred, ending)
    lines_module.CHUNK_BYTES, saved = size, lines_module.CHUNK_BYTES
    try:
        for convention in ("xtreme", CONVENTION_SEQEVAL1):
            metrics = score_file_pair("udpos", gold_path, pred_path, convention).metrics
            counts = entity_counts(gold, pred, convention)
            assert metrics["f1"] == counts.f1 * 100
            assert metrics["precision"] == counts.precision * 100
            assert metrics["recall"] == counts.recall * 100
            assert metrics["token_accuracy"] == token_accuracy(gold, pred) * 100
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert metrics["f1"] == f1_score(gold, pred) * 100
            assert metrics["precision"] == precision_score(gold, pred) * 100
            assert metrics["recall"] == recall_score(gold, pred) * 100
    finally:
        lines_module.CHUNK_BYTES = saved


def test_lone_cr_and_crlf_files_score_as_evaluate_py_reads_them(tmp_path, chunk):
    gold = [["B-PER", "I-PER", "O"], ["O", "B-LOC"], ["NOUN"]]
    pred = [["B-PER", "O", "O"], ["O", "B-LOC"], ["NOUN"]]
    expected = score_file_pair("udpos", *write_pair(tmp_path / "lf", gold, pred)).metrics
    for ending in ("\r", "\r\n"):
        got = score_file_pair("udpos", *write_pair(tmp_path / repr(ending), gold, pred, ending))
        assert got.metrics == expected


def _cli_problem(tmp_path, gold: bytes, pred: bytes, task="panx") -> str:
    for folder, data in (("gold", gold), ("pred", pred)):
        (tmp_path / folder / task).mkdir(parents=True, exist_ok=True)
        (tmp_path / folder / task / "test-en.tsv").write_bytes(data)
    with pytest.raises(ScoringError) as raised:
        score_directory(tmp_path / "gold", tmp_path / "pred")
    message = str(raised.value)
    assert len(message) < 300, message
    assert message.startswith(f"{task}/test-en.tsv")
    return message


GOLD = b"B-PER\nI-PER\nO\n\nO\nB-LOC\n"


def test_cli_messages_name_the_cause_and_what_to_change(tmp_path, chunk):
    message = _cli_problem(tmp_path / "bom", GOLD, b"\xef\xbb\xbf" + GOLD)
    assert "byte-order mark" in message and "without a BOM" in message

    message = _cli_problem(tmp_path / "latin", GOLD, b"B-PER\nI-PER\nO\n\nO\nB-LOC\xe9\n")
    assert "line 6 is not UTF-8" in message and "save the file as UTF-8" in message

    message = _cli_problem(tmp_path / "trailing", GOLD, GOLD + b"\n\n\n")
    assert "4 predicted examples but the gold file has 2" in message
    assert "ends with 3 blank lines" in message and "at most one" in message

    message = _cli_problem(tmp_path / "doubled", GOLD, b"B-PER\nI-PER\nO\n\n\nO\nB-LOC\n")
    assert "line 5 is a second blank line in a row" in message

    message = _cli_problem(tmp_path / "short", GOLD, b"B-PER\nI-PER\n\nO\nB-LOC\n")
    assert "sentence 1 (from line 1 of the predictions) has 2 predicted tags" in message
    assert "the gold sentence has 3" in message

    labels = b"entailment\nneutral\n"
    message = _cli_problem(tmp_path / "labels", labels, labels + b"\n\n", task="xnli")
    assert "4 predicted examples but the gold file has 2" in message
    assert "ends with 2 blank line(s)" in message and "remove them" in message


def test_a_huge_line_or_a_file_without_line_ends_gives_a_short_message(tmp_path, chunk):
    huge = b"B-PER" * 30_000  # 150 KB on one line: no tag, and never held whole in memory
    message = _cli_problem(tmp_path / "huge", GOLD, huge)
    assert "line 1" in message and "longer than" in message
