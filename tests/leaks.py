"""Hidden input text found in what a team reads: the tests of evaluator/redaction.py's promise."""

import html

from evaluator.redaction import WORD, input_texts
from evaluator.rules import HIDDEN_TEXT_MIN_CHARS


def hidden_text_in(text: str, input_dir) -> list[str]:
    """Every sentence (at least the minimum long) and long word of the split's input in `text`
    (HTML entities read as characters); [] when none is."""
    text = html.unescape(text)
    words = set(WORD.findall(text))
    found = []
    for piece in input_texts(input_dir):
        if len(piece) >= HIDDEN_TEXT_MIN_CHARS and piece in text:
            found.append(piece)
        found += [w for w in WORD.findall(piece) if len(w) >= HIDDEN_TEXT_MIN_CHARS and w in words]
    return found
