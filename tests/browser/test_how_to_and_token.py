"""A newcomer in a real browser: from the competition page to "How to submit" (contract, limits,
downloads that work), then an API token created on the team page, shown once, then revoked."""

import pytest
from playwright.sync_api import expect
from rest_framework.authtoken.models import Token

from tests.browser.test_journey import log_in, site  # noqa: F401 - the fixture

pytestmark = [pytest.mark.browser]


def test_how_to_page_from_the_competition_page_with_working_downloads(browser, site, screenshots):  # noqa: F811
    _, url = site
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{url}/c/xf/")
    page.get_by_role("link", name="How to submit").first.click()
    expect(page).to_have_url(f"{url}/c/xf/how-to-submit/")
    expect(page.get_by_test_id("contract")).to_contain_text("What the container must leave")
    expect(page.get_by_test_id("limits")).to_contain_text("Time limit")
    expect(page.get_by_test_id("local-test")).to_contain_text("evaluator.cli check myteam/model:1")
    expect(page.get_by_test_id("local-test")).to_contain_text("docker build -t myteam/model:1")
    for testid, suffix in (
        ("starter-kit", "starter-xf.tar.gz"),
        ("sample-input", "sample-xf.tar.gz"),
    ):
        with page.expect_download() as download:
            page.get_by_test_id(testid).click()
        assert download.value.suggested_filename.endswith(suffix)
        assert download.value.failure() is None
    page.screenshot(path=screenshots / "how-to-submit-1280.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=screenshots / "how-to-submit-390.png", full_page=True)
    page.close()


def test_token_created_on_the_team_page_is_shown_once_then_revoked(browser, site, screenshots):  # noqa: F811
    world, url = site
    page = log_in(browser, url, "ada")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{url}/team/")
    expect(page.get_by_test_id("token-state")).to_contain_text("no API token")
    page.get_by_role("button", name="Create API token").click()
    key = page.get_by_test_id("token-key").inner_text().strip()
    assert key == Token.objects.get(user=world.ada).key
    page.screenshot(path=screenshots / "token-created-1280.png", full_page=True)
    # The key works for the API, and is never shown again.
    answer = page.request.get(
        f"{url}/api/v1/me/submissions/", headers={"Authorization": f"Token {key}"}
    )
    assert answer.status == 200 and answer.json()["team"] == "Alpha"
    page.goto(f"{url}/team/")
    expect(page.get_by_test_id("token-state")).to_contain_text("You have a token")
    assert key not in page.content()
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=screenshots / "team-token-390.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=screenshots / "team-token-1280.png", full_page=True)
    page.get_by_role("button", name="Revoke token").click()
    expect(page.locator(".messages")).to_contain_text("API token revoked")
    assert not Token.objects.filter(user=world.ada).exists()
