"""What a team may read of its container's output: every line holding hidden input text taken out.

A container can print its /input; on a hidden split that would hand the team the split's
examples. Before a log (or a failure reason quoting it) reaches a team, each line is compared
with the split's input by exact matching: a line is taken out when it holds a word of at least
`rules.HIDDEN_TEXT_MIN_CHARS` characters that occurs in the input (a token, or a word of a
sentence), or a whole input sentence at least that long written out word by word (which catches
sentences of short words and languages whose tokens are single characters). Words are runs of
letters and digits, so quotes, brackets and JSON punctuation around them change nothing, and
JSON's \\uXXXX escapes are read as the characters they stand for.

The split is read once per redaction, the log's words looked up in it (a log is small, a split is
large), so memory stays bounded by the log. Exact matching stops a container that prints what it
was given; it cannot stop one that encodes it (reversed, hashed, base64): that is why the final
split's logs wait until the phase has ended and why the kept tail is bounded.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from evaluator.contract import load_manifest
from evaluator.predictions import file_name
from evaluator.rules import HIDDEN_TEXT_MIN_CHARS, TEAM_LOG_CHARS

WORD = re.compile(r"\w+")
_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def hidden_marker(count: int) -> str:
    lines = "1 line" if count == 1 else f"{count:,} lines"
    return f"[podium: {lines} not shown: they hold text of the hidden split]"


def _words(line: str) -> list[str]:
    return WORD.findall(_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), line))


def input_texts(input_dir) -> Iterator[str]:
    """Every piece of text of a split's input: each sentence, and each tagging sentence's tokens
    written with spaces and without (for scripts without spaces between words)."""
    manifest = load_manifest(input_dir)
    for task_id, entry in manifest["tasks"].items():
        fields = entry["input_fields"]
        for lang in entry["languages"]:
            path = os.path.join(input_dir, file_name(task_id, lang, "jsonl"))
            with open(path, encoding="utf-8") as handle:
                for line in handle:
                    if not line.strip():
                        continue
                    record = json.loads(line)
                    for name in fields:
                        value = record.get(name)
                        if isinstance(value, list):
                            yield " ".join(value)
                            yield "".join(value)
                        elif isinstance(value, str):
                            yield value


@dataclass
class _Line:
    words: list[str]
    hidden: bool = False


class _Index:
    """The words of a few texts' lines, to be looked up while the split is read once."""

    def __init__(self, lines: list[_Line], min_chars: int):
        self.lines, self.min_chars = lines, min_chars
        self.long_words: set[str] = set()
        self.starts: dict[str, list[tuple[int, int]]] = {}  # word -> (line, position)
        for number, line in enumerate(lines):
            for position, word in enumerate(line.words):
                if len(word) >= min_chars:
                    self.long_words.add(word)
                self.starts.setdefault(word, []).append((number, position))
        self.hidden_words: set[str] = set()

    def look_up(self, text: str) -> None:
        words = WORD.findall(text)
        for word in words:
            if len(word) >= self.min_chars and word in self.long_words:
                self.hidden_words.add(word)
        if len(text) < self.min_chars or not words:
            return
        for number, position in self.starts.get(words[0], ()):
            line = self.lines[number]
            if line.words[position : position + len(words)] == words:
                line.hidden = True

    def settle(self) -> None:
        for line in self.lines:
            line.hidden = line.hidden or any(w in self.hidden_words for w in line.words)


def _pieces(text: str, quote: str | None) -> tuple[str, list[str], str]:
    """(a prefix never redacted, the pieces that may be, how they are joined)."""
    head, mark, tail = text.partition(quote) if quote else ("", "", "")
    if not mark:
        return "", text.split("\n"), "\n"
    return head + mark, tail.split(" | "), " | "


def redact(
    texts: Sequence[str],
    input_dir,
    *,
    quotes: Sequence[str | None] | None = None,
    min_chars: int = HIDDEN_TEXT_MIN_CHARS,
    texts_of_split=input_texts,
) -> list[str]:
    """Each of `texts` with every line holding hidden input text replaced by a marker (runs of
    such lines by one). A text whose `quotes` entry is a mark (a failure reason's "; last lines:
    ") is redacted only after that mark, piece by " | " piece; otherwise line by line."""
    quotes = list(quotes) if quotes is not None else [None] * len(texts)
    split_up = [_pieces(text, quote) for text, quote in zip(texts, quotes, strict=True)]
    lines = [_Line(_words(piece)) for _, pieces, _ in split_up for piece in pieces]
    if not lines:
        return list(texts)
    index = _Index(lines, min_chars)
    for text in texts_of_split(input_dir):
        index.look_up(text)
    index.settle()
    out, at = [], 0
    for head, pieces, joiner in split_up:
        kept, run = [], 0
        for piece in pieces:
            if lines[at].hidden:
                run += 1
            else:
                if run:
                    kept.append(hidden_marker(run))
                    run = 0
                kept.append(piece)
            at += 1
        if run:
            kept.append(hidden_marker(run))
        out.append(head + joiner.join(kept))
    return out


def bounded(text: str, limit: int = TEAM_LOG_CHARS) -> str:
    """The last `limit` characters of a log, from a line's start, saying what was cut."""
    if len(text) <= limit:
        return text
    tail = text[-limit:]
    tail = tail[tail.find("\n") + 1 :] if "\n" in tail else tail
    return f"[podium: {len(text) - len(tail):,} earlier characters not shown]\n{tail}"


def without_output(reason: str, quote: str, note: str) -> str:
    """A failure reason with the container's quoted output replaced by `note`."""
    head, mark, _ = reason.partition(quote)
    return f"{head} ({note})" if mark else reason
