"""What teams of other platforms expect on the competition and team pages, in a real browser at
1280 and 390 px: the countdown to an open phase's close, ticking with the browser's clock."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from competitions.models import Phase
from tests.browser.test_journey import log_in, site  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.browser]


def fits(page, screenshots, name):
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert wide <= 0, f"{name} scrolls sideways by {wide} px at {width} px"
        box = page.get_by_test_id("countdown").first.bounding_box()
        assert box and box["x"] + box["width"] <= width, f"{name}: the countdown is cut at {width}"
        page.screenshot(path=str(screenshots / f"extras-{name}-{width}.png"), full_page=True)


def test_the_countdown_renders_ticks_and_fits(browser, site, screenshots):  # noqa: F811
    world, url = site
    now = timezone.now()
    Phase.objects.filter(pk=world.eval.pk).update(closes=now + timedelta(minutes=2, seconds=30))
    page = log_in(browser, url, "ada")
    page.clock.install(time=now)
    page.goto(f"{url}/c/xf/")
    words = page.locator("[data-testid=countdowns] [data-phase=eval] .countdown-words")
    expect(words).to_have_text("closes in 2 min")
    page.clock.fast_forward(60_000)
    expect(words).to_have_text("closes in 1 min")
    page.clock.fast_forward(60_000)
    expect(words).to_have_text("closes in under a minute")
    page.clock.fast_forward(31_000)
    expect(words).to_have_text("closed")
    fits(page, screenshots, "competition")

    Phase.objects.filter(pk=world.eval.pk).update(
        closes=now + timedelta(days=3, hours=4, minutes=30)
    )
    page.goto(f"{url}/team/")
    expect(page.locator("[data-phase=eval] .countdown-words")).to_have_text("closes in 3 days 4 h")
    fits(page, screenshots, "team")
