"""Canary examples: fresh, label-preserving variants of a hidden split's own examples.

A model answers a canary as it answers the example it was made from (its *parent*); a table that
looks public test examples up by their text cannot, because no public example has the canary's
text. Each change keeps the gold label by construction:
- panx: every entity span is replaced by another entity of the same type from the training data
  (tags rewritten B-X, I-X, ... for the new span's length).
- xnli, pawsx: one name (a capitalised word found in both sentences, at least once not first in
  its sentence) is replaced, consistently in both sentences, by another name from the training
  data. Examples without such a name give no canary (nor do scripts without capitals).
- udpos: one token of an open class (NOUN, VERB, ADJ, ADV, PROPN, NUM) is replaced by a
  training-data word that only ever carries that same tag there.

Pure and deterministic: the same examples, training data and seed give the same canaries.
`mix` shuffles them into the originals; the positions are kept with the gold labels only.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from evaluator.registry import get_task

FORMAT_VERSION = 1
CANARY_FILE = "canaries.json"  # in the gold folder only: never mounted into a container
POS_REPLACEABLE = ("NOUN", "VERB", "ADJ", "ADV", "PROPN", "NUM")
TRAIN_LIMIT = 50_000  # training examples read for the pools (XNLI's 392,702 are not needed)
_WORD = re.compile(r"[^\W\d_][\w'-]*", re.UNICODE)


@dataclass(frozen=True)
class CanaryPlan:
    """How many canaries a split gets and the seed they are drawn from (per competition)."""

    percent: int
    minimum: int
    seed: int

    def count(self, originals: int) -> int:
        """Canaries for a file of `originals` examples: the share, at least `minimum`, never more
        than the originals (each parent gives one canary at most)."""
        if self.percent <= 0 or originals == 0:
            return 0
        return min(originals, max(self.minimum, round(originals * self.percent / 100)))

    def as_json(self) -> dict:
        return {"percent": self.percent, "minimum": self.minimum, "seed": self.seed}


@dataclass(frozen=True)
class Canary:
    parent: int  # index of the example it was made from, in the original order
    example: dict


def _rng(seed: int, task: str, language: str) -> random.Random:
    return random.Random(f"podium-canary:{seed}:{task}:{language}")


# --------------------------------------------------------------------------- pools


def entity_spans(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """(start, end, type) of each IOB2 entity; a stray I-X starts one, as seqeval reads it."""
    spans, start, kind = [], None, None
    for i, tag in enumerate([*tags, "O"]):
        inside = tag.startswith("I-") and kind == tag[2:]
        if start is not None and not inside:
            spans.append((start, i, kind))
            start, kind = None, None
        if tag.startswith("B-") or (tag.startswith("I-") and start is None):
            start, kind = i, tag[2:]
    return spans


def _entity_pool(train: Sequence[Mapping]) -> dict[str, list[tuple[str, ...]]]:
    pool: dict[str, set] = defaultdict(set)
    for example in train[:TRAIN_LIMIT]:
        for start, end, kind in entity_spans(example["tags"]):
            pool[kind].add(tuple(example["tokens"][start:end]))
    return {kind: sorted(spans) for kind, spans in pool.items()}


def _tag_pool(train: Sequence[Mapping]) -> dict[str, list[str]]:
    """Per tag, the training words that never carry another tag there (unambiguous)."""
    tags_of: dict[str, set] = defaultdict(set)
    for example in train[:TRAIN_LIMIT]:
        for word, tag in zip(example["tokens"], example["tags"], strict=True):
            tags_of[word].add(tag)
    pool: dict[str, list[str]] = defaultdict(list)
    for word in sorted(tags_of):
        if len(tags_of[word]) == 1:
            pool[next(iter(tags_of[word]))].append(word)
    return dict(pool)


def _names(sentence: str) -> tuple[set[str], set[str]]:
    """Capitalised words of a sentence: all of them, and those not first in it."""
    words = _WORD.findall(sentence)
    capital = [w for w in words if len(w) > 1 and w[0].isupper() and not w.isupper()]
    later = {w for i, w in enumerate(words) if i > 0 and w in capital}
    return set(capital), later


def _name_pool(train: Sequence[Mapping]) -> list[str]:
    names: set[str] = set()
    for example in train[:TRAIN_LIMIT]:
        for field in ("sentence1", "sentence2"):
            names |= _names(example[field])[1]
    return sorted(names)


# --------------------------------------------------------------------------- makers


def _panx(example: Mapping, pool, rng: random.Random) -> dict | None:
    spans = entity_spans(example["tags"])
    if not spans or any(len(pool.get(kind, ())) < 2 for _, _, kind in spans):
        return None
    tokens, tags, last = [], [], 0
    for start, end, kind in spans:
        tokens += example["tokens"][last:start]
        tags += example["tags"][last:start]
        old = tuple(example["tokens"][start:end])
        new = old
        while new == old:
            new = rng.choice(pool[kind])
        tokens += list(new)
        tags += [f"B-{kind}"] + [f"I-{kind}"] * (len(new) - 1)
        last = end
    tokens += example["tokens"][last:]
    tags += example["tags"][last:]
    return {**example, "tokens": tokens, "tags": tags}


def _udpos(example: Mapping, pool, rng: random.Random) -> dict | None:
    places = [
        i
        for i, (word, tag) in enumerate(zip(example["tokens"], example["tags"], strict=True))
        if tag in POS_REPLACEABLE and len(set(pool.get(tag, ())) - {word}) > 0
    ]
    if not places:
        return None
    i = rng.choice(places)
    word, tag = example["tokens"][i], example["tags"][i]
    choices = [w for w in pool[tag] if w != word]
    tokens = list(example["tokens"])
    tokens[i] = rng.choice(choices)
    return {**example, "tokens": tokens}


def _pair(example: Mapping, pool: list[str], rng: random.Random) -> dict | None:
    first, first_later = _names(example["sentence1"])
    second, second_later = _names(example["sentence2"])
    shared = sorted((first & second) & (first_later | second_later))
    if not shared:
        return None
    name = rng.choice(shared)
    used = first | second
    choices = [n for n in pool if n not in used]
    if not choices:
        return None
    new = rng.choice(choices)
    pattern = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)")
    return {
        **example,
        "sentence1": pattern.sub(new, example["sentence1"]),
        "sentence2": pattern.sub(new, example["sentence2"]),
    }


_MAKERS = {
    "panx": (_entity_pool, _panx),
    "udpos": (_tag_pool, _udpos),
    "xnli": (_name_pool, _pair),
    "pawsx": (_name_pool, _pair),
}


def make_canaries(
    task: str,
    language: str,
    examples: Sequence[Mapping],
    train: Sequence[Mapping],
    count: int,
    seed: int,
) -> list[Canary]:
    """Up to `count` canaries of one (task, language) file, each from a different parent; fewer
    when fewer examples can be changed (a canary equal to an original is never made)."""
    if count <= 0:
        return []
    make_pool, make = _MAKERS[task]
    pool = make_pool(train)
    rng = _rng(seed, task, language)
    fields = get_task(task).input_fields
    seen = {_text(fields, ex) for ex in examples}
    order = list(range(len(examples)))
    rng.shuffle(order)
    made: list[Canary] = []
    for parent in order:
        if len(made) == count:
            break
        canary = make(examples[parent], pool, rng)
        if canary is None or _text(fields, canary) in seen:
            continue
        seen.add(_text(fields, canary))
        made.append(Canary(parent, canary))
    return made


def _text(fields, example: Mapping) -> str:
    return repr([example[name] for name in fields])


def mix(
    examples: Sequence[dict], canaries: Sequence[Canary], seed: int, task: str, language: str
) -> tuple[list[dict], list[int], list[int]]:
    """The originals in their order with the canaries shuffled in at random places; returns the
    mixed list, each canary's position in it and its parent's position in it."""
    rng = _rng(seed, task, f"{language}:places")
    total = len(examples) + len(canaries)
    places = sorted(rng.sample(range(total), len(canaries)))
    drawn = list(canaries)
    rng.shuffle(drawn)
    at = dict(zip(places, drawn, strict=True))
    mixed, where_original, canary_of = [], {}, []
    originals = iter(range(len(examples)))
    for position in range(total):
        if position in at:
            mixed.append(at[position].example)
            canary_of.append((position, at[position].parent))
        else:
            index = next(originals)
            where_original[index] = position
            mixed.append(examples[index])
    positions = [position for position, _ in canary_of]
    parents = [where_original[parent] for _, parent in canary_of]
    return mixed, positions, parents
