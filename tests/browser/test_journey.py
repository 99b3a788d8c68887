"""A team's day in a real browser: log in, submit, watch the run finish, see the leaderboard
update without reloading; the organiser publishes the final board. Saves screenshots."""

import re

import pytest
from playwright.sync_api import expect

from competitions.models import Submission
from tests.archives import write_archive
from tests.factories import PASSWORD, finish, make_world, submit_ref, use_memory_broker

pytestmark = [pytest.mark.browser]

WAIT_MS = 15_000  # live updates poll every 3 s


@pytest.fixture
def site(transactional_db, live_server, settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "store")},
        },
    }
    use_memory_broker()
    world = make_world()
    # Earlier results: a fast team and the baseline, so the board has a re-ranking to show.
    finish(submit_ref(world.beta, world.eval), overall=69.5, runtime=24.0)
    finish(submit_ref(world.beta, world.eval), overall=74.0, runtime=21.0)
    finish(submit_ref(world.baseline, world.eval), overall=61.0, runtime=48.0)
    return world, live_server.url


def log_in(browser, url, username):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(f"{url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator(".topbar .who")).to_contain_text(username)
    return page


def mark_no_reload(page):
    page.evaluate("window.__stillHere = true")


def assert_not_reloaded(page):
    assert page.evaluate("window.__stillHere === true"), "the page was reloaded"


def test_submit_watch_finish_and_live_leaderboard(browser, site, screenshots):
    world, url = site
    board = log_in(browser, url, "bob")
    board.goto(f"{url}/c/xf/leaderboard/eval/")
    expect(board.locator("tr[data-team='Beta'] td.rank")).to_have_text("1")
    mark_no_reload(board)

    team = log_in(browser, url, "ada")
    team.goto(f"{url}/team/")
    form = team.locator("section[data-phase='eval'] form[data-upload]")
    form.locator("input[name=image_ref]").fill("registry.local/alpha@sha256:" + "b" * 64)
    form.locator("textarea[name=description]").fill("distilled, int8")
    form.locator("button[type=submit]").click()
    expect(team.locator(".messages")).to_contain_text(
        "Submitted to Evaluation and queued: attempt 1 of 3 used, 2 left."
    )
    status = team.locator("[data-testid=run-status]").first
    expect(status).to_have_text("Queued")
    mark_no_reload(team)

    # The worker's part: claim the run and record its scores (alpha: higher score, slow).
    submission = Submission.objects.get(team=world.alpha, phase=world.eval)
    finish(submission, overall=79.5, runtime=97.0, measurements=[95.0, 97.0, 99.5])

    expect(status).to_have_text("Finished", timeout=WAIT_MS)
    assert_not_reloaded(team)
    expect(team.locator("#team-runs")).to_contain_text("79.50")

    alpha_row = board.locator("tr[data-team='Alpha']")
    expect(alpha_row).to_be_visible(timeout=WAIT_MS)
    assert_not_reloaded(board)
    expect(board.locator("tr[data-team='Beta'] td.rank")).to_have_text("1")
    expect(board.locator("tr[data-team='Beta'] .move.up")).to_have_text("▲1")
    expect(board.locator("tr[data-team='Beta'] .reason")).to_contain_text("faster than Alpha")
    expect(alpha_row.locator(".move.down")).to_have_text("▼1")
    expect(board.locator("tr.reference")).to_contain_text("mBERT baseline")
    # Both charts drawn by Chart.js, with the new attempt in them.
    board.wait_for_function(
        "Chart.getChart('attempts-chart').data.datasets.some(d => d.label === 'Alpha')"
    )
    assert board.evaluate("Chart.getChart('runtime-chart').data.labels.length") == 3
    board.screenshot(path=str(screenshots / "leaderboard.png"), full_page=True)
    team.screenshot(path=str(screenshots / "team.png"), full_page=True)

    board.goto(f"{url}/c/xf/leaderboard/eval/?languages=1")
    board.locator("tr[data-team='Beta'] details.langs summary").first.click()
    expect(board.locator("tr[data-team='Beta'] .lang-grid").first).to_contain_text("de")
    board.screenshot(path=str(screenshots / "leaderboard-languages.png"), full_page=True)


def test_upload_progress_then_organiser_publishes_final_board(browser, site, screenshots, tmp_path):
    world, url = site
    team = log_in(browser, url, "ada")
    team.goto(f"{url}/team/")
    archive = tmp_path / "image.tar"
    write_archive(archive, padding_bytes=4 * 1024 * 1024)
    form = team.locator("section[data-phase='final'] form[data-upload]")
    form.locator("input[name=image]").set_input_files(str(archive))
    form.locator("button[type=submit]").click()
    expect(team.locator(".messages")).to_contain_text(
        "Submitted to Final and queued: attempt 1 of 1 used, 0 left."
    )
    submission = Submission.objects.get(team=world.alpha, phase=world.final)
    assert submission.image_archive.size == archive.stat().st_size
    finish(submission, overall=77.0, runtime=30.0)

    team.goto(f"{url}/c/xf/leaderboard/final/")
    expect(team.locator(".notice")).to_contain_text("Scores are hidden")
    expect(team.locator("main")).not_to_contain_text("77.00")
    mark_no_reload(team)

    organiser = log_in(browser, url, "olga")
    organiser.goto(f"{url}/organiser/xf/")
    expect(organiser.locator("section[data-phase='eval']")).to_contain_text("61.00")
    organiser.screenshot(path=str(screenshots / "organiser.png"), full_page=True)
    organiser.locator("section[data-phase='final'] [data-action=publish]").click()
    organiser.locator("[data-testid=confirm-publish]").check()
    organiser.locator("[data-action=publish-confirmed]").click()
    expect(organiser.locator(".messages")).to_contain_text("publish done")

    # The participant's open page shows the published board without a reload.
    expect(team.locator("tr[data-team='Alpha'] td.overall")).to_have_text("77.00", timeout=WAIT_MS)
    assert_not_reloaded(team)
    expect(team.locator("main")).to_contain_text(re.compile("final board, published"))
    expect(team.locator("#runtime-chart")).to_be_visible()
    team.wait_for_function("Chart.getChart('runtime-chart').data.labels.includes('Alpha')")
    team.screenshot(path=str(screenshots / "final-published.png"), full_page=True)

    # The API docs render with the vendored Swagger UI (no CDN).
    organiser.goto(f"{url}/api/v1/docs/")
    expect(organiser.locator(".swagger-ui")).to_contain_text("Podium API", timeout=WAIT_MS)
    expect(organiser.locator(".swagger-ui")).to_contain_text("/api/v1/submissions/")
