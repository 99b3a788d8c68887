"""Did a timed execution do the scored work? Its predictions against the scored run's.

A phase times a submission several times (repeats, timing-audit rounds) but scores one run. A
timing only counts if that execution predicted what the scored run predicted; otherwise an image
that recognises a repeat (its own files in the page cache, say) could exit at once and be timed
at nothing. "The same predictions" is the contract's reading, not the bytes: for every file the
manifest asks for, the same sequence of labels (and sentence breaks) after evaluate.py's
normalisation (universal newlines, each line stripped, blank lines at the end dropped). Files
the manifest does not ask for are ignored, as scoring ignores them.

`digest_predictions` reads a folder into one SHA-256 per expected file (streaming, memory stays
bounded); `first_difference`, `figure` and `kept_measurements` are pure.
"""

from __future__ import annotations

import hashlib
import statistics
from collections.abc import Mapping, Sequence

import numpy as np

from evaluator.lines import FileProblem, LineCodec, iter_line_ids
from evaluator.predictions import (
    DEFAULT_MAX_PREDICTION_BYTES,
    PredictionError,
    _each_file,
)
from evaluator.registry import get_task
from evaluator.streams import trim_trailing_blanks

# A digest: "<task>/test-<lang>.tsv" -> hex SHA-256 of that file's normalised labels.
Digest = dict[str, str]


def digest_predictions(
    output_dir, manifest: Mapping, max_bytes: int = DEFAULT_MAX_PREDICTION_BYTES
) -> Digest:
    """Each expected prediction file's normalised labels, hashed. Raises PredictionError when a
    file is missing, unreadable, too large or holds a label the task does not have (the checks
    `score_output` makes on the way; counts are not checked: a different count is a different
    digest)."""

    def digest(task_id, lang, relative, opener):
        spec = get_task(task_id)
        # The label ids are the closed codec's, fixed by the task's label order, so two runs'
        # files hash alike exactly when they hold the same labels line by line.
        codec = LineCodec(spec.labels, closed=True, what="tag" if spec.is_tagging else "label")
        sha = hashlib.sha256()
        try:
            with opener() as handle:
                for ids in trim_trailing_blanks(iter_line_ids(handle, codec)):
                    sha.update(np.asarray(ids, dtype="<i4").tobytes())
        except FileProblem as problem:
            raise PredictionError([f"{relative}: {problem}"]) from None
        return relative, sha.hexdigest()

    return dict(value for _, value in _each_file(output_dir, manifest, max_bytes, digest))


def combined(digest: Mapping[str, str]) -> str:
    """One SHA-256 for a whole digest (what a run stores), independent of the files' order."""
    sha = hashlib.sha256()
    for relative in sorted(digest):
        sha.update(f"{relative}\0{digest[relative]}\n".encode())
    return sha.hexdigest()


def first_difference(scored: Mapping[str, str], other: Mapping[str, str]) -> str | None:
    """None when `other` predicted exactly what `scored` did, else which file differs, in words."""
    for relative in sorted(set(scored) | set(other)):
        if relative not in other:
            return f"{relative} is missing"
        if relative not in scored:
            return f"{relative} is not one the scored run wrote"
        if scored[relative] != other[relative]:
            return f"{relative} holds other predictions than the scored run's"
    return None


def figure(counted: Sequence[float], measured: Sequence[float]) -> float:
    """The median a run is ranked on when some of its timings were not counted.

    `counted` are the timings of executions that did the scored work, `measured` every timing
    taken. Leaving a timing out must never make the figure better: an image that spoils its slow
    repeats on purpose would otherwise keep only its fast ones. So the figure is the worse of the
    counted median and the median of everything measured."""
    if not counted:
        raise ValueError("at least one counted timing is needed (the scored run's)")
    return max(statistics.median(counted), statistics.median(measured or counted))


def kept_measurements(counted: Sequence[float], uncounted: Sequence[float]) -> list[float]:
    """The measurements a run keeps for the ranking (which judges a mover on its slowest and
    the team above on its fastest): the counted ones, and an uncounted one only where it is
    slower than every counted one, so that spoiling a slow repeat cannot hide it. A fast
    uncounted timing is never kept: it would lower the team's fastest."""
    slowest = max(counted)
    return [*counted, *(d for d in uncounted if d > slowest)]
