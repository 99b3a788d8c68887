"""ProcessRunner: the same contract as a local process, for trusted code only."""

import sys

import pytest

from evaluator.runner import TEAM, Limits, ProcessRunner, UntrustedCodeRefused

LIMITS = Limits(time_limit_s=3, memory_mb=256, output_mb=1)
PREDICT = "docker/examples/valid/predict.py"


def python(code):
    return [sys.executable, "-c", code]


def test_untrusted_code_is_refused_by_default(sample_input, tmp_path):
    with pytest.raises(UntrustedCodeRefused, match="only in Docker"):
        ProcessRunner().run(python("pass"), sample_input, tmp_path / "out", LIMITS, trusted=False)


def test_organiser_can_allow_untrusted(sample_input, tmp_path):
    runner = ProcessRunner(allow_untrusted=True)
    outcome = runner.run(python("pass"), sample_input, tmp_path / "out", LIMITS, trusted=False)
    assert outcome.ok


def test_trusted_predictor_follows_the_contract(sample_input, tmp_path):
    outcome = ProcessRunner().run(
        [sys.executable, PREDICT], sample_input, tmp_path / "out", LIMITS, trusted=True, cpuset="0"
    )
    assert outcome.ok, outcome.failure
    assert (tmp_path / "out" / "xnli" / "test-en.tsv").read_text() == "entailment\n" * 3
    assert 0 < outcome.duration_s < 3


def test_placeholders_and_environment(sample_input, tmp_path):
    code = (
        "import os, sys; print(sys.argv[1]); print(os.environ['PODIUM_OUTPUT']);"
        "print(repr(os.environ['CUDA_VISIBLE_DEVICES']))"
    )
    command = [*python(code), "{input}"]
    outcome = ProcessRunner().run(command, sample_input, tmp_path / "out", LIMITS, trusted=True)
    lines = outcome.stdout.splitlines()
    assert lines == [str(sample_input.resolve()), str((tmp_path / "out").resolve()), "''"]


def test_time_limit_kills_the_whole_process_group(sample_input, tmp_path):
    # The child would outlive a kill of the parent alone and keep the pipe open.
    code = "import subprocess, time; subprocess.Popen(['sleep', '60']); time.sleep(60)"
    limits = Limits(time_limit_s=1, memory_mb=256, output_mb=1)
    outcome = ProcessRunner().run(
        python(code), sample_input, tmp_path / "out", limits, trusted=True
    )
    assert outcome.timed_out and outcome.fault == TEAM
    assert outcome.failure == "time limit of 1 s exceeded: killed at 1 s"
    assert outcome.duration_s < 5


def test_non_zero_exit_reports_last_lines(sample_input, tmp_path):
    code = "import sys; print('x' * 200000); sys.exit('bad things happened')"
    outcome = ProcessRunner().run(
        python(code), sample_input, tmp_path / "out", LIMITS, trusted=True
    )
    assert outcome.fault == TEAM and outcome.exit_code == 1
    assert outcome.failure.endswith("last lines: bad things happened")
    assert len(outcome.stdout) < 70 * 1024 and "earlier bytes not kept" in outcome.stdout


def test_output_rules(sample_input, tmp_path):
    code = "import os; os.symlink('/etc/passwd', os.environ['PODIUM_OUTPUT'] + '/x.tsv')"
    outcome = ProcessRunner().run(python(code), sample_input, tmp_path / "a", LIMITS, trusted=True)
    assert "x.tsv in the output is a link" in outcome.failure
    code = "import os; open(os.environ['PODIUM_OUTPUT'] + '/big', 'wb').write(b'x' * 2**21)"
    outcome = ProcessRunner().run(python(code), sample_input, tmp_path / "b", LIMITS, trusted=True)
    assert outcome.failure.startswith("output limit exceeded")


def test_missing_program_is_a_platform_fault(sample_input, tmp_path):
    outcome = ProcessRunner().run(
        ["/nonexistent/predict"], sample_input, tmp_path / "out", LIMITS, trusted=True
    )
    assert outcome.fault == "platform" and "could not start" in outcome.failure
