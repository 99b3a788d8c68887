"""The pages the newcomer's third pass changed, in a real browser at 1280 and 390 px (no
horizontal scroll): the team page of a phase whose data is being prepared, the organiser page's
stage confirmation and ended phase, a failed run's page, a frozen hidden final seen by the public,
and the how-to page's local test."""

import pytest
from playwright.sync_api import expect

from competitions.models import Phase
from competitions.services import organiser
from competitions.services import runs as run_service
from tests.browser.test_journey import log_in, site  # noqa: F401 (the fixture)
from tests.factories import finish, submit_ref

pytestmark = [pytest.mark.browser]


def shoot(page, screenshots, name):
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(200)
        wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert wide <= 0, f"{name} scrolls sideways by {wide} px at {width} px"
        page.screenshot(path=str(screenshots / f"newcomer-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_the_changed_pages_read_right_at_both_widths(browser, site, screenshots):  # noqa: F811
    world, url = site
    failed = submit_ref(world.alpha, world.eval, user=world.ada)
    Phase.objects.filter(pk=world.eval.pk).update(split_key="", split_verified=False)
    team = log_in(browser, url, "ada")
    team.goto(f"{url}/team/")
    expect(team.locator("[data-phase=eval] [data-testid=preparing]")).to_have_text(
        "Phase not open yet: the organisers are preparing this phase's data."
    )
    shoot(team, screenshots, "team-preparing")

    run = run_service.claim_run(failed.runs.get().pk, "shots")
    run_service.fail_run(
        run, "panx/test-de.tsv: 3 lines, expected 4\nxnli/test-en.tsv: missing", "team"
    )
    team.goto(f"{url}/runs/{run.pk}/")
    expect(team.locator("[data-testid=failure-reason] br")).to_have_count(1)
    shoot(team, screenshots, "run-failed")

    organiser.end_phase(world.final)
    olga = log_in(browser, url, "olga")
    olga.goto(f"{url}/organiser/xf/")
    expect(olga.locator("[data-stage-phase=eval] [data-testid=confirm-stage]")).to_be_visible()
    expect(olga.locator("section[data-phase=final] [data-action=open]")).to_have_count(0)
    shoot(olga, screenshots, "organiser")
    for width in (1280, 390):  # the two changed parts, close up
        olga.set_viewport_size({"width": width, "height": 900})
        for part, selector in (("stages", "#stages"), ("ended", "section[data-phase=final]")):
            olga.locator(selector).screenshot(
                path=str(screenshots / f"newcomer-organiser-{part}-{width}.png")
            )
    olga.set_viewport_size({"width": 1280, "height": 900})
    olga.locator("[data-stage-phase=eval] [data-testid=close-stage]").click()  # not ticked
    assert olga.evaluate(
        "!document.querySelector('[data-stage-phase=eval] [data-testid=confirm-stage]')"
        ".checkValidity()"
    )

    finish(submit_ref(world.baseline, world.final), overall=70.0, runtime=9.0)
    organiser.freeze_phase(Phase.objects.get(pk=world.final.pk))
    public = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    public.goto(f"{url}/c/xf/leaderboard/final/")
    expect(public.locator("[data-testid=board-state]")).to_contain_text("frozen")
    expect(public.locator("body")).not_to_contain_text("as an organiser")
    shoot(public, screenshots, "frozen-final-public")
    public.goto(f"{url}/c/xf/how-to-submit/")
    expect(public.locator("[data-testid=local-test]")).to_contain_text("chmod 777 out")
    shoot(public, screenshots, "how-to")
    public.set_viewport_size({"width": 390, "height": 900})
    public.locator("ol.steps li").nth(1).screenshot(
        path=str(screenshots / "newcomer-how-to-local-test-390.png")
    )
