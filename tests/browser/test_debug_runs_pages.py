"""A team's debug runs in a real browser, at 1280 and 390 px: from the team page to a debug run,
its whole traceback, the refusal of a second one inside the window; nothing wider than a phone."""

import pytest
from playwright.sync_api import expect

from competitions.models import DebugRun
from competitions.services import debug_runs as service
from tests.browser.test_journey import log_in, site  # noqa: F401 - the fixture
from tests.factories import DIGEST, submit_ref

pytestmark = [pytest.mark.browser]

TRACEBACK = (
    "found 4 input files\n"
    "Traceback (most recent call last):\n"
    '  File "/app/predict.py", line 23, in <module>\n'
    '    predict(Path("/input"))\n'
    '  File "/app/predict.py", line 18, in predict\n'
    '    vocabulary = load_vocabulary(Path("/app/vocab-missing.json"))\n'
    "FileNotFoundError: [Errno 2] No such file or directory: '/app/vocab-missing.json'\n"
)


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_debug_run_pages_at_desktop_and_phone_widths(browser, site, screenshots):  # noqa: F811
    _, url = site
    page = log_in(browser, url, "ada")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{url}/team/")
    page.get_by_test_id("debug-runs-link").first.click()
    expect(page).to_have_url(f"{url}/c/xf/debug-runs/")
    expect(page.get_by_test_id("debug-allowance")).to_contain_text("one debug run every 15 min")
    page.fill("#id_image_ref", f"registry.local/alpha/model@{DIGEST}")
    page.get_by_role("button", name="Start debug run").click()
    debug_run = DebugRun.objects.get()
    expect(page).to_have_url(f"{url}/debug-runs/{debug_run.pk}/")
    expect(page.get_by_test_id("debug-status")).to_have_text("Queued")

    claimed = service.claim_debug_run(debug_run.pk, "gpu0@worker-1")
    service.end_debug_run(
        claimed,
        service.DebugOutcome(
            failure="the container exited with code 1", fault="team", exit_code=1,
            runtime_s=0.412, logs=TRACEBACK,
        ),
    )  # fmt: skip
    # The page follows the run by itself (htmx) until it ends.
    expect(page.get_by_test_id("debug-status")).to_have_text("Failed", timeout=10_000)
    expect(page.get_by_test_id("debug-logs")).to_contain_text("FileNotFoundError: [Errno 2]")
    expect(page.get_by_test_id("debug-exit-code")).to_have_text("1")
    page.screenshot(path=screenshots / "debug-run-1280.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    _fits(page, 390)
    page.screenshot(path=screenshots / "debug-run-390.png", full_page=True)

    # A second one inside the window: the button waits, and a forced request is refused.
    page.goto(f"{url}/c/xf/debug-runs/")
    expect(page.get_by_test_id("debug-wait")).to_contain_text("The next one is possible in")
    expect(page.get_by_role("button", name="Start debug run")).to_be_disabled()
    page.evaluate("document.querySelector('[data-testid=debug-form] button').disabled = false")
    page.fill("#id_image_ref", f"registry.local/alpha/model@{DIGEST}")
    page.get_by_role("button", name="Start debug run").click()
    expect(page.get_by_test_id("debug-refused")).to_contain_text("Too many debug runs")
    expect(page.get_by_test_id("debug-refused")).to_contain_text("try again in")
    _fits(page, 390)
    page.screenshot(path=screenshots / "debug-runs-390.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=screenshots / "debug-runs-1280.png", full_page=True)
    assert DebugRun.objects.count() == 1
    page.close()


def test_debug_this_submission_from_its_run_page(browser, site, screenshots):  # noqa: F811
    world, url = site
    submission = submit_ref(world.alpha, world.eval, user=world.ada)
    page = log_in(browser, url, "ada")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{url}/runs/{submission.runs.get().pk}/")
    expect(page.get_by_test_id("debug-this")).to_contain_text("uses no attempt")
    _fits(page, 390)
    page.screenshot(path=screenshots / "run-debug-this-390.png", full_page=True)
    page.get_by_role("button", name="Debug this submission").click()
    debug_run = DebugRun.objects.get()
    expect(page).to_have_url(f"{url}/debug-runs/{debug_run.pk}/")
    expect(page.locator("dl.facts")).to_contain_text(f"submission {submission.pk} (attempt 1")
    assert debug_run.submission == submission
    page.close()
