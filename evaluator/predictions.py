"""A container's prediction files: opened safely, checked against the contract, scored in one pass.

`score_output` is the platform's path: every expected file is streamed beside its gold file,
checked and scored at once (memory does not grow with the files), and the per-example statistics
the bootstrap needs come out with the scores. `read_predictions` gives the same checks with the
predictions in memory, for the tools that want them.

The contract is evaluate.py's reading (universal newlines, stripped lines) with three rules of
its own: only the task's labels, blank lines at the end are not examples, and each file must
have exactly the input's examples (and each sentence the input's tokens).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import BinaryIO

import numpy as np

from evaluator.diagnose import first_length_difference, shape
from evaluator.entities import CONVENTION_XTREME, check_convention
from evaluator.example_stats import ExampleStats
from evaluator.filescore import SideProblem, score_labels, score_tags
from evaluator.lines import BLANK, FileProblem, LineCodec, iter_line_ids
from evaluator.registry import get_task
from evaluator.scoring import Scores, aggregate
from evaluator.streams import Misaligned, flatten, sentence_lengths, trim_trailing_blanks

DEFAULT_MAX_PREDICTION_BYTES = 64 * 1024 * 1024
SHOWN_PROBLEMS = 5  # str(PredictionError) lists this many; `problems` keeps them all


class PredictionError(ValueError):
    """Predictions a team must fix; `problems` has one message per file (file, line, problem)."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        shown = self.problems[:SHOWN_PROBLEMS]
        if len(self.problems) > SHOWN_PROBLEMS:
            shown.append(f"... and {len(self.problems) - SHOWN_PROBLEMS} more files with problems")
        super().__init__("\n".join(shown))


def file_name(task: str, language: str, suffix: str) -> str:
    return f"{task}/test-{language}.{suffix}"


class _Limited:
    """A binary file read in chunks that refuses to give more than `max_bytes` in all."""

    def __init__(self, handle: BinaryIO, max_bytes: int):
        self.handle, self.left, self.max_bytes = handle, max_bytes, max_bytes

    def read(self, size: int) -> bytes:
        data = self.handle.read(min(size, self.left + 1))
        self.left -= len(data)
        if self.left < 0:
            raise FileProblem(f"more than the {self.max_bytes:,}-byte limit")
        return data

    def __enter__(self) -> _Limited:
        return self

    def __exit__(self, *exc) -> None:
        self.handle.close()


def open_prediction(root, relative: str, max_bytes: int) -> _Limited:
    """Open output_dir/<task>/<file> without following links; refuse anything but a file."""
    task_dir, name = os.path.split(relative)
    dir_path = os.path.join(root, task_dir)
    try:
        dir_stat = os.lstat(dir_path)
    except FileNotFoundError:
        raise PredictionError(
            [f"{relative}: missing (the folder {task_dir}/ does not exist)"]
        ) from None
    if not stat.S_ISDIR(dir_stat.st_mode):
        raise PredictionError([f"{task_dir}/: must be a real folder, not a link or a file"])
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(os.path.join(dir_path, name), flags)
    except FileNotFoundError:
        raise PredictionError(
            [f"{relative}: missing; write one prediction file per language"]
        ) from None
    except OSError as exc:  # ELOOP: a symlink, which we refuse to follow
        raise PredictionError(
            [f"{relative}: must be a regular file, not a link ({exc.strerror})"]
        ) from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        # Checked on the descriptor before wrapping it: fdopen itself fails on a directory.
        os.close(fd)
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "a pipe or device"
        raise PredictionError([f"{relative}: must be a regular file, not {kind}"])
    if info.st_size > max_bytes:
        os.close(fd)
        raise PredictionError(
            [f"{relative}: {info.st_size:,} bytes, more than the {max_bytes:,}-byte limit"]
        )
    return _Limited(os.fdopen(fd, "rb"), max_bytes)


def _codec(spec) -> LineCodec:
    return LineCodec(spec.labels, closed=True, what="tag" if spec.is_tagging else "label")


def _sentence_of_line(opener, line: int) -> int:
    """1 + the blank lines before `line`: the sentence that line is in."""
    blanks, seen = 0, 0
    with opener() as handle:
        try:
            for ids in iter_line_ids(handle, LineCodec()):
                take = min(len(ids), line - 1 - seen)
                blanks += int((ids[:take] == BLANK).sum())
                seen += take
                if seen >= line - 1:
                    break
        except FileProblem:
            pass  # a later problem of the file: the lines before it are counted
    return blanks + 1


def _problem(relative: str, problem: FileProblem, opener, tagging: bool) -> str:
    if problem.unknown and tagging:
        sentence = _sentence_of_line(opener, problem.line)
        return f"{relative}: line {problem.line} (sentence {sentence}): {problem.detail}"
    return f"{relative}: {problem}"


def check_file(
    opener, relative: str, task_id: str, expected: int, lengths, *, collect: bool = False
) -> list | None:
    """Stream one prediction file and check it against the manifest (memory stays bounded
    unless `collect` asks for its examples, as strings).

    Raises PredictionError with the first problem: a byte or label problem (with its line), the
    number of examples, or the first sentence whose tag count differs from the input."""
    spec = get_task(task_id)
    codec = _codec(spec)
    kept: list[int] = []
    count, mismatch = 0, None

    def blocks():
        with opener() as handle:
            for ids in trim_trailing_blanks(iter_line_ids(handle, codec)):
                if collect:
                    kept.extend(ids.tolist())
                yield ids

    try:
        if not spec.is_tagging:
            count = sum(len(ids) for ids in blocks())
        else:
            wanted = np.asarray(lengths if lengths is not None else [], dtype=np.int64)
            for found, firsts in sentence_lengths(flatten(blocks())):
                if mismatch is None and lengths is not None:
                    against = wanted[count : count + len(found)]
                    differ = np.flatnonzero(found[: len(against)] != against)
                    if len(differ):
                        at = int(differ[0])
                        mismatch = (
                            count + at + 1,
                            int(firsts[at]),
                            int(found[at]),
                            int(against[at]),
                        )
                count += len(found)
    except FileProblem as problem:
        raise PredictionError([_problem(relative, problem, opener, spec.is_tagging)]) from None
    if count != expected:
        raise PredictionError([_count_problem(relative, spec, count, expected, opener)])
    if mismatch is not None:
        index, first, n, n_tokens = mismatch
        raise PredictionError(
            [f"{relative}: sentence {index} (from line {first}) has {n} tags but the input has "
             f"{n_tokens} tokens"]
        )  # fmt: skip
    return _examples(kept, codec.strings, spec.is_tagging) if collect else None


def _count_problem(relative: str, spec, count: int, expected: int, opener) -> str:
    if not spec.is_tagging:
        return (
            f"{relative}: {count:,} lines but the input has {expected:,} examples; "
            "write exactly one label per input line, in input order"
        )
    hint = "separate sentences by exactly one blank line"
    doubled = shape(opener, True, trim=True).doubled_blank if count > expected else None
    if doubled is not None:
        hint = f"line {doubled:,} is a second blank line in a row (an empty sentence); {hint}"
    return f"{relative}: {count:,} sentences but the input has {expected:,}; {hint}"


def _examples(lines: list[int], strings: list[str], tagging: bool) -> list:
    if not tagging:
        return [strings[i] for i in lines]
    sentences, current = [], []
    for i in lines:
        if i == BLANK:
            sentences.append(current)
            current = []
        else:
            current.append(strings[i])
    if current:
        sentences.append(current)
    return sentences


def read_predictions(
    output_dir, manifest: Mapping, max_bytes: int = DEFAULT_MAX_PREDICTION_BYTES
) -> dict[tuple[str, str], list]:
    """Every expected prediction file, checked, in memory; raises PredictionError listing each
    bad file. Files the manifest does not ask for are ignored."""
    predictions: dict[tuple[str, str], list] = {}

    def read(task_id, lang, relative, opener):
        entry = manifest["tasks"][task_id]
        lengths = manifest.get("sentence_lengths", {}).get(task_id, {}).get(lang)
        return check_file(opener, relative, task_id, entry["counts"][lang], lengths, collect=True)

    for key, value in _each_file(output_dir, manifest, max_bytes, read):
        predictions[key] = value
    return predictions


def _each_file(output_dir, manifest: Mapping, max_bytes: int, action):
    """(key, action(...)) for each expected file; every file's problem is collected first."""
    results, problems = [], []
    for task_id, entry in manifest["tasks"].items():
        if not os.path.lexists(os.path.join(output_dir, task_id)):
            problems.append(
                f"{task_id}/: missing; write {task_id}/test-<lang>.tsv for "
                f"{', '.join(entry['languages'])}"
            )
            continue
        for lang in entry["languages"]:
            relative = file_name(task_id, lang, "tsv")

            def opener(relative=relative):
                return open_prediction(output_dir, relative, max_bytes)

            try:
                results.append(((task_id, lang), action(task_id, lang, relative, opener)))
            except PredictionError as error:
                problems.extend(error.problems)
    if problems:
        raise PredictionError(problems)
    return results


@dataclass(frozen=True)
class ScoredOutput:
    scores: Scores
    stats: dict[tuple[str, str], ExampleStats]


def score_output(
    output_dir, gold_dir, manifest: Mapping, convention: str = CONVENTION_XTREME,
    max_bytes: int = DEFAULT_MAX_PREDICTION_BYTES,
) -> ScoredOutput:  # fmt: skip
    """Check and score every expected file against gold_dir's, streaming; with the statistics
    evaluator/uncertainty.py resamples. Raises PredictionError listing each bad file.
    Every example counts here, canaries included: evaluator.canary_scoring.set_apart then
    takes the canaries out of the board's scores and statistics."""
    check_convention(convention)

    def score(task_id, lang, relative, opener):
        spec = get_task(task_id)
        gold_path = os.path.join(gold_dir, file_name(task_id, lang, "tsv"))
        try:
            with open(gold_path, "rb") as gold, opener() as pred:
                if spec.is_tagging:
                    lengths = manifest.get("sentence_lengths", {}).get(task_id, {}).get(lang)
                    return score_tags(
                        gold, pred, _codec(spec), convention, trim_pred=True, want_stats=True,
                        sentences_hint=manifest["tasks"][task_id]["counts"][lang],
                        longest_hint=max(lengths, default=0) if lengths else None,
                    )  # fmt: skip
                return score_labels(gold, pred, _codec(spec), trim_pred=True, want_stats=True)
        except SideProblem as error:
            if error.side == "gold":
                raise  # the platform's own file: not the team's fault
        except Misaligned:
            pass
        # Something the team must fix: find it and say it as the contract does.
        entry = manifest["tasks"][task_id]
        lengths = manifest.get("sentence_lengths", {}).get(task_id, {}).get(lang)
        check_file(opener, relative, task_id, entry["counts"][lang], lengths)
        # Only a manifest without sentence lengths gets here: the gold file has them.
        differ = first_length_difference(partial(open, gold_path, "rb"), opener, trim_pred=True)
        if differ is None:
            raise PredictionError([f"{relative}: the sentences do not line up with the input"])
        raise PredictionError(
            [f"{relative}: sentence {differ.sentence} (from line {differ.first_line}) has "
             f"{differ.predicted_tags} tags but the input has {differ.gold_tags} tokens"]
        )  # fmt: skip

    scored = dict(_each_file(output_dir, manifest, max_bytes, score))
    per_language = {key: result.metrics for key, result in scored.items()}
    return ScoredOutput(
        scores=aggregate(per_language, convention),
        stats={key: result.stats for key, result in scored.items()},
    )
