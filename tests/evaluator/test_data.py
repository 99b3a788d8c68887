"""Data sources: the synthetic generator, XTREME's local layout, and `datasets` on hub-format parquet."""

import time
import unicodedata

import pytest

from evaluator.data import DataSource, DataSourceError, open_source
from evaluator.data.synthetic import FULL_TEST_SIZES
from evaluator.registry import TASKS, UnknownTaskError, get_task, resolve_tasks


def test_registry_languages_are_xtremes():
    assert len(TASKS["xnli"].languages) == 15 and TASKS["xnli"].languages[0] == "ar"
    assert len(TASKS["pawsx"].languages) == 7
    assert len(TASKS["udpos"].languages) == 33
    assert len(TASKS["panx"].languages) == 40 and TASKS["panx"].languages[:3] == ("ar", "he", "vi")
    with pytest.raises(UnknownTaskError, match="valid tasks are panx, pawsx, udpos, xnli"):
        get_task("squad")
    with pytest.raises(UnknownTaskError, match="xnli: language"):
        resolve_tasks({"xnli": ["xx"]})


def test_synthetic_is_deterministic_and_follows_the_schemas():
    source = open_source({"source": "synthetic", "seed": 7, "size": "tiny"})
    assert isinstance(source, DataSource)
    again = open_source({"source": "synthetic", "seed": 7, "size": "tiny"})
    other = open_source({"source": "synthetic", "seed": 8, "size": "tiny"})
    for task_id, spec in TASKS.items():
        for lang in spec.languages:
            examples = source.examples(task_id, lang, "test")
            assert len(examples) == 30
            assert examples == again.examples(task_id, lang, "test")
            if spec.is_tagging:
                for ex in examples:
                    assert set(ex) == {"id", "tokens", "tags"} and len(ex["tokens"]) == len(
                        ex["tags"]
                    )
                    assert set(ex["tags"]) <= set(spec.labels)
                    for prev, tag in zip(["O", *ex["tags"]], ex["tags"]):
                        assert not tag.startswith("I-") or prev[2:] == tag[2:]  # IOB2
            else:
                assert all(set(ex) == {"id", "sentence1", "sentence2", "label"} for ex in examples)
                assert {ex["label"] for ex in examples} <= set(spec.labels)
    assert source.examples("panx", "de", "test") != other.examples("panx", "de", "test")
    assert source.examples("panx", "de", "test") != source.examples("panx", "de", "train")


def _scripts(source, lang):
    words = [w for ex in source.examples("panx", lang, "test") for w in ex["tokens"]]
    return {unicodedata.name(w[0]).split()[0] for w in words}


def test_synthetic_uses_each_languages_script():
    source = open_source({"source": "synthetic", "seed": 0, "size": "tiny"})
    assert _scripts(source, "ru") == {"CYRILLIC"}
    assert _scripts(source, "ar") == {"ARABIC"}
    assert _scripts(source, "hi") == {"DEVANAGARI"}
    assert _scripts(source, "zh") == {"CJK"}
    assert _scripts(source, "en") == {"LATIN"}


def test_synthetic_signal_is_learnable():
    # A lexicon learned on training data tags held-out test data well: the signal is real.
    source = open_source({"source": "synthetic", "seed": 0, "size": 400})
    lexicon = {}
    for ex in source.examples("udpos", "en", "train"):
        for word, tag in zip(ex["tokens"], ex["tags"]):
            lexicon.setdefault(word, tag)
    test = source.examples("udpos", "en", "test")
    hits = sum(lexicon.get(w) == t for ex in test for w, t in zip(ex["tokens"], ex["tags"]))
    assert hits / sum(len(ex["tags"]) for ex in test) > 0.9
    for pair in source.examples("xnli", "en", "test"):
        # entailment: sentence2 is a span of sentence1; the other labels add words to it
        assert (pair["sentence2"] in pair["sentence1"]) == (pair["label"] == "entailment")
    for pair in source.examples("pawsx", "en", "test"):
        s1, s2 = pair["sentence1"].split(), pair["sentence2"].split()
        assert len(s1) == len(s2)
        if pair["label"] == "0":  # two words swap places: the order changes
            assert sum(a != b for a, b in zip(s1, s2)) == 2


def test_synthetic_sizes_full_and_fast():
    source = open_source({"source": "synthetic", "seed": 0, "size": "full"})
    started = time.perf_counter()
    assert len(source.examples("panx", "de", "test")) == 10_000
    assert len(source.examples("panx", "yo", "test")) == 100
    assert len(source.examples("xnli", "sw", "test")) == 5_010
    assert len(source.examples("pawsx", "ko", "test")) == 2_000
    assert len(source.examples("udpos", "en", "test")) == FULL_TEST_SIZES["udpos"]["en"] == 5_440
    assert time.perf_counter() - started < 10
    with pytest.raises(ValueError, match="tiny, small, full or a number"):
        open_source({"source": "synthetic", "size": "huge"})
    with pytest.raises(DataSourceError, match="unknown data source 'ftp'"):
        open_source({"source": "ftp"})


def test_local_xtreme_layout(tmp_path):
    (tmp_path / "panx").mkdir()
    (tmp_path / "panx" / "test-de.tsv").write_text(
        "de:Angela\tB-PER\nde:Merkel\tI-PER\nde:spricht\tO\n\nde:Berlin\tB-LOC\n", encoding="utf-8"
    )
    (tmp_path / "xnli").mkdir()
    (tmp_path / "xnli" / "dev-fr.tsv").write_text(
        "Il pleut.\tIl fait beau.\tcontradictory\nA\tB\tneutral\n"
    )
    source = open_source({"source": "local", "path": str(tmp_path)})
    panx = source.examples("panx", "de", "test")
    assert panx == [
        {
            "id": "panx-de-000000",
            "tokens": ["Angela", "Merkel", "spricht"],
            "tags": ["B-PER", "I-PER", "O"],
        },
        {"id": "panx-de-000001", "tokens": ["Berlin"], "tags": ["B-LOC"]},
    ]
    xnli = source.examples("xnli", "fr", "validation")
    assert [ex["label"] for ex in xnli] == ["contradiction", "neutral"]
    with pytest.raises(
        DataSourceError, match=r"no train data for panx/de: expected .*panx/train-de.tsv"
    ):
        source.examples("panx", "de", "train")
    (tmp_path / "panx" / "dev-de.tsv").write_text("x\tB-MISC\n")
    with pytest.raises(DataSourceError, match=r"dev-de.tsv:1: unknown tag 'B-MISC'"):
        source.examples("panx", "de", "validation")


def _parquet(path, rows, features):
    import datasets

    path.parent.mkdir(parents=True, exist_ok=True)
    datasets.Dataset.from_list(rows, features=features).to_parquet(str(path))


def test_huggingface_source_reads_hub_format_parquet(tmp_path):
    from datasets import ClassLabel, Features, List, Value

    panx = Features(
        {
            "tokens": List(Value("string")),
            "ner_tags": List(ClassLabel(names=list(get_task("panx").labels))),
            "langs": List(Value("string")),
        }
    )
    _parquet(tmp_path / "PAN-X.de" / "test-00000-of-00001.parquet",
             [{"tokens": ["Angela", "Merkel"], "ner_tags": [1, 2], "langs": ["de", "de"]}], panx)  # fmt: skip
    udpos = Features(
        {
            "tokens": List(Value("string")),
            "pos_tags": List(ClassLabel(names=list(get_task("udpos").labels))),
        }
    )
    _parquet(tmp_path / "udpos.German" / "validation-00000-of-00001.parquet",
             [{"tokens": ["Das", "Haus"], "pos_tags": [5, 7]}], udpos)  # fmt: skip
    xnli = Features(
        {
            "language": Value("string"),
            "sentence1": Value("string"),
            "sentence2": Value("string"),
            "gold_label": Value("string"),
        }
    )
    _parquet(tmp_path / "XNLI" / "test-00000-of-00001.parquet",
             [{"language": "de", "sentence1": "a", "sentence2": "b", "gold_label": "neutral"},
              {"language": "fr", "sentence1": "c", "sentence2": "d", "gold_label": "entailment"}], xnli)  # fmt: skip
    mnli = Features(
        {
            "premise": Value("string"),
            "hypothesis": Value("string"),
            "label": ClassLabel(names=["entailment", "neutral", "contradiction"]),
        }
    )
    _parquet(tmp_path / "multi_nli" / "train-00000-of-00001.parquet",
             [{"premise": "p", "hypothesis": "h", "label": 2}], mnli)  # fmt: skip
    pawsx = Features(
        {"sentence1": Value("string"), "sentence2": Value("string"), "label": Value("string")}
    )
    _parquet(
        tmp_path / "PAWS-X.ja" / "test-00000-of-00001.parquet",
        [{"sentence1": "x", "sentence2": "y", "label": "1"}],
        pawsx,
    )

    source = open_source(
        {"source": "huggingface", "local_dir": str(tmp_path), "cache_dir": str(tmp_path / "cache")}
    )
    assert source.examples("panx", "de", "test") == [
        {"id": "panx-de-000000", "tokens": ["Angela", "Merkel"], "tags": ["B-PER", "I-PER"]}
    ]
    assert source.examples("udpos", "de", "validation")[0]["tags"] == ["DET", "NOUN"]
    assert source.examples("xnli", "fr", "test") == [
        {"id": "xnli-fr-000000", "sentence1": "c", "sentence2": "d", "label": "entailment"}
    ]
    assert source.examples("xnli", "en", "train")[0]["label"] == "contradiction"
    assert source.examples("pawsx", "ja", "test")[0]["label"] == "1"
    with pytest.raises(DataSourceError, match=r"no train parquet files for PAN-X\.de"):
        source.examples("panx", "de", "train")
