"""Per-language pseudo-vocabularies in the language's own script, for the synthetic mini-XTREME."""

from __future__ import annotations

import zlib

import numpy as np

# Letter inventories (Unicode ranges) per script; words are strings of these letters.
SCRIPT_LETTERS: dict[str, str] = {
    "latin": "abcdefghijklmnoprstuvyz",
    "latin_ext": "abcdefghijklmnoprstuvzáéíóúäöüñçşğı",
    "cyrillic": "".join(chr(c) for c in range(0x430, 0x450)),
    "greek": "".join(chr(c) for c in range(0x3B1, 0x3CA) if c != 0x3C2),
    "arabic": "".join(chr(c) for c in (*range(0x627, 0x63B), *range(0x641, 0x64B))),
    "hebrew": "".join(chr(c) for c in range(0x5D0, 0x5EB)),
    "devanagari": "".join(chr(c) for c in range(0x915, 0x93A)),
    "bengali": "".join(chr(c) for c in range(0x995, 0x9BA)),
    "tamil": "".join(chr(c) for c in range(0xB95, 0xBBA)),
    "telugu": "".join(chr(c) for c in range(0xC15, 0xC3A)),
    "malayalam": "".join(chr(c) for c in range(0xD15, 0xD3A)),
    "georgian": "".join(chr(c) for c in range(0x10D0, 0x10F1)),
    "thai": "".join(chr(c) for c in range(0xE01, 0xE2F)),
    "myanmar": "".join(chr(c) for c in range(0x1000, 0x1021)),
    "hangul": "".join(chr(c) for c in range(0xAC00, 0xD7A4, 97)),
    "cjk": "".join(chr(c) for c in range(0x4E00, 0x9FA6, 13)),
    "kana": "".join(chr(c) for c in range(0x3041, 0x3097))
    + "".join(chr(c) for c in range(0x4E00, 0x9FA6, 29)),
}

_LATIN = (
    "en",
    "nl",
    "af",
    "id",
    "ms",
    "jv",
    "tl",
    "sw",
    "yo",
    "vi",
    "eu",
    "it",
    "pt",
    "es",
    "fr",
    "de",
    "et",
    "fi",
)
LANGUAGE_SCRIPT: dict[str, str] = {
    **dict.fromkeys(_LATIN, "latin"),
    **dict.fromkeys(["tr", "hu"], "latin_ext"),
    **dict.fromkeys(["ru", "bg", "kk"], "cyrillic"),
    "el": "greek",
    **dict.fromkeys(["ar", "fa", "ur"], "arabic"),
    "he": "hebrew",
    **dict.fromkeys(["hi", "mr"], "devanagari"),
    "bn": "bengali",
    "ta": "tamil",
    "te": "telugu",
    "ml": "malayalam",
    "ka": "georgian",
    "th": "thai",
    "my": "myanmar",
    "ko": "hangul",
    "zh": "cjk",
    "ja": "kana",
}

# Scripts written without spaces between words.
UNSPACED_LANGUAGES = frozenset({"zh", "ja", "th", "my"})
CASED_SCRIPTS = frozenset({"latin", "latin_ext", "cyrillic", "greek"})
WORD_LENGTHS = {"cjk": (1, 3), "kana": (2, 4), "hangul": (1, 3)}


def stable_seed(*parts: object) -> list[int]:
    """A seed sequence from arbitrary parts, stable across processes (unlike hash())."""
    return [zlib.crc32(str(p).encode("utf-8")) for p in parts]


def script_of(language: str) -> str:
    return LANGUAGE_SCRIPT.get(language, "latin")


def make_words(
    language: str, pool: str, size: int, seed: int, *, capitalised: bool = False
) -> np.ndarray:
    """`size` distinct pseudo-words of `language` for the named pool, deterministic by seed."""
    script = script_of(language)
    letters = SCRIPT_LETTERS[script]
    low, high = WORD_LENGTHS.get(script, (2, 8))
    rng = np.random.default_rng(stable_seed(seed, language, pool))
    words: dict[str, None] = {}
    while len(words) < size:
        length = int(rng.integers(low, high + 1))
        word = "".join(letters[i] for i in rng.integers(0, len(letters), length))
        if capitalised and script in CASED_SCRIPTS:
            word = word[:1].upper() + word[1:]
        words.setdefault(word, None)
    return np.array(list(words), dtype=object)
