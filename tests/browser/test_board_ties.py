"""Tie groups as a reader sees them, in a real browser: the shared rank band, the word "tied" and
the bracket (not colour alone), each overall score's interval, at 1280 and 390 px (screenshots)."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.geometry import box as box_of
from tests.browser.test_explain import shoot
from tests.factories import use_memory_broker
from tests.web.scored_runs import three_teams

pytestmark = [pytest.mark.browser]


@pytest.fixture
def tied_site(
    transactional_db, live_server, settings, tmp_path, artifact_store, competition, team, other_team
):
    use_memory_broker()
    phase = competition.phases.get(key="eval")
    runs, _ = three_teams(settings, tmp_path, competition, phase, team, other_team)
    return runs, live_server.url + reverse("leaderboard", args=[competition.slug, "eval"])


def test_a_tie_group_reads_as_one_band_with_its_intervals(browser, tied_site, screenshots):
    _runs, url = tied_site
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(url)
    first, second, third = (page.locator(f"tr[data-team='{n}']")
                            for n in ("Neurotic Networks", "Token Ring", "Gamma Ray"))  # fmt: skip
    for row in (first, second):
        expect(row.locator("td.rank")).to_have_text("1–2tied")
        expect(row.locator("[data-testid=interval]")).to_be_visible()
    expect(third.locator("td.rank")).to_have_text("3")
    # The bracket: a drawn line beside the band on the tied rows only.
    bracket = "r => getComputedStyle(r.querySelector('td.rank'), '::before').borderLeftStyle"
    assert first.evaluate(bracket) == "solid" and second.evaluate(bracket) == "solid"
    assert third.evaluate(bracket) == "none"
    expect(page.locator("[data-testid=tie-note]")).to_contain_text("not supported at 95%")
    shoot(page, screenshots, "board-ties")
    # At 390 px the band, the word and the interval still read in the first screen's width.
    page.set_viewport_size({"width": 390, "height": 900})
    for row in (first, second):
        box = box_of(row.locator("td.rank"))
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        expect(row.locator("td.rank")).to_have_text("1–2tied")
