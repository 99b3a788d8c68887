"""Did a timed execution predict what the scored run did (evaluator.same_predictions)?

"The same" is the contract's reading: line endings, surrounding spaces and blank lines at the
end do not matter; one label, one sentence break, a missing or extra expected file does."""

import pytest

from evaluator.predictions import PredictionError
from evaluator.same_predictions import (
    combined,
    digest_predictions,
    figure,
    first_difference,
    kept_measurements,
)

MANIFEST = {
    "tasks": {
        "xnli": {"languages": ["en"], "counts": {"en": 3}},
        "panx": {"languages": ["de"], "counts": {"de": 2}},
    }
}
XNLI = b"entailment\nneutral\ncontradiction\n"
PANX = b"B-PER\nI-PER\nO\n\nO\n\n"


def write(root, xnli=XNLI, panx=PANX, extra=None):
    for task, data in (("xnli", xnli), ("panx", panx)):
        (root / task).mkdir(parents=True, exist_ok=True)
        if data is not None:
            name = "test-en.tsv" if task == "xnli" else "test-de.tsv"
            (root / task / name).write_bytes(data)
    for path, data in (extra or {}).items():
        (root / path).write_bytes(data)
    return digest_predictions(root, MANIFEST)


def test_the_same_predictions_written_differently_are_the_same(tmp_path):
    scored = write(tmp_path / "a")
    other = write(
        tmp_path / "b",
        xnli=b"entailment\r\n  neutral \r\ncontradiction\r\n\r\n\r\n",
        panx=b"B-PER\rI-PER\rO\r\rO",
        extra={"notes.txt": b"files the manifest does not ask for are ignored"},
    )
    assert first_difference(scored, other) is None
    assert combined(scored) == combined(other)


@pytest.mark.parametrize(
    "xnli, panx, named",
    [
        (b"entailment\nneutral\nneutral\n", PANX, "xnli/test-en.tsv"),  # one label
        (XNLI, b"B-PER\nI-PER\n\nO\nO\n", "panx/test-de.tsv"),  # a sentence break moved
        (b"entailment\nneutral\n", PANX, "xnli/test-en.tsv"),  # one example fewer
        (XNLI, b"", "panx/test-de.tsv"),  # an empty file: nothing predicted
    ],
)
def test_any_other_prediction_is_a_difference_naming_the_file(tmp_path, xnli, panx, named):
    scored = write(tmp_path / "a")
    other = write(tmp_path / "b", xnli=xnli, panx=panx)
    difference = first_difference(scored, other)
    assert difference is not None and difference.startswith(named)
    assert combined(scored) != combined(other)


def test_missing_or_unreadable_predictions_are_invalid(tmp_path):
    with pytest.raises(PredictionError, match=r"panx/test-de\.tsv: missing"):
        write(tmp_path / "a", panx=None)
    with pytest.raises(PredictionError, match=r"xnli/test-en\.tsv: .*maybe"):
        write(tmp_path / "b", xnli=b"entailment\nmaybe\nneutral\n")


def test_digests_with_other_files_differ():
    scored = {"xnli/test-en.tsv": "a", "panx/test-de.tsv": "b"}
    assert first_difference(scored, {"xnli/test-en.tsv": "a"}) == "panx/test-de.tsv is missing"
    assert first_difference(scored, {**scored, "udpos/test-en.tsv": "c"}) == (
        "udpos/test-en.tsv is not one the scored run wrote"
    )


def test_uncounted_timings_never_make_the_figure_better():
    # The probe's numbers: the scored run did the work, the repeats exited at once.
    assert figure([20.88], [20.88, 1.02, 0.91]) == 20.88
    # An image spoiling its slow repeats keeps no advantage: the median of all is worse.
    assert figure([1.0, 1.0], [1.0, 1.0, 3.0, 3.0, 3.0]) == 3.0
    # Every repeat counted: the plain median.
    assert figure([1.0, 2.0, 4.0], [1.0, 2.0, 4.0]) == 2.0
    with pytest.raises(ValueError):
        figure([], [1.0])


def test_an_uncounted_timing_is_kept_only_where_it_makes_the_run_look_slower():
    # Fast spoiled repeats: not kept (they would lower the team's fastest run).
    assert kept_measurements([20.88], [1.02, 0.91]) == [20.88]
    # A slow repeat spoiled on purpose: kept, so the mover's slowest run is still the slow one.
    assert kept_measurements([1.0, 1.1], [3.0, 1.05]) == [1.0, 1.1, 3.0]
