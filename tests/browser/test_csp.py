"""The Content-Security-Policy in a real browser: pages render, charts draw, htmx polls, Swagger UI
starts, and Chromium reports no violation of the policy on any of them."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_journey import log_in, site  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.browser]

WAIT_MS = 15_000


def watch_violations(page) -> list[str]:
    """Every CSP violation (blocked script, style, image...) the page reports, as text."""
    seen: list[str] = []
    page.on(
        "console",
        lambda message: (
            seen.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => console.error("
        "'Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    return seen


def test_pages_work_under_the_policy_without_a_single_violation(browser, site):  # noqa: F811
    _, url = site
    page = log_in(browser, url, "bob")
    violations = watch_violations(page)

    page.goto(f"{url}/c/xf/leaderboard/eval/")
    page.wait_for_function("window.Chart && Chart.getChart('runtime-chart')", timeout=WAIT_MS)
    assert page.evaluate("Chart.getChart('runtime-chart').data.labels.length") >= 2
    # The charts really drew pixels (a blocked script or style would leave a blank canvas).
    drawn = page.evaluate(
        "(() => { const c = document.getElementById('runtime-chart');"
        " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " for (let i = 3; i < d.length; i += 4) if (d[i]) return true; return false; })()"
    )
    assert drawn
    # The logo's bars keep their heights from the stylesheet (they were inline styles before).
    bar = "getComputedStyle(document.querySelector('.logo i.bar-high')).height"
    assert page.evaluate(bar) == "16px"
    # One htmx poll of the board (every 3 s) goes through under connect-src 'self'.
    with page.expect_response(lambda r: "/leaderboard/eval/" in r.url, timeout=WAIT_MS):
        pass

    page.goto(f"{url}/team/")
    expect(page.locator("h1")).to_be_visible()

    page.goto(f"{url}/api/v1/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Podium API", timeout=WAIT_MS)

    page.goto(f"{url}/accounts/login/")
    assert violations == [], violations
