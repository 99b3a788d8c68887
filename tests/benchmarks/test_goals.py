"""The benchmarks' shared report: a failed check fails, a missed goal only under --strict."""

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

from goals import Report, add_arguments  # noqa: E402


def report(tmp_path, *flags):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--json", str(tmp_path / "bench.json"), *flags])
    return Report.start("demo", args)


def test_a_failed_check_fails_the_benchmark_and_is_written_down(tmp_path, capsys):
    bench = report(tmp_path)
    bench.check("every request answered", False, "12 errors of 400")
    assert bench.finish() == 1
    data = json.loads((tmp_path / "bench.json").read_text())
    assert data["ok"] is False
    assert data["checks"] == [
        {"name": "every request answered", "ok": False, "detail": "12 errors of 400"}
    ]
    assert "FAIL: check failed: every request answered" in capsys.readouterr().out


def test_a_missed_goal_is_printed_with_its_ratio_and_fails_only_under_strict(tmp_path, capsys):
    for flags, status in (((), 0), (("--strict",), 1)):
        bench = report(tmp_path, *flags)
        bench.check("completed", True)
        bench.goal("p99", 300.0, "ms", below=150)
        bench.goal("speed-up", 16.0, "x", above=5)
        assert bench.finish() == status
    goals = json.loads((tmp_path / "bench.json").read_text())["goals"]
    assert [(g["name"], g["ratio"], g["met"]) for g in goals] == [
        ("p99", 2.0, False),
        ("speed-up", 3.2, True),
    ]
    out = capsys.readouterr().out
    assert "| p99 | 300 ms | < 150 ms | 2 | MISSED | - |" in out
    # The second run shows the first run's figure beside its own.
    assert "| p99 | 300 ms | < 150 ms | 2 | MISSED | 300 ms |" in out
    assert "FAIL (--strict): goals met: 1 of 2 (missed: p99)" in out


def test_the_default_json_path_tells_a_short_run_from_a_full_one():
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    short = Report.start("load", parser.parse_args(["--short"]))
    full = Report.start("load", parser.parse_args([]))
    assert short.json_path.name == "load-short.json" and full.json_path.name == "load.json"
    assert short.json_path.parent == full.json_path.parent == ROOT / "var" / "bench"
