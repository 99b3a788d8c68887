"""axe-core in a real browser: no serious or critical violation on any page of the site, in the
light and the dark system theme, at desktop and phone width. Every named URL of the site is
either visited here or listed as not being a page, so a new page cannot be left out."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.tokens import default_token_generator
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import expect

from competitions.models import DebugRun
from tests.browser.test_scores_and_pages import scored  # noqa: F401 - the fixture
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser]

# URL name -> (who is logged in, the path). Paths take {run}, {debug_run}, {uid} and {token}.
PAGES = {
    "home": ("bob", "/"),
    "login": (None, "/accounts/login/"),
    "password_reset": (None, "/accounts/password/reset/"),
    "password_reset_done": (None, "/accounts/password/reset/sent/"),
    "password_reset_confirm": (None, "/accounts/password/set/{uid}/{token}/"),
    "competition": ("bob", "/c/xf/"),
    "leaderboard": ("ada", "/c/xf/leaderboard/eval/?languages=1"),
    "team": ("ada", "/team/"),
    "how-to-submit": (None, "/c/xf/how-to-submit/"),
    "run": ("ada", "/runs/{run}/"),
    "debug-runs": ("ada", "/c/xf/debug-runs/"),
    "debug-run": ("ada", "/debug-runs/{debug_run}/"),
    "huddle": (None, "/c/xf/huddle/eval/"),
    "hall-of-fame": (None, "/hall-of-fame/"),
    "organiser": ("olga", "/organiser/xf/"),
    "organiser-confirm-publish": ("olga", "/organiser/xf/phases/eval/publish/confirm/"),
    "organiser-pairing": ("olga", "/organiser/xf/pairing/"),
    "api-docs": (None, "/api/v1/docs/"),
}
# Pages reached under another name: the final phase's board before it is published, a member's
# refusal of the organisers' panel (templates/403.html).
MORE_PAGES = {
    "leaderboard-final": ("ada", "/c/xf/leaderboard/final/"),
    "forbidden": ("bob", "/organiser/xf/"),
}
NOT_PAGES = {
    # Answers to a form's POST (each lands on one of the pages above).
    "logout", "team-emails", "create-token", "revoke-token", "submit", "debug-start",
    "cancel-run", "organiser-close-stage", "organiser-limits", "organiser-rule",
    "organiser-audit", "organiser-audit-cancel", "organiser-phase-rules", "organiser-teams-see",
    "organiser-phase-action", "organiser-run-action", "organiser-next-edition",
    "organiser-pairing-action", "team-name", "select-for-final",
    # Files and fragments: CSV, SVG, archives, the what-if section's htmx refresh, the proxy's check.
    "leaderboard-csv", "team-attempts-csv", "starter-kit", "sample-input", "code-download",
    "huddle-standings-svg", "organiser-what-if", "upload-allowed", "healthz", "api-schema",
}  # fmt: skip
# Django's own admin (its templates are Django's) and the JSON API are not Podium's pages.
NOT_PAGE_PREFIXES = ("admin/", "api/v1/")
SERIOUS = {"serious", "critical"}
# (page, rule, element) that axe reports and Podium cannot fix: Swagger UI (vendored, third-party
# JavaScript) draws a boolean or enum query parameter as a <select> with no label of its own, the
# parameter's name standing in the next cell. Only that rule on that element is let through.
THIRD_PARTY = {("api-docs", "select-name", ".parameters-col_description > select")}


def named_routes(resolver=None, prefix=""):
    """(name, route) of every named URL in the site's URLconf."""
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from named_routes(entry, route)
        elif isinstance(entry, URLPattern) and entry.name:
            yield entry.name, route


def test_every_page_of_the_urlconf_is_checked(db):
    unlisted = (
        {
            name
            for name, route in named_routes()
            if not route.startswith(NOT_PAGE_PREFIXES) or name == "api-docs"
        }
        - set(PAGES)
        - NOT_PAGES
    )
    assert not unlisted, f"add these URLs to PAGES or NOT_PAGES in {__name__}: {sorted(unlisted)}"


def serious_violations(page, axe, name, where):
    results = axe.run(page, options={"resultTypes": ["violations"]})
    return [
        f"{where}: {v['id']} ({v['impact']}) at {node['target']}: {_why(node) or v['help']}"
        for v in results.response["violations"]
        if v["impact"] in SERIOUS
        for node in v["nodes"]
        if not any((name, v["id"], target) in THIRD_PARTY for target in node["target"])
    ]


def _why(node) -> str:
    """axe's own words for this element (for contrast: both colours and the ratio)."""
    return "; ".join(check["message"] for check in node["any"] + node["all"] + node["none"])


# Colours do not change with the width and the layout does not change with the theme: the light
# theme is checked at both widths, the dark one at phone width (as the every-page layout test does).
PASSES = (("light", 1280), ("light", 390), ("dark", 390))
BODY = {"light": "rgb(246, 247, 251)", "dark": "rgb(16, 19, 31)"}


def test_axe_finds_no_serious_violation_on_any_page(browser, scored):  # noqa: F811
    world, url, run, _ = scored
    debug_run = DebugRun.objects.create(
        team=world.alpha,
        competition=world.competition,
        image_ref="registry.local/alpha/model:v1",
        status=DebugRun.Status.FAILED,
        fault=DebugRun.Fault.TEAM,
        failure_reason="the container exited with code 1",
        exit_code=1,
        runtime_s=0.4,
        logs="Traceback (most recent call last):\nFileNotFoundError: /app/vocab.json\n",
    )
    values = {
        "run": run.pk,
        "debug_run": debug_run.pk,
        "uid": urlsafe_base64_encode(force_bytes(world.bob.pk)),
        "token": default_token_generator.make_token(world.bob),
    }
    axe = Axe()
    found = []
    pages = {}  # one logged-in tab per user, reused for every page and pass
    for scheme, width in PASSES:
        for name, (user, path) in {**PAGES, **MORE_PAGES}.items():
            if user not in pages:
                pages[user] = _page_as(browser, url, user)
            page = pages[user]
            page.emulate_media(color_scheme=scheme)
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(url + path.format(**values))
            if name == "api-docs":
                # Swagger UI keeps its light colours in either theme; its opened operations (a
                # long page for axe) are checked once.
                if (scheme, width) == PASSES[0]:
                    _open_every_operation(page)
            else:
                background = page.evaluate("getComputedStyle(document.body).backgroundColor")
                assert background == BODY[scheme], (name, scheme, background)
            found += serious_violations(page, axe, name, f"{name} at {width} px, {scheme}")
    for page in pages.values():
        page.context.close()
    assert not found, f"{len(found)} serious or critical:\n" + "\n".join(found)


def _page_as(browser, url, user):
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    if user:
        page.goto(f"{url}/accounts/login/")
        page.fill("#id_username", user)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        expect(page.locator("[data-testid=who]")).to_have_text(user)
    return page


def _open_every_operation(page):
    """Swagger UI draws an operation's parameters and responses once it is opened."""
    summaries = page.locator(".swagger-ui .opblock-summary-control")
    expect(summaries.first).to_be_visible()
    for index in range(summaries.count()):
        summaries.nth(index).click()
    expect(page.locator(".swagger-ui .opblock-body")).to_have_count(summaries.count())
