"""In a real browser: the pages the board's history changed (the team's rank over time, the board
frozen for teams, the organisers' switch) fit 1280 and 390 px; screenshots of each."""

import pytest
from playwright.sync_api import expect

from competitions.reads.history import latest_snapshot
from competitions.services import organiser, snapshots
from competitions.services import runs as run_service
from tests.browser.geometry import box as box_of
from tests.browser.test_scores_and_pages import scored  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.browser]

PAGES = {
    "history-team": ("ada", "/team/", "[data-testid=rank-history]"),
    "history-board-frozen": ("", "/c/xf/leaderboard/eval/", "[data-testid=frozen-for-teams]"),
    "history-organiser": ("olga", "/organiser/xf/", "[data-frozen-for-teams]"),
}


def test_history_pages_fit_and_show_the_frozen_board(browser, scored, screenshots):  # noqa: F811
    world, url, _, _ = scored
    # Each finished run took its snapshot once committed (a transactional test commits).
    snapshots.take_snapshot(world.eval)
    first = latest_snapshot(world.eval)
    beta = world.beta.submissions.get(phase=world.eval)
    run_service.set_disqualified(beta, True)  # takes the next snapshot on commit
    assert latest_snapshot(world.eval).pk != first.pk
    organiser.freeze_for_teams(world.eval, first.taken_at)
    for width in (1280, 390):
        for name, (user, path, marker) in PAGES.items():
            context = browser.new_context(viewport={"width": width, "height": 900})
            page = context.new_page()
            if user:
                page.goto(f"{url}/accounts/login/")
                page.fill("#id_username", user)
                page.fill("#id_password", "correct horse battery staple")
                page.click("button[type=submit]")
                expect(page.locator("[data-testid=who]")).to_have_text(user)
            page.goto(url + path)
            expect(page.locator(marker).first).to_be_visible()
            if name == "history-board-frozen":  # the stored board: Beta is still on it
                expect(page.locator("#board")).to_contain_text("Beta")
            used = page.evaluate("document.scrollingElement.scrollWidth")
            assert used <= width, f"{name} is {used} px wide at {width} px"
            page.screenshot(path=str(screenshots / f"{name}-{width}.png"), full_page=True)
            # The changed part alone, readable at full size.
            box = box_of(page.locator(marker).first)
            top = max(0, box["y"] - 200)
            clip = {"x": 0, "y": top, "width": width, "height": 500}
            page.screenshot(
                path=str(screenshots / f"{name}-{width}-part.png"), full_page=True, clip=clip
            )
            context.close()


def test_a_stage_reward_on_the_board_and_team_page_fits(browser, scored, screenshots):  # noqa: F811
    world, url, _, _ = scored
    from competitions.services.stages import close_stage

    close_stage(world.eval, world.olga, reward_points=10, reward_badge="Stage 1 winner")
    pages = {
        "reward-board": ("", "/c/xf/leaderboard/eval/"),
        "reward-team": ("ada", "/team/"),
        "reward-organiser": ("olga", "/organiser/xf/"),
    }
    for width in (1280, 390):
        for name, (user, path) in pages.items():
            context = browser.new_context(viewport={"width": width, "height": 900})
            page = context.new_page()
            if user:
                page.goto(f"{url}/accounts/login/")
                page.fill("#id_username", user)
                page.fill("#id_password", "correct horse battery staple")
                page.click("button[type=submit]")
                expect(page.locator("[data-testid=who]")).to_have_text(user)
            page.goto(url + path)
            marker = page.get_by_text("Stage 1 winner").first
            expect(marker).to_be_visible()
            used = page.evaluate("document.scrollingElement.scrollWidth")
            assert used <= width, f"{name} is {used} px wide at {width} px"
            box = box_of(marker)
            clip = {"x": 0, "y": max(0, box["y"] - 200), "width": width, "height": 450}
            page.screenshot(
                path=str(screenshots / f"{name}-{width}.png"), full_page=True, clip=clip
            )
            context.close()
