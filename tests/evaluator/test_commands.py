"""`manage.py score` and `manage.py rerank` through Django's call_command, on real files."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

ROOT = Path(__file__).resolve().parents[2]
MOCK = ROOT / "tests" / "fixtures" / "xtreme_mock"


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_score_json_gives_official_averages():
    result = json.loads(run("score", str(MOCK / "labels"), str(MOCK / "predictions"), "--json"))
    assert result["tasks"]["udpos"]["score"] == pytest.approx(70.21746048354693, abs=1e-9)
    assert result["tasks"]["panx"]["languages"]["de"]["f1"] == pytest.approx(57.142857142857146)
    assert result["overall"] == pytest.approx(
        (51.42857142857143 + 30.666666666666668 + 57.50793650793652 + 70.21746048354693) / 4
    )


def test_score_text_and_errors(tmp_path):
    text = run("score", str(MOCK / "labels"), str(MOCK / "predictions"))
    assert "udpos (f1): 70.22" in text and "overall: 52.46" in text
    with pytest.raises(CommandError, match=r"PRED_DIR .* is not a folder"):
        run("score", str(MOCK / "labels"), str(tmp_path / "nope"))
    (tmp_path / "pred").mkdir()
    with pytest.raises(CommandError, match=r"prediction file pawsx/test-de\.tsv is missing"):
        run("score", str(MOCK / "labels"), str(tmp_path / "pred"))


def test_rerank_reproduces_docs_example():
    result = json.loads(
        run("rerank", str(ROOT / "docs" / "examples" / "last-competition.json"), "--json")
    )
    assert [r["team"] for r in result["ranking"]][:3] == [
        "Neurotic Networks",
        "Tokenizers Anonymous",
        "Polyglot Pandas",
    ]
    assert set(result["ranking"][0]) == {
        "team",
        "performance_rank",
        "final_rank",
        "moved",
        "reason",
    }
    assert "Neurotic Networks" in run(
        "rerank", str(ROOT / "docs" / "examples" / "last-competition.json")
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not valid JSON"),
        (
            '{"entries": [{"team": "A", "score": 1, "runtime_runs": [2.0]}]}',
            r'entries\[1\] \(A\) has "runtime_runs" but no "runtime_s"',
        ),
        ('{"rule": {"bonus": [1]}, "entries": []}', "unknown rule field"),
        ('{"entries": [{"team": "A", "score": 1, "runtime_s": -3}]}', "positive numbers"),
    ],
)
def test_rerank_errors_are_command_errors(tmp_path, content, message):
    path = tmp_path / "results.json"
    path.write_text(content)
    with pytest.raises(CommandError, match=message):
        run("rerank", str(path))
