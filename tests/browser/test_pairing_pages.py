"""In a real browser at 1280 and 390 px (no sideways scroll): the organisers pair people on the
pairing page (upload, lock, re-solve, import), and an imported pair names its team on the team
page (issue 24.2); screenshots of both."""

import pytest
from playwright.sync_api import expect

from competitions.models import Team
from tests.browser.test_journey import log_in, site  # noqa: F401 (the fixture)
from tests.organiser.test_pairing import forty, people_csv

pytestmark = [pytest.mark.browser]


def shoot(page, screenshots, name):
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert wide <= 0, f"{name} scrolls sideways by {wide} px at {width} px"
        page.screenshot(path=str(screenshots / f"pairing-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_pairing_then_naming_the_team(browser, site, screenshots):  # noqa: F811
    _world, url = site
    rows = forty()[:10]
    rows[0][3] = rows[1][3] = "no"  # Senior 0 and Junior 0: nobody there has topic experience
    olga = log_in(browser, url, "olga")
    olga.goto(f"{url}/organiser/xf/")
    olga.locator("[data-testid=pairing-link]").click()
    olga.set_input_files(
        "#id_people",
        {"name": "people.csv", "mimeType": "text/csv", "buffer": people_csv(rows).encode()},
    )
    olga.locator("[data-testid=people-upload] button").click()
    expect(olga.locator("[data-testid=pairing-summary]")).to_contain_text("5 teams for 10 people")
    expect(olga.locator("section.pair")).to_have_count(5)
    olga.locator("section.pair[data-team='0'] [data-action=lock]").click()
    expect(olga.locator("section.pair[data-locked]")).to_have_count(1)
    shoot(olga, screenshots, "organiser")

    olga.locator("[data-testid=pairing-import] input[name=confirmed]").check()
    olga.locator("[data-action=import]").click()
    expect(olga.locator(".messages")).to_contain_text("5 teams, 10 accounts")

    # Junior 0's pair logs in (a password set for the test) and names its team.
    junior = Team.objects.get(memberships__user__email="junior0@x.org")
    user = junior.members.get(email="junior0@x.org")
    user.set_password("correct horse battery staple")
    user.save()
    team = log_in(browser, url, user.username)
    team.goto(f"{url}/team/")
    expect(team.locator("h1")).to_have_text(junior.name)
    team.fill("[data-testid=team-name] input[name=name]", "Gradient Descendants")
    team.locator("[data-testid=team-name] button").click()
    expect(team.locator("h1")).to_have_text("Gradient Descendants")
    shoot(team, screenshots, "team")
