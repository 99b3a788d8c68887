"""Fuzzed prediction files against `read_predictions`: a PredictionError naming the file, or success.

Random bytes, random lines, near-valid files with one thing wrong (counts, CRLF, NUL, unicode,
huge lines), for a classification task and a tagging task at once.
"""

import functools
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evaluator.contract import PredictionError, read_predictions, score_output, write_split
from evaluator.data import open_source
from evaluator.registry import get_task

FILES = {"xnli": "xnli/test-en.tsv", "panx": "panx/test-en.tsv"}
MAX_BYTES = 64 * 1024  # small, so that "huge" costs little


@functools.cache
def split_dir() -> Path:
    """The split's folder (input, gold), kept for the whole test session."""
    return Path(tempfile.mkdtemp(prefix="fuzz-split-"))


@functools.cache
def manifest() -> dict:
    source = open_source({"source": "synthetic", "seed": 1, "size": "tiny"})
    tasks = {"xnli": ["en"], "panx": ["en"]}
    return write_split(source, tasks, "validation", split_dir() / "in", split_dir() / "gold")


def valid_lines(task: str) -> list[str]:
    """Lines of a valid prediction file for `task`."""
    spec, entry = get_task(task), manifest()
    if task == "xnli":
        return [spec.labels[0]] * entry["tasks"]["xnli"]["counts"]["en"]
    lines = []
    for length in entry["sentence_lengths"]["panx"]["en"]:
        lines += [spec.labels[0]] * length + [""]
    return lines


def check(contents: dict[str, bytes]) -> None:
    """Write the files and read them back: success or only PredictionError naming a file."""
    with tempfile.TemporaryDirectory() as tmp:
        for task, data in contents.items():
            path = Path(tmp) / FILES[task]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        try:
            read_predictions(tmp, manifest(), max_bytes=MAX_BYTES)
        except PredictionError as error:
            assert error.problems
            for problem in error.problems:
                assert problem.split(":", 1)[0].rstrip("/") in {*FILES.values(), *FILES}, problem
                assert len(problem) < 300, problem  # bounded, whatever the file holds
            problems = error.problems
        else:
            problems = None
        # The platform's streaming path finds the same problems (or scores the same files).
        try:
            score_output(tmp, split_dir() / "gold", manifest(), max_bytes=MAX_BYTES)
        except PredictionError as error:
            assert error.problems == problems
        else:
            assert problems is None


def _mutate(lines: list[str], how: str, data) -> bytes:
    lines = list(lines)
    if how == "drop" and lines:
        del lines[data.draw(st.integers(0, len(lines) - 1))]
    elif how == "extra":
        lines.insert(data.draw(st.integers(0, len(lines))), data.draw(st.text(max_size=5)))
    elif how == "replace" and lines:
        lines[data.draw(st.integers(0, len(lines) - 1))] = data.draw(st.text(max_size=30))
    elif how == "huge":
        lines.append("B-PER" * (MAX_BYTES // 4))
    text = "\n".join(lines) + "\n"
    if how == "crlf":
        text = text.replace("\n", "\r\n")
    raw = text.encode("utf-8", "surrogatepass")
    if how == "nul":
        raw = raw.replace(b"\n", b"\x00\n", 1)
    if how == "latin1":
        raw = raw + "é\n".encode("latin-1")
    return raw


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000), st.binary(max_size=2000))
def test_random_bytes(xnli, panx):
    check({"xnli": xnli, "panx": panx})


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(max_size=20), max_size=60), st.lists(st.text(max_size=20), max_size=60))
def test_random_unicode_lines(xnli, panx):
    check({"xnli": "\n".join(xnli).encode("utf-8", "surrogatepass"),
           "panx": "\r\n".join(panx).encode("utf-8", "surrogatepass")})  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.sampled_from(["drop", "extra", "replace", "huge", "crlf", "nul", "latin1"]))
def test_near_valid_files_with_one_thing_wrong(data, how):
    check({task: _mutate(valid_lines(task), how, data) for task in FILES})


def test_valid_files_pass_and_crlf_is_accepted():
    check({task: "\n".join(valid_lines(task)).encode() for task in FILES})
    with tempfile.TemporaryDirectory() as tmp:
        for task in FILES:
            path = Path(tmp) / FILES[task]
            path.parent.mkdir(parents=True)
            path.write_bytes("\r\n".join(valid_lines(task)).encode())
        assert len(read_predictions(tmp, manifest(), max_bytes=MAX_BYTES)) == 2


def test_specific_problems_name_file_and_line():
    lines = valid_lines("xnli")
    lines[4] = "maybe\x00"
    cases = {
        "xnli": "\n".join(lines).encode(),
        "panx": b"\xff\xfe" + "\n".join(valid_lines("panx")).encode(),
    }
    with tempfile.TemporaryDirectory() as tmp:
        for task, data in cases.items():
            path = Path(tmp) / FILES[task]
            path.parent.mkdir(parents=True)
            path.write_bytes(data)
        try:
            read_predictions(tmp, manifest(), max_bytes=MAX_BYTES)
        except PredictionError as error:
            text = str(error)
        assert "xnli/test-en.tsv: line 5: unknown label 'maybe\\x00'" in text
        assert "panx/test-en.tsv: line 1 is not UTF-8" in text


def test_folder_or_pipe_named_like_the_file_is_a_prediction_error(tmp_path):
    """A folder named test-en.tsv once escaped as IsADirectoryError (a 'platform error')."""
    import os

    (tmp_path / "xnli" / "test-en.tsv").mkdir(parents=True)
    (tmp_path / "panx").mkdir()
    os.mkfifo(tmp_path / "panx" / "test-en.tsv")
    try:
        read_predictions(tmp_path, manifest(), max_bytes=MAX_BYTES)
    except PredictionError as error:
        text = str(error)
    assert "xnli/test-en.tsv: must be a regular file, not a folder" in text
    assert "panx/test-en.tsv: must be a regular file, not a pipe or device" in text
