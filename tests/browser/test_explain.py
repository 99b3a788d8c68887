"""The ranking explained, in a real browser: the board's Pareto chart (hover and keyboard give the
reason, it survives live refreshes, it follows the theme's colours), the organisers' what-if
panel (the order changes without saving or reloading), the huddle screen advancing by itself
with a PNG download, and a closed stage whose winner appears in the Hall of Fame. Screenshots at
1280 and 390 px."""

import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from competitions.models import EfficiencyRule, Stage, Submission
from tests.browser.test_csp import watch_violations
from tests.browser.test_journey import (  # noqa: F401 (the fixture)
    assert_not_reloaded,
    log_in,
    mark_no_reload,
    site,
)
from tests.factories import finish, submit_ref

pytestmark = [pytest.mark.browser]

WAIT_MS = 15_000
WIDTHS = (1280, 390)


@pytest.fixture
def board_site(site):  # noqa: F811
    world, url = site
    # Alpha: best score but slow. Beta (74, 21 s) climbs over it on the efficiency bonus.
    finish(
        submit_ref(world.alpha, world.eval),
        overall=79.5,
        runtime=97.0,
        measurements=[96.0, 97.0, 98.0],
    )
    return world, url


def until(page, expression: str, timeout_s: float = 15.0):
    """Poll a page expression from here: wait_for_function's polling evaluates strings inside
    the page, which the Content-Security-Policy (no 'unsafe-eval') refuses."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(f"!!({expression})"):
        assert time.monotonic() < deadline, f"still false after {timeout_s} s: {expression}"
        page.wait_for_timeout(100)


def shoot(page, screenshots, name, selector=None):
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(300)  # Chart.js resizes on the next frame
        target = page.locator(selector) if selector else page
        options = {} if selector else {"full_page": True}
        target.screenshot(path=str(screenshots / f"{name}-{width}.png"), **options)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_board_pareto_chart_explains_each_move(browser, board_site, screenshots):
    _, url = board_site
    page = log_in(browser, url, "bob")
    violations = watch_violations(page)
    page.goto(f"{url}/c/xf/leaderboard/eval/")
    until(page, "window.Chart && Chart.getChart('pareto-chart')")
    chart = "Chart.getChart('pareto-chart')"
    assert page.evaluate(f"{chart}.options.scales.x.type") == "logarithmic"
    assert page.evaluate(f"{chart}.data.datasets[1].data.map(d => d.point.team)") == [
        "Beta",
        "Alpha",
    ]
    assert page.evaluate(f"{chart}.$pareto.arrows.map(a => a.team)") == ["Beta"]
    assert page.evaluate(f"{chart}.$pareto.baseline[0].team") == "mBERT baseline"

    # Hover Beta's point: its reason sentence shows (the chart scrolled into view, as a reader
    # scrolls to it).
    page.locator("#pareto-chart").scroll_into_view_if_needed()
    box = page.locator("#pareto-chart").bounding_box()
    x, y = page.evaluate(
        f"(() => {{ const m = {chart}.getDatasetMeta(1).data[0]; return [m.x, m.y]; }})()"
    )
    page.mouse.move(box["x"] + x, box["y"] + y)
    expect(page.locator("#pareto-reason")).to_contain_text("up 1", timeout=WAIT_MS)
    expect(page.locator("#pareto-reason")).to_contain_text("faster than Alpha")
    # Keyboard: focus the chart, step to the next team.
    page.locator("#pareto-chart").focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#pareto-reason")).to_contain_text("Alpha: score")
    expect(page.locator("#pareto-reason")).to_contain_text("passed by Beta")

    # The live refresh (every 3 s) keeps the same chart (hx-preserve), not a blank new canvas.
    page.evaluate(f"{chart}.$kept = true")
    with page.expect_response(lambda r: "/leaderboard/eval/" in r.url, timeout=WAIT_MS):
        pass
    page.wait_for_timeout(500)
    assert page.evaluate(f"{chart}.$kept === true")

    # The table alternative.
    page.locator("#pareto-table summary").click()
    expect(page.locator("tr[data-pareto-team='Beta']")).to_contain_text("2nd on score → 1st final")

    # Colours come from the theme's variables: a dark palette redraws the chart in it.
    page.evaluate(
        "(() => { const s = document.documentElement.style;"
        " s.setProperty('--bg', '#10131f'); s.setProperty('--card', '#171b2b');"
        " s.setProperty('--ink', '#e8eaf6'); s.setProperty('--muted', '#a3a9c2');"
        " s.setProperty('--line', '#2a3048'); s.setProperty('--good-soft', '#133024'); })()"
    )
    page.emulate_media(color_scheme="dark")
    until(page, f"{chart}.options.scales.x.ticks.color === '#a3a9c2'")
    page.locator("[data-testid=pareto]").scroll_into_view_if_needed()
    shoot(page, screenshots, "pareto-dark", "[data-testid=pareto]")
    page.emulate_media(color_scheme="light")
    page.reload()
    until(page, "window.Chart && Chart.getChart('pareto-chart')")
    shoot(page, screenshots, "pareto", "[data-testid=pareto]")
    # At phone width every label the chart draws ends inside the plot (none clipped).
    page.set_viewport_size({"width": 390, "height": 900})
    until(page, f"{chart}.width < 390 && {chart}.$paretoLabels.length > 0")
    labels = page.evaluate(f"{chart}.$paretoLabels")
    assert {"Alpha", "Beta", "mBERT baseline"} <= {label["text"] for label in labels}, labels
    clipped = [label for label in labels if label["x"] + label["width"] > label["right"]]
    assert clipped == [], clipped
    assert violations == [], violations


def test_what_if_panel_changes_the_order_without_saving(browser, board_site, screenshots):
    world, url = board_site
    page = log_in(browser, url, "olga")
    page.goto(f"{url}/organiser/xf/")
    panel = page.locator("[data-testid=what-if]")
    expect(panel.locator("[data-testid=trial-order] li").first).to_contain_text("Beta")
    mark_no_reload(page)
    panel.locator("#wi-score").fill("1")
    panel.locator("[data-testid=what-if-try]").click()
    expect(page.locator("[data-testid=trial-order] li").first).to_contain_text(
        "Alpha", timeout=WAIT_MS
    )
    expect(page.locator("[data-testid=saved-order] li").first).to_contain_text("Beta")
    expect(page.locator("[data-testid=what-if-movers]")).to_contain_text("Beta (1 → 2)")
    expect(page.locator("[data-testid=sensitivity] td.trial")).to_have_text("Alpha")
    assert_not_reloaded(page)
    assert EfficiencyRule.objects.get(competition=world.competition).max_score_gap == 10.0
    page.locator("[data-testid=what-if]").scroll_into_view_if_needed()
    shoot(page, screenshots, "what-if", "[data-testid=what-if]")


def test_huddle_view_advances_and_downloads(browser, board_site, screenshots):
    _, url = board_site
    page = browser.new_context(
        viewport={"width": 1280, "height": 900}, accept_downloads=True
    ).new_page()
    violations = watch_violations(page)
    page.goto(f"{url}/c/xf/huddle/eval/?every=3")
    expect(page.locator("[data-panel=standings]")).to_be_visible()
    expect(page.locator("tr[data-team='Beta'] [data-testid=change]")).to_have_text("new")
    shoot(page, screenshots, "huddle-standings")
    # It moves on by itself to the score-per-attempt line.
    expect(page.locator("#huddle")).to_have_attribute("data-current", "attempts", timeout=WAIT_MS)
    expect(page.locator("#attempts-chart")).to_be_visible()
    page.locator("[data-huddle=pause]").click()
    page.locator("[data-goto='3']").click()
    expect(page.locator("#pareto-chart")).to_be_visible()
    until(page, "Chart.getChart('pareto-chart').width > 0")
    shoot(page, screenshots, "huddle-pareto")
    with page.expect_download() as download:
        page.locator("[data-png=pareto-chart]").click()
    path = download.value.path()
    assert download.value.suggested_filename == "xf-eval-pareto.png"
    assert Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page.locator("[data-goto='0']").click()
    with page.expect_download() as svg:
        page.locator("[data-testid=standings-svg]").click()
    assert "Beta" in Path(svg.value.path()).read_text(encoding="utf-8")
    assert violations == [], violations


def test_closed_stage_winner_appears_in_the_hall_of_fame(browser, board_site, screenshots):
    world, url = board_site
    page = log_in(browser, url, "olga")
    page.goto(f"{url}/organiser/xf/")
    page.locator("[data-stage-phase=eval] [data-testid=confirm-stage]").check()
    page.locator("[data-stage-phase=eval] [data-testid=close-stage]").click()
    expect(page.locator(".messages")).to_contain_text("stage closed, won by Beta")
    assert Stage.objects.get(phase=world.eval).rows[0]["team"] == "Beta"
    assert Submission.objects.filter(phase=world.eval).exists()
    page.goto(f"{url}/hall-of-fame/")
    first = page.locator("[data-testid=fame-stage] .fame-podium li").first
    expect(first).to_contain_text("Beta")
    expect(first).to_contain_text("bob")
    expect(first).to_contain_text("74.00")
    shoot(page, screenshots, "hall-of-fame")


def test_a_hidden_final_closed_as_a_stage_stays_off_the_hall_of_fame_until_published(
    browser, board_site, screenshots
):
    world, url = board_site
    finish(submit_ref(world.alpha, world.final), overall=83.25, runtime=61.0)
    organiser = log_in(browser, url, "olga")
    organiser.goto(f"{url}/organiser/xf/")
    organiser.locator("[data-stage-phase=final] [data-testid=confirm-stage]").check()
    organiser.locator("[data-stage-phase=final] [data-testid=close-stage]").click()
    expect(organiser.locator(".messages")).to_contain_text("stage closed, won by Alpha")

    visitor = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    visitor.goto(f"{url}/hall-of-fame/")
    final = visitor.locator("[data-testid=fame-stage]", has_text="Final")
    expect(final.locator("[data-testid=fame-hidden]")).to_be_visible()
    expect(final).not_to_contain_text("Alpha")
    expect(visitor.locator("main")).not_to_contain_text("83.25")
    shoot(visitor, screenshots, "hall-of-fame-hidden-final")

    organiser.goto(f"{url}/organiser/xf/")
    organiser.locator("section[data-phase='final'] [data-action=publish]").click()
    organiser.locator("[data-testid=confirm-publish]").check()
    organiser.locator("[data-action=publish-confirmed]").click()
    expect(organiser.locator(".messages")).to_contain_text("publish done")
    visitor.reload()
    first = final.locator(".fame-podium li").first
    expect(first).to_contain_text("Alpha")
    expect(first).to_contain_text("83.25")
    expect(final).to_contain_text("competition winners so far")
