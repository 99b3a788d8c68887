"""In a real browser: every score on the run page and the team page is the scorer's for that run;
a team sees an organiser's re-run without reloading; publishing asks first; every page fits 390 px
and follows a dark system theme. Saves screenshots of each page at 1280 and 390 px."""

from pathlib import Path

import pytest
from django.template.defaultfilters import floatformat
from playwright.sync_api import expect

from competitions.models import CompetitionTask, Run, Submission
from competitions.services import runs as run_service
from competitions.worker.pipeline import score_rows
from evaluator.registry import METRIC_LABELS, get_task
from evaluator.scoring import score_directory
from tests.browser.geometry import box as box_of
from tests.browser.test_journey import WAIT_MS, assert_not_reloaded, log_in, mark_no_reload
from tests.factories import finish, make_world, splits_prepared, submit_ref, use_memory_broker

pytestmark = [pytest.mark.browser]

MOCK = Path(__file__).resolve().parents[1] / "fixtures" / "xtreme_mock"
SPLIT = {task: ["de", "en"] for task in ("xnli", "pawsx", "udpos", "panx")}


@pytest.fixture
def scored(transactional_db, live_server, settings, tmp_path):
    """A world whose competition has all four tasks, and Alpha's run scored by the real scorer on
    real predictions (XTREME's mock files, two languages per task)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    use_memory_broker()
    world = make_world()
    for order, task in enumerate(("udpos", "pawsx"), start=2):
        CompetitionTask.objects.create(
            competition=world.competition, task=task, languages=SPLIT[task], order=order
        )
    splits_prepared(world.eval)  # its tasks changed
    scores = score_directory(MOCK / "labels", MOCK / "predictions", tasks=SPLIT)
    submission = submit_ref(world.alpha, world.eval)
    run = run_service.claim_run(submission.runs.get().pk, "browser-test-worker")
    result = run_service.RunResult(
        overall=scores.overall,
        scores=score_rows(scores),
        runtime_s=3.0,
        runtime_measurements=[2.9, 3.0, 3.2],
        startup_overhead_s=0.1,
        hardware={"cpu": "test"},
        hardware_id="test-hw",
    )
    assert run_service.finish_run(run, result)
    finish(submit_ref(world.beta, world.eval), overall=40.0, runtime=1.0)
    finish(submit_ref(world.baseline, world.eval), overall=35.0, runtime=5.0)
    return world, live_server.url, run, scores


def shown(value, places):
    """The scorer's number as the page formats it (Django's floatformat)."""
    return floatformat(value, places)


def test_every_score_on_the_run_and_team_pages_is_the_scorers(browser, scored, screenshots):
    _, url, run, scores = scored
    page = log_in(browser, url, "ada")
    page.goto(f"{url}/runs/{run.pk}/")
    expect(page.locator(".stat")).to_have_text(shown(scores.overall, 2))
    tasks = page.locator("[data-testid=task-score]")
    expect(tasks).to_have_count(len(SPLIT))
    compared = 1
    for task, languages in SPLIT.items():
        spec = get_task(task)
        primary = spec.primary_metric
        card = page.locator(f"[data-testid=task-score][data-task={task}]")
        card.locator("summary").click()
        summary = card.locator("summary").inner_text()
        average = card.locator("[data-testid=task-average]")
        expect(average).to_have_text(shown(scores.task_metrics[task][primary], 2))
        assert f"{task} {METRIC_LABELS[primary]} " in summary, summary
        compared += 1
        # The other metrics' averages, each labelled, in the registry's order.
        others = [m for m in spec.metrics if m != primary]
        for metric in others:
            label = f"· {METRIC_LABELS[metric]} {shown(scores.task_metrics[task][metric], 2)}"
            assert label in summary, (label, summary)
            compared += 1
        assert summary.count("·") == len(others)  # nothing shown that the scorer did not give
        cells = card.locator("[data-testid=lang-score]")
        expect(cells).to_have_count(len(languages))
        for language in languages:
            cell = card.locator(f"[data-testid=lang-score][data-lang={language}]")
            value = scores.per_language[(task, language)][primary]
            expect(cell.locator("b")).to_have_text(shown(value, 1))
            title = cell.get_attribute("title")
            assert title.startswith(METRIC_LABELS[primary])
            for metric in others:
                figure = scores.per_language[(task, language)][metric]
                assert f"{METRIC_LABELS[metric]} {shown(figure, 1)}" in title
                compared += 1
            compared += 1
    assert compared == 1 + 4 + 2 * 3 + 8 + 2 * 2 * 3  # overall, tasks, others, languages
    page.screenshot(path=str(screenshots / "run-scores.png"), full_page=True)

    page.goto(f"{url}/team/")
    row = page.locator(f"#team-runs tr[data-submission='{run.submission_id}']")
    expect(row.locator("[data-testid=team-overall]")).to_have_text(shown(scores.overall, 2))
    headlines = row.locator("[data-testid=team-task-score]")
    expect(headlines).to_have_count(len(SPLIT))
    for task in SPLIT:
        primary = get_task(task).primary_metric
        headline = row.locator(f"[data-testid=team-task-score][data-task={task}]")
        expect(headline.locator("b")).to_have_text(shown(scores.task_metrics[task][primary], 1))
        expect(headline).to_contain_text(METRIC_LABELS[primary])

    # The board's PAN-X cell is the same scorer's F1.
    page.goto(f"{url}/c/xf/leaderboard/eval/")
    headers = page.locator("table.board thead th").all_inner_texts()
    column = next(i for i, h in enumerate(headers) if h.lower().startswith("panx"))
    panx = page.locator("tr[data-team='Alpha'] td").nth(column)
    expect(panx).to_have_text(shown(scores.task_metrics["panx"]["f1"], 1))


def test_team_sees_an_organisers_rerun_live_and_the_old_run_links_on(browser, scored):
    _, url, run, _ = scored
    team = log_in(browser, url, "ada")
    team.goto(f"{url}/team/")
    row = team.locator(f"#team-runs tr[data-submission='{run.submission_id}']")
    expect(row.locator("[data-testid=run-status]")).to_have_text("Finished")
    mark_no_reload(team)

    organiser = log_in(browser, url, "olga")
    organiser.goto(f"{url}/organiser/xf/")
    organiser.locator(f"tr[data-run='{run.pk}'] button", has_text="Re-run").click()
    expect(organiser.locator(".messages")).to_contain_text("rerun done")

    expect(row.locator("[data-testid=run-status]")).to_have_text("Queued", timeout=WAIT_MS)
    expect(row.locator("[data-testid=rerun-note]")).to_contain_text(f"run {run.pk}")
    assert_not_reloaded(team)
    new = Run.objects.filter(submission_id=run.submission_id).latest("created_at")
    finish(Submission.objects.get(pk=run.submission_id), overall=50.0, runtime=9.0)
    expect(row.locator("[data-testid=run-status]")).to_have_text("Finished", timeout=WAIT_MS)
    expect(row.locator("[data-testid=team-overall]")).to_have_text("50.00")
    assert_not_reloaded(team)

    team.goto(f"{url}/runs/{run.pk}/")
    notice = team.locator("[data-testid=replaced-by]")
    expect(notice).to_contain_text("The organisers re-ran this attempt")
    notice.locator("a").click()
    expect(team.locator("h1")).to_contain_text(f"Run {new.pk}")
    expect(team.locator("[data-testid=rerun-of]")).to_contain_text(f"run {run.pk}")


def test_publish_asks_for_confirmation_first(browser, scored, screenshots):
    world, url, _, _ = scored
    organiser = log_in(browser, url, "olga")
    organiser.goto(f"{url}/organiser/xf/")
    organiser.locator("section[data-phase='eval'] [data-action=publish]").click()
    expect(organiser.locator("h1")).to_contain_text("Publish the final board of Evaluation?")
    expect(organiser.locator("[data-testid=publish-preview]")).to_contain_text("Alpha")
    organiser.screenshot(path=str(screenshots / "publish-confirm.png"), full_page=True)
    organiser.locator("[data-action=publish-confirmed]").click()  # box not ticked: no request
    expect(organiser.locator("h1")).to_contain_text("Publish the final board")
    world.eval.refresh_from_db()
    assert world.eval.published_at is None
    organiser.locator("[data-testid=confirm-publish]").check()
    organiser.locator("[data-action=publish-confirmed]").click()
    expect(organiser.locator(".messages")).to_contain_text("Evaluation: publish done")
    world.eval.refresh_from_db()
    assert world.eval.published_at is not None
    organiser.goto(f"{url}/c/xf/leaderboard/eval/")
    expect(organiser.locator("[data-testid=board-state]")).to_contain_text("final board, published")
    expect(organiser.locator("main")).not_to_contain_text("updates by itself")


PAGES = {
    "home": ("bob", "/"),
    "competition": ("bob", "/c/xf/"),
    "leaderboard": ("ada", "/c/xf/leaderboard/eval/?languages=1"),
    "team": ("ada", "/team/"),
    "run": ("ada", "/runs/{run}/"),
    "organiser": ("olga", "/organiser/xf/"),
    "publish-confirm": ("olga", "/organiser/xf/phases/eval/publish/confirm/"),
    "login": (None, "/accounts/login/"),
    "how-to-submit": (None, "/c/xf/how-to-submit/"),
    "huddle": (None, "/c/xf/huddle/eval/"),
    "hall-of-fame": (None, "/hall-of-fame/"),
}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_fits_390_px_and_follows_the_system_theme(browser, scored, screenshots, scheme):
    _, url, run, _ = scored
    contexts = {}
    backgrounds = set()
    for name, (user, path) in PAGES.items():
        # The dark theme is checked (and shown) at phone width only: that keeps the test quick.
        for width in (1280, 390) if scheme == "light" else (390,):
            key = (user, width)
            if key not in contexts:
                context = browser.new_context(
                    viewport={"width": width, "height": 900}, color_scheme=scheme
                )
                if user:
                    page = context.new_page()
                    page.goto(f"{url}/accounts/login/")
                    page.fill("#id_username", user)
                    page.fill("#id_password", "correct horse battery staple")
                    page.click("button[type=submit]")
                    expect(page.locator("[data-testid=who]")).to_have_text(user)
                    page.close()
                contexts[key] = context
            page = contexts[key].new_page()
            page.goto(url + path.format(run=run.pk))
            if name == "leaderboard":
                page.wait_for_function("Chart.getChart('runtime-chart') !== undefined")
                # The columns that decide the order are on screen at every width.
                for column in ("td.overall", "td.rerank"):
                    cell = page.locator("[data-testid=board] tbody tr >> nth=0").locator(column)
                    box = box_of(cell)
                    assert box and box["x"] + box["width"] <= width, (column, width, box)
            width_used = page.evaluate("document.scrollingElement.scrollWidth")
            assert width_used <= width, f"{name} is {width_used} px wide at {width} px"
            backgrounds.add(page.evaluate("getComputedStyle(document.body).backgroundColor"))
            suffix = "" if scheme == "light" else "-dark"
            page.screenshot(path=str(screenshots / f"{name}-{width}{suffix}.png"), full_page=True)
            page.close()
    for context in contexts.values():
        context.close()
    expected = "rgb(246, 247, 251)" if scheme == "light" else "rgb(16, 19, 31)"
    assert backgrounds == {expected}
