"""The trainer says where it stands (steps, throughput, time left) and an interrupted run carries
on from its last dev evaluation to the same result as an uninterrupted one."""

import io
import json

import pytest
import torch
from safetensors.torch import load_file

from baselines.mbert import state, train
from baselines.mbert.encoders import build_tiny_encoder
from baselines.mbert.progress import Progress
from baselines.mbert.recipe import tokenizer_corpus
from evaluator.registry import get_task

# Two tasks, two epochs, two dev evaluations: the resume point is the first one.
ARGS = ["--size", "tiny", "--tasks", "pawsx,udpos", "--epochs", "2", "--evals", "2",
        "--lr", "1e-3", "--dev-languages", "en", "--quiet"]  # fmt: skip


@pytest.fixture(scope="module")
def encoder(tmp_path_factory):
    """One tiny encoder both runs start from: the tokenizers library's WordPiece training
    breaks ties in a different order each time, so two `--model tiny` runs differ anyway."""
    args = train.parse_args(["--out", "unused", "--model", "tiny", "--size", "tiny"])
    specs = {task: get_task(task) for task in ("pawsx", "udpos")}
    where = tmp_path_factory.mktemp("encoder")
    return ["--model", str(build_tiny_encoder(tokenizer_corpus(args, specs), where))]


class Interrupted(Exception):
    """Stands for Ctrl-C right after the first resume point was written."""


def weights(checkpoint):
    heads = torch.load(checkpoint / "heads.pt", weights_only=True)
    return load_file(checkpoint / "model.safetensors"), heads


def events(checkpoint):
    return [json.loads(x) for x in (checkpoint / "train_log.jsonl").read_text().splitlines()]


@pytest.mark.slow
def test_an_interrupted_run_resumed_ends_where_an_uninterrupted_one_does(
    encoder, tmp_path, monkeypatch
):
    args = [*ARGS, *encoder]
    whole = tmp_path / "whole"
    assert train.main([*args, "--out", str(whole)]) == 0
    assert not (whole / "resume").exists()  # a finished run leaves no resume point behind

    broken = tmp_path / "broken"
    save = state.save

    def save_then_stop(*args, **kwargs):
        save(*args, **kwargs)
        raise Interrupted

    monkeypatch.setattr(state, "save", save_then_stop)
    with pytest.raises(Interrupted):
        train.main([*args, "--out", str(broken)])
    monkeypatch.setattr(state, "save", save)
    assert (broken / "resume" / "state.pt").is_file()

    # Other options than the interrupted run's are refused, naming them.
    with pytest.raises(SystemExit, match=r"options differ from the interrupted run's \(lr\)"):
        train.main([*args, "--lr", "0.01", "--out", str(broken), "--resume"])

    assert train.main([*args, "--out", str(broken), "--resume"]) == 0
    log = events(broken)
    resumed = next(e for e in log if e["event"] == "resume")
    first_dev = next(e for e in log if e["event"] == "dev")
    assert resumed["from_step"] == first_dev["step"] > 0
    assert [e["event"] for e in log].count("dev") == 2
    assert log[-1]["best_dev_en"] == events(whole)[-1]["best_dev_en"]
    (encoder, heads), (encoder_whole, heads_whole) = weights(broken), weights(whole)
    assert encoder.keys() == encoder_whole.keys()
    assert all(torch.equal(encoder[k], encoder_whole[k]) for k in encoder)
    assert all(torch.equal(heads[k], heads_whole[k]) for k in heads)
    assert not (broken / "resume").exists()


def test_resume_without_a_resume_point_says_what_to_do(tmp_path):
    with pytest.raises(SystemExit, match=r"no resume point .* \(drop --resume\)"):
        train.main([*ARGS, "--out", str(tmp_path / "fresh"), "--resume"])


def test_progress_lines_give_the_step_throughput_and_time_left(monkeypatch):
    now = [100.0]
    monkeypatch.setattr("baselines.mbert.progress.time.monotonic", lambda: now[0])
    out = io.StringIO()  # not a terminal: plain lines, no bar
    progress = Progress(40, every_s=5, stream=out)
    now[0] = 110.0
    progress.advance(10, 320)  # 10 steps in 10 s
    progress.set_loss(0.5123)
    now[0] = 112.0
    progress.advance(1, 32)  # 2 s after the last line: nothing said
    now[0] = 120.0
    progress.advance(9, 288)  # 20 steps in 20 s: 20 left at 1 s each
    said = out.getvalue().splitlines()
    assert said[0] == "train: step 10/40 (25%) · 32.0 examples/s · about 30 s left"
    assert said[1] == "train: step 20/40 (50%) · 32.0 examples/s · about 20 s left · loss 0.512"
    quiet = io.StringIO()
    Progress(40, every_s=0, quiet=True, stream=quiet).advance(1, 32)
    assert quiet.getvalue() == ""
