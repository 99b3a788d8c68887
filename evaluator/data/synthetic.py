"""Synthetic mini-XTREME: deterministic, learnable data with XTREME's schemas, labels and sizes.

Every (task, language, split) has its own generator seeded from (seed, task, language, split),
so any file can be produced alone, in any order, with the same result. Signal a model can learn:
- panx: IOB2 tags from a tag Markov chain; entity words come from per-type gazetteers.
- udpos: UPOS tags from a tag-bigram chain shared by all languages; each tag has its own word
  pool (closed classes small, open classes large), digits, punctuation and symbols are shared.
- pawsx: label 1 = sentence2 is sentence1 with words replaced by synonyms (pool partners);
  label 0 = two words of sentence1 swapped (same bag of words, different order).
- xnli: entailment = a span of sentence1; contradiction = a span with the language's negation
  word inserted; neutral = a span plus new words.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from evaluator.data.vocab import UNSPACED_LANGUAGES, make_words, stable_seed
from evaluator.registry import PANX_TAGS, UPOS_TAGS, get_task

NAMED_SIZES = {"tiny": 30, "small": 300}
SPLITS = ("train", "validation", "test")

# Real test-set sizes (validation uses the same). PAN-X from WikiANN's XTREME splits; UD-POS
# approximate sentence counts of the UD v2.5 test sets XTREME combines (see docs/scoring.md).
_PANX_TEST = {lang: 10_000 for lang in get_task("panx").languages}
_PANX_TEST.update(dict.fromkeys(("jv", "my", "yo"), 100))
_PANX_TEST.update(dict.fromkeys(("sw", "te", "kk", "hi", "af", "mr", "bn", "ms", "tl"), 1_000))
_PANX_TEST.update(dict.fromkeys(("ta", "ur", "ml"), 1_000))
_UDPOS_TEST = {
    "af": 425, "ar": 1680, "bg": 1116, "de": 22458, "el": 456, "en": 5440, "es": 1721,
    "et": 3760, "eu": 1799, "fa": 600, "fi": 4422, "fr": 2826, "he": 491, "hi": 2684,
    "hu": 449, "id": 1557, "it": 3518, "ja": 2372, "kk": 1047, "ko": 4276, "mr": 47,
    "nl": 1471, "pt": 2681, "ru": 11336, "ta": 120, "te": 146, "th": 1000, "tl": 55,
    "tr": 4785, "ur": 535, "vi": 800, "yo": 100, "zh": 2192,
}  # fmt: skip
FULL_TEST_SIZES = {
    "panx": _PANX_TEST,
    "udpos": _UDPOS_TEST,
    "xnli": dict.fromkeys(get_task("xnli").languages, 5_010),
    "pawsx": dict.fromkeys(get_task("pawsx").languages, 2_000),
}
FULL_TRAIN_SIZES = {"panx": 20_000, "udpos": 21_253, "xnli": 392_702, "pawsx": 49_401}

# ---- tag chains -------------------------------------------------------------------------

_POS_NEXT = {  # preferred successors; the rest share a small floor
    "ADJ": "NOUN ADJ CCONJ PUNCT", "ADP": "DET NOUN PROPN PRON NUM", "ADV": "VERB ADJ ADV AUX",
    "AUX": "VERB ADV PART ADJ", "CCONJ": "NOUN DET VERB PRON ADJ", "DET": "NOUN ADJ NUM",
    "INTJ": "PUNCT PRON", "NOUN": "VERB ADP PUNCT CCONJ AUX NOUN", "NUM": "NOUN SYM PUNCT",
    "PART": "VERB ADJ", "PRON": "VERB AUX NOUN", "PROPN": "PROPN VERB PUNCT ADP AUX",
    "PUNCT": "CCONJ DET PRON SCONJ", "SCONJ": "PRON DET NOUN", "SYM": "NUM PUNCT NOUN",
    "VERB": "DET ADP NOUN PUNCT PRON ADV", "X": "X PUNCT NOUN",
}  # fmt: skip
_POS_START = "DET PRON PROPN NOUN ADV ADP SCONJ"


def _chain(tags: tuple[str, ...], successors: dict[str, str], start: str):
    index = {t: i for i, t in enumerate(tags)}
    trans = np.full((len(tags), len(tags)), 0.05 / len(tags))
    for tag, nxt in successors.items():
        names = nxt.split()
        trans[index[tag], [index[n] for n in names]] += 0.95 / len(names)
    first = np.full(len(tags), 0.05 / len(tags))
    first[[index[n] for n in start.split()]] += 0.95 / len(start.split())
    return np.cumsum(first / first.sum()), np.cumsum(trans / trans.sum(1, keepdims=True), axis=1)


def _panx_chain():
    # States follow PANX_TAGS: O, B-PER, I-PER, B-ORG, I-ORG, B-LOC, I-LOC; IOB2 by construction.
    n = len(PANX_TAGS)
    trans = np.zeros((n, n))
    for s in range(n):
        trans[s, [1, 3, 5]] = 0.06 if s == 0 else 0.02
        if s == 0:
            trans[s, 0] = 1 - 0.18
        else:
            inside = s if s % 2 == 0 else s + 1  # I- of the same type
            trans[s, inside] = 0.5 if s % 2 else 0.25
            trans[s, 0] = 1 - trans[s].sum()
    first = np.array([0.8, 0.2 / 3, 0, 0.2 / 3, 0, 0.2 / 3, 0])
    return np.cumsum(first), np.cumsum(trans, axis=1)


_POS_CHAIN = _chain(UPOS_TAGS, {k: v for k, v in _POS_NEXT.items()}, _POS_START)
_PANX_CHAIN = _panx_chain()


def _walk(rng, lengths: np.ndarray, chain) -> np.ndarray:
    """Sample tag-state rows (one per sentence, padded to the longest) from a Markov chain."""
    first, trans = chain
    n, width = len(lengths), int(lengths.max(initial=1))
    states = np.empty((n, width), dtype=np.int64)
    states[:, 0] = np.searchsorted(first, rng.random(n), side="right").clip(max=len(first) - 1)
    for t in range(1, width):
        rows = trans[states[:, t - 1]]
        states[:, t] = (rows < rng.random(n)[:, None]).sum(axis=1).clip(max=len(first) - 1)
    return states


# ---- word pools -------------------------------------------------------------------------

_PUNCT = np.array([".", ",", ";", ":", "!", "?", "(", ")", '"', "-"], dtype=object)
_SYM = np.array(["%", "$", "+", "=", "#", "&", "€", "@", "§", "°"], dtype=object)
_NUM = np.array([str(n) for n in (*range(0, 100), *range(100, 3000, 37))], dtype=object)
_POS_POOL_SIZES = {
    "ADJ": 150, "ADP": 12, "ADV": 60, "AUX": 10, "CCONJ": 5, "DET": 10, "INTJ": 8, "NOUN": 400,
    "PART": 6, "PRON": 15, "PROPN": 150, "SCONJ": 8, "VERB": 300, "X": 30,
}  # fmt: skip


@lru_cache(maxsize=128)
def _pos_pools(language: str, seed: int):
    pools = []
    for tag in UPOS_TAGS:
        if tag == "PUNCT":
            pools.append(_PUNCT)
        elif tag == "SYM":
            pools.append(_SYM)
        elif tag == "NUM":
            pools.append(_NUM)
        else:
            size = _POS_POOL_SIZES[tag]
            pools.append(make_words(language, f"pos-{tag}", size, seed, capitalised=tag == "PROPN"))
    return _concat(pools)


@lru_cache(maxsize=128)
def _panx_pools(language: str, seed: int):
    pools = [make_words(language, "ner-O", 500, seed)]
    for kind in ("PER", "ORG", "LOC"):
        pools.append(make_words(language, f"ner-B-{kind}", 150, seed, capitalised=True))
        pools.append(make_words(language, f"ner-I-{kind}", 80, seed, capitalised=True))
    return _concat(pools)


def _concat(pools):
    sizes = np.array([len(p) for p in pools], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    return np.concatenate(pools), offsets, sizes


def _words_for(rng, states: np.ndarray, pools) -> np.ndarray:
    words, offsets, sizes = pools
    picks = offsets[states] + (rng.random(states.shape) * sizes[states]).astype(np.int64)
    return words[picks]


# ---- generators -------------------------------------------------------------------------


def _tagging(task: str, language: str, n: int, rng, seed: int) -> list[dict]:
    if task == "panx":
        lengths = rng.integers(3, 21, n)
        states = _walk(rng, lengths, _PANX_CHAIN)
        words = _words_for(rng, states, _panx_pools(language, seed))
        tag_names = np.array(PANX_TAGS, dtype=object)
    else:
        lengths = rng.integers(4, 31, n)
        states = _walk(rng, lengths, _POS_CHAIN)
        states[np.arange(n), lengths - 1] = UPOS_TAGS.index("PUNCT")  # sentences end in PUNCT
        words = _words_for(rng, states, _pos_pools(language, seed))
        tag_names = np.array(UPOS_TAGS, dtype=object)
    tags = tag_names[states].tolist()
    words = words.tolist()
    lengths = lengths.tolist()
    return [
        {"id": f"{task}-{language}-{i:06d}", "tokens": words[i][:k], "tags": tags[i][:k]}
        for i, k in enumerate(lengths)
    ]


def _sentences(language: str, n: int, rng, seed: int) -> list[list[str]]:
    lengths = rng.integers(6, 21, n)
    states = _walk(rng, lengths, _POS_CHAIN)
    words = _words_for(rng, states, _pos_pools(language, seed)).tolist()
    return [row[:k] for row, k in zip(words, lengths.tolist(), strict=True)]


def _partner_table(language: str, seed: int) -> dict[str, str]:
    """Synonym partners: each open-class word's synonym is a variant of it (a marked form).

    The marked forms never occur in generated sentences, so a paraphrase's second sentence
    carries forms the first lacks while a word-swap keeps the same words in another order: a
    small model can learn the difference from the pair, as PAWS-X asks.
    """
    words, offsets, sizes = _pos_pools(language, seed)
    marker = str(make_words(language, "synonym-marker", 1, seed)[0])[:2]
    table = {}
    for tag in ("NOUN", "VERB", "ADJ", "ADV"):
        i = UPOS_TAGS.index(tag)
        for word in words[offsets[i] : offsets[i] + sizes[i]]:
            table[word] = f"{word}{marker}"
    return table


def _pairs(task: str, language: str, n: int, rng, seed: int) -> list[dict]:
    join = "".join if language in UNSPACED_LANGUAGES else " ".join
    partners = _partner_table(language, seed)
    words, offsets, sizes = _pos_pools(language, seed)
    noun = UPOS_TAGS.index("NOUN")
    nouns = words[offsets[noun] : offsets[noun] + sizes[noun]]
    negation = words[offsets[UPOS_TAGS.index("PART")]]
    labels = get_task(task).labels
    label_ids = rng.integers(0, len(labels), n).tolist()
    examples = []
    for i, (s1, label_id) in enumerate(
        zip(_sentences(language, n, rng, seed), label_ids, strict=True)
    ):
        label = labels[label_id]
        s2 = list(s1)
        if task == "pawsx":
            if label == "1":
                swappable = [j for j, w in enumerate(s2) if w in partners] or [0]
                for j in rng.choice(swappable, size=min(2, len(swappable)), replace=False):
                    s2[j] = partners.get(s2[j], s2[j])
            else:
                a, b = sorted(rng.choice(len(s2), size=2, replace=False).tolist())
                if s2[a] == s2[b]:  # swapping equal words would change nothing
                    others = [j for j, w in enumerate(s2) if w != s2[a]]
                    if others:
                        b = others[int(rng.integers(len(others)))]
                    else:
                        s2[b] = nouns[int(rng.integers(len(nouns)))]
                s2[a], s2[b] = s2[b], s2[a]
        else:
            start = int(rng.integers(0, len(s1) - 3))
            s2 = s1[start : start + int(rng.integers(3, len(s1) - start + 1))]
            if label == "contradiction":
                s2 = [s2[0], negation, *s2[1:]]
            elif label == "neutral":
                s2 = s2 + [
                    nouns[int(j)] for j in rng.integers(0, len(nouns), int(rng.integers(2, 5)))
                ]
        examples.append(
            {
                "id": f"{task}-{language}-{i:06d}",
                "sentence1": join(s1),
                "sentence2": join(s2),
                "label": label,
            }
        )
    return examples


def size_for(task: str, language: str, split: str, size) -> int:
    """Number of examples for one file: a named size, an int, or "full" (real XTREME sizes)."""
    if isinstance(size, dict):
        size = size.get(task, size.get("default", "tiny"))
    if isinstance(size, bool) or not isinstance(size, (int, str)):
        raise ValueError(f"synthetic size must be tiny, small, full or a number, got {size!r}")
    if isinstance(size, int):
        if size < 1:
            raise ValueError(f"synthetic size must be at least 1, got {size}")
        return size
    if size == "full":
        return FULL_TRAIN_SIZES[task] if split == "train" else FULL_TEST_SIZES[task][language]
    if size not in NAMED_SIZES:
        raise ValueError(f"synthetic size must be tiny, small, full or a number, got {size!r}")
    return NAMED_SIZES[size]


class SyntheticSource:
    """DataSource producing mini-XTREME examples on the fly (nothing is cached on disk)."""

    def __init__(self, seed: int = 0, size="tiny"):
        self.seed = int(seed)
        self.size = size
        size_for("panx", "en", "test", size)  # validate early

    def examples(self, task: str, language: str, split: str) -> list[dict]:
        spec = get_task(task)
        if language not in spec.languages:
            raise ValueError(
                f"{task} has no language {language!r}; valid: {', '.join(spec.languages)}"
            )
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}; use one of {', '.join(SPLITS)}")
        n = size_for(task, language, split, self.size)
        rng = np.random.default_rng(stable_seed(self.seed, task, language, split))
        if spec.is_tagging:
            return _tagging(task, language, n, rng, self.seed)
        return _pairs(task, language, n, rng, self.seed)
