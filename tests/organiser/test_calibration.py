"""Calibration before the competition: `calibrate` runs the trusted baseline on the public sample
through the process runner; the organiser page calibrates from it, says so, and warns when the
baseline's own timing spread is comparable to the efficiency gap."""

import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from competitions.models import EfficiencyRule
from competitions.reads.organiser import sample_figures
from evaluator.calibration import spread_warning
from tests.organiser.test_schedule_and_opening import world  # noqa: F401 (fixture)
from tests.web.test_pages import logged_in

pytestmark = pytest.mark.django_db
MAJORITY = f"{sys.executable} -m baselines.majority --input {{input}} --output {{output}}"


def calibrate(*extra) -> str:
    out = StringIO()
    call_command("calibrate", "xf", "--command", MAJORITY, "--per-language", "8", *extra,
                 stdout=out)  # fmt: skip
    return out.getvalue()


def test_page_calibrates_from_the_public_sample_before_any_reference_run(world):  # noqa: F811
    page = logged_in(world.olga).get("/organiser/xf/").content.decode()
    assert 'data-testid="calibration"' not in page and "manage.py calibrate xf" in page
    out = calibrate("--repeats", "3")
    assert "runtime median" in out and "over 3 runs" in out
    figures = sample_figures("xf")
    assert len(figures["measurements"]) == 3 and all(m > 0 for m in figures["measurements"])
    assert 0 <= figures["score"] <= 100
    page = logged_in(world.olga).get("/organiser/xf/").content.decode()
    box = page[page.index('data-testid="calibration"') :]
    assert "measured on the public sample" in box and "manage.py calibrate" in box
    assert "judged against their fastest of 3 runs" in box
    fastest = min(figures["measurements"])
    rule = EfficiencyRule.objects.get()
    assert f"{fastest / (1 + rule.min_efficiency_gap):.2f}" in box
    assert f"{figures['score'] - rule.max_score_gap:.2f}" in box


def test_a_spread_comparable_to_the_gap_is_warned_about(world):  # noqa: F811
    # Sub-second runs of a Python process vary by far more than 0.2 %: that is the point.
    EfficiencyRule.objects.update(min_efficiency_gap=0.002)
    calibrate("--repeats", "4")
    page = logged_in(world.olga).get("/organiser/xf/").content.decode()
    assert 'data-testid="calibration-warning"' in page
    assert "comparable to the 0.2% efficiency gap" in page
    assert "varies by" in page


def test_warning_rule_is_half_the_gap():
    assert spread_warning([10.0, 10.0, 10.0], 0.05) is None
    assert spread_warning([9.9, 10.0, 10.1], 0.05) is None  # 1% < 2.5%
    assert "varies by 13.0%" in spread_warning([8.7, 10.0, 11.3], 0.05)
    assert spread_warning([10.0], 0.05) is None  # one timing has no spread


def test_a_failing_baseline_is_reported(world):  # noqa: F811
    with pytest.raises(CommandError, match="calibration failed: repeat 1"):
        call_command("calibrate", "xf", "--command", f"{sys.executable} -c 'raise SystemExit(3)'",
                     "--repeats", "2", stdout=StringIO())  # fmt: skip
