"""What a team may read of its container's output (evaluator/redaction.py): no line holding text
of the hidden split's input, whatever way the container printed it."""

import json

import pytest

from evaluator.contract import write_split
from evaluator.data import open_source
from evaluator.redaction import WORD, bounded, redact, without_output
from evaluator.rules import HIDDEN_TEXT_MIN_CHARS
from evaluator.runner.outcome import OUTPUT_QUOTE
from tests.leaks import hidden_text_in

TASKS = {"xnli": ["en", "de"], "panx": ["de", "zh"], "udpos": ["en"]}
HONEST = "loaded 3 files; wrote predictions in 0.4 s"


@pytest.fixture(scope="module")
def split(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("split")
    source = open_source({"source": "synthetic", "seed": 6, "size": 30})
    write_split(source, TASKS, "validation", tmp / "input", tmp / "gold")
    return tmp / "input"


def records(split):
    for path in sorted(split.glob("*/test-*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            yield json.loads(line)


leaks = hidden_text_in


@pytest.mark.parametrize(
    "printed",
    [
        lambda r: json.dumps(r, ensure_ascii=False),  # cat /input/*.jsonl
        lambda r: json.dumps(r),  # json's \\u escapes
        lambda r: repr(r),  # print(record)
        lambda r: " ".join(r.get("tokens", [])) or r["sentence1"] + " / " + r["sentence2"],
        lambda r: "".join(r.get("tokens", [])) or r["sentence1"],
    ],
    ids=["raw", "escaped", "repr", "spaced", "joined"],
)
def test_a_container_that_prints_its_input_shows_none_of_it(split, printed):
    log = "\n".join([HONEST, *(printed(r) for r in records(split)), "done: " + HONEST])
    assert leaks(log, split)  # the check below has something to find
    (team,) = redact([log], split)
    assert leaks(team, split) == []
    lines = team.splitlines()
    assert lines[0] == HONEST and lines[-1] == "done: " + HONEST
    assert "not shown: they hold text of the hidden split" in lines[1]
    # Only what is shorter than the minimum may stay (a two-character sentence, say).
    assert all(len(line) < HIDDEN_TEXT_MIN_CHARS for line in lines[1:-1] if "[podium" not in line)


def test_a_single_long_token_is_enough_and_short_words_are_not(split):
    token = next(
        t for r in records(split) for t in r.get("tokens", []) if len(t) >= HIDDEN_TEXT_MIN_CHARS
    )
    log = f"looking at {token}!\nstep 1 of 2\n"
    (team,) = redact([log], split)
    assert token not in team and "step 1 of 2" in team
    # A hidden word shorter than the minimum is too common to tell a leak: it stays, unless the
    # minimum is lowered to its length.
    short = next(
        t
        for r in records(split)
        for t in r.get("tokens", [])
        if 3 <= len(t) < HIDDEN_TEXT_MIN_CHARS and WORD.fullmatch(t)
    )
    assert redact([f"saw {short}"], split) == [f"saw {short}"]
    assert short not in redact([f"saw {short}"], split, min_chars=len(short))[0]


def test_a_failure_reason_keeps_its_words_and_loses_the_quoted_input(split):
    sentence = next(r["sentence1"] for r in records(split) if "sentence1" in r)
    reason = f"the container exited with code 1{OUTPUT_QUOTE}reading | {sentence} | Error: boom"
    (team,) = redact([reason], split, quotes=[OUTPUT_QUOTE])
    assert team.startswith(f"the container exited with code 1{OUTPUT_QUOTE}reading | [podium: 1")
    assert team.endswith(" | Error: boom") and sentence not in team
    assert without_output(reason, OUTPUT_QUOTE, "later") == (
        "the container exited with code 1 (later)"
    )


def test_the_team_copy_is_bounded_from_a_line_start():
    log = "\n".join(f"line {i:05d}" for i in range(5000))
    kept = bounded(log, limit=1000)
    assert len(kept) < 1100 and kept.endswith("line 04999")
    assert kept.splitlines()[1].startswith("line ") and "earlier characters not shown" in kept
    assert bounded("short") == "short"
