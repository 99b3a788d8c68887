"""The countdown to an open phase's close: its words at each boundary (a pure function), and the
competition and team pages showing it for open phases only, with the close time beside it."""

from datetime import UTC, datetime, timedelta

import pytest

from competitions.countdown import countdown_words
from competitions.durations import duration_words
from competitions.models import Phase
from tests.factories import logged_in

NOW = datetime(2026, 12, 17, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("left", "words"),
    [
        (timedelta(days=3, hours=4, minutes=59), "closes in 3 days 4 h"),
        (timedelta(days=1), "closes in 1 day"),
        (timedelta(days=2, minutes=30), "closes in 2 days"),
        (timedelta(hours=23, minutes=59, seconds=59), "closes in 23 h 59 min"),
        (timedelta(hours=1), "closes in 1 h"),
        (timedelta(minutes=59, seconds=59), "closes in 59 min"),
        (timedelta(minutes=1), "closes in 1 min"),
        (timedelta(seconds=59), "closes in under a minute"),
        (timedelta(seconds=1), "closes in under a minute"),
        (timedelta(0), "closed"),
        (timedelta(seconds=-5), "closed"),
    ],
)
def test_the_words_round_down_to_the_two_largest_units(left, words):
    assert countdown_words(NOW + left, NOW) == words


def test_a_phase_with_no_close_time_says_so():
    assert countdown_words(None, NOW) == "no close time set"


def _closing(world, **delta):
    closes = datetime.now(UTC) + timedelta(**delta)
    Phase.objects.filter(pk=world.eval.pk).update(closes=closes)
    Phase.objects.filter(pk=world.final.pk).update(is_open=False)
    return closes


@pytest.mark.django_db
def test_the_competition_page_counts_down_each_open_phase(world, client):
    closes = _closing(world, days=3, hours=4, minutes=30)
    page = client.get("/c/xf/").content.decode()
    start = page.index('data-testid="countdowns"')
    block = page[start : page.index("</ul>", start)]
    assert "Evaluation" in block and "Final" not in block  # the closed final has none
    assert "closes in 3 days 4 h" in block
    assert closes.strftime("(%Y-%m-%d %H:%M UTC)") in block
    assert f'data-closes="{closes.isoformat()}"' in block


@pytest.mark.django_db
def test_the_team_page_counts_down_and_a_closed_phase_shows_none(world):
    _closing(world, minutes=42, seconds=30)
    client = logged_in(world.ada)
    page = client.get("/team/").content.decode()
    evaluation = page[page.index('data-phase="eval"') : page.index('data-phase="final"')]
    assert "closes in 42 min" in evaluation
    assert 'data-testid="countdown"' not in page[page.index('data-phase="final"') :]
    Phase.objects.filter(pk=world.eval.pk).update(closes=datetime.now(UTC) - timedelta(hours=1))
    assert 'data-testid="countdown"' not in client.get("/team/").content.decode()


@pytest.mark.parametrize(
    ("seconds", "smallest", "words"),
    [
        (40, "s", "40 s"),
        (845, "s", "14 min 5 s"),
        (900, "s", "15 min"),
        (3725, "s", "1 h 2 min"),
        (3605, "s", "1 h"),  # the next unit down is zero: nothing below it is shown
        (90000, "s", "1 day 1 h"),
        (2 * 86400 + 59, "s", "2 days"),
        (59, "min", ""),  # under the smallest unit: the caller has its own words
        (0, "s", ""),
    ],
)
def test_every_duration_in_words_follows_the_countdowns_rule(seconds, smallest, words):
    """One rule for the debug-run refusal, the FAQ, the kit's README, the demo's estimate and the
    countdown (competitions/durations.py)."""
    assert duration_words(seconds, smallest=smallest) == words
