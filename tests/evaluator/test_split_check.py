"""verify_split (pure): labels outside the task's set, missing languages and wrong counts."""

from evaluator.split_check import input_hash, split_identity, verify_split


def manifest(counts):
    return {"tasks": {"xnli": {"languages": list(counts), "counts": counts}}}


def test_a_clean_split_is_verified():
    report = verify_split(
        "test", {"xnli": ["en"]}, manifest({"en": 2}), {("xnli", "en"): ["neutral", "entailment"]},
        {("xnli", "en"): 2}, {}, {}, {},
    )  # fmt: skip
    assert report.verified and report.counts == {"xnli": {"en": 2}}


def test_every_problem_is_named():
    report = verify_split(
        "test", {"xnli": ["en", "de"], "panx": ["en"]}, manifest({"en": 2}),
        {("xnli", "en"): ["neutral", "maybe"]}, {("xnli", "en"): 3}, {}, {}, {},
    )  # fmt: skip
    assert report.problems == [
        "xnli/en: 2 examples stored but the source has 3; rebuild the split",
        "xnli/en: gold labels 'maybe' are not xnli labels",
        "xnli/de: missing from the split; rebuild it",
        "panx: missing from the split; rebuild it",
    ]


def test_hashes_compare_inputs_not_ids_or_labels():
    a = {"id": "xnli-en-000001", "sentence1": "a", "sentence2": "b", "label": "neutral"}
    b = {**a, "id": "xnli-en-000009", "label": "entailment"}
    assert input_hash("xnli", a) == input_hash("xnli", b)
    assert input_hash("xnli", a) != input_hash("xnli", {**a, "sentence2": "c"})
    assert split_identity({"source": "x"}, {"xnli": ["en"]}, "test") != split_identity(
        {"source": "x"}, {"xnli": ["en"]}, "validation"
    )
