"""The demo says where each checkpoint's training stands, from the log the recipe writes, so a
newcomer never waits in silence (issue 23.5)."""

import json
import re
import threading

from competitions.services import demo
from competitions.services.demo import CHECKPOINTS, progress_line, recipe, training_steps


def write_log(path, *events, partial=""):
    path.write_text("".join(json.dumps(e) + "\n" for e in events) + partial)


def test_steps_come_from_the_recipes_log_and_a_half_written_line_is_skipped(tmp_path):
    log = tmp_path / "train_log.jsonl"
    assert training_steps(log) == (0, None)  # the recipe has not started writing
    write_log(log, {"event": "start", "total_steps": 480})
    assert training_steps(log) == (0, 480)
    write_log(
        log,
        {"event": "start", "total_steps": 480},
        {"event": "loss", "step": 10, "loss": 1.2},
        {"event": "dev", "step": 120, "scores": {}},
        partial='{"event": "loss", "st',
    )
    assert training_steps(log) == (120, 480)


def test_the_line_says_the_step_the_share_and_the_time_left_once_measured():
    assert progress_line(0, None, None) == "preparing the data and the model"
    assert progress_line(120, 480, None) == "step 120 of 480 (25%)"
    assert progress_line(120, 480, 0.1) == "step 120 of 480 (25%), about 36 s left"
    assert progress_line(120, 480, 1.0) == "step 120 of 480 (25%), about 6 min left"
    assert progress_line(480, 480, 1.0) == "step 480 of 480 (100%), scoring the dev split"


def test_the_quick_recipe_replaces_the_full_ones_values_and_full_is_one_flag_away():
    quick, full = recipe("multilingual", full=False), recipe("multilingual", full=True)
    assert full == CHECKPOINTS["multilingual"]
    options = dict(zip(quick[::2], quick[1::2], strict=True))
    assert options["--epochs"] == "2" and options["--max-train-examples"] == "600"
    assert quick.count("--epochs") == 1  # said once in the demo's line, as the recipe runs it
    assert options["--train-languages"] == dict(zip(full[::2], full[1::2]))["--train-languages"]


def test_a_long_step_says_it_is_still_going_until_it_ends(monkeypatch):
    monkeypatch.setattr(demo, "PROGRESS_EVERY_S", 0.01)
    said, twice = [], threading.Event()

    def say(line):
        said.append(line)
        if len(said) == 2:
            twice.set()

    with demo.ticking(say, "  Neurotic Networks: evaluating"):
        assert twice.wait(timeout=30)
    assert all(re.fullmatch(r"  Neurotic Networks: evaluating, \d+ s so far …", s) for s in said)
    # the ticker ended with the block: it says nothing more
    assert not any(t.name == "demo-ticker" and t.is_alive() for t in threading.enumerate())
