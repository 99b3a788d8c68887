"""Every URL and API endpoint × every role: anonymous, another team's member, the team's member,
an organiser. The URL list comes from the URLconf, so a new URL without a row here fails."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from competitions.models import DebugRun, Phase, Submission, TimingAudit
from tests.factories import DIGEST, finish, logged_in, submit_ref

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "other", "member", "organiser")
LOGIN = "login"  # a redirect to the login page
HIDDEN = 404  # another team's things answer like missing ones


@dataclass(frozen=True)
class Case:
    method: str
    url: str  # formatted with the objects below
    expect: tuple  # per role, in ROLES order
    data: dict | None = None


REF = {"image_ref": f"registry.local/x@{DIGEST}"}
LIMITS = {
    "time_limit_s": 600,
    "memory_mb": 4096,
    "cpus": 2,
    "gpus": 0,
    "output_mb": 100,
    "timing_repeats": 3,
}
RULE = {"metric": "runtime", "bonus_places": "2, 1", "max_score_gap": 5, "min_efficiency_gap": 0.1}
PHASE_RULES = {
    "p{eval_pk}-max_attempts": 4,
    "p{eval_pk}-leaderboard_policy": "best",
    "p{eval_pk}-results_visibility": "live",
}

MATRIX = {
    "home": Case("get", "/", (200, 200, 200, 200)),
    "login": Case("get", "/accounts/login/", (200, 200, 200, 200)),
    "logout": Case("post", "/accounts/logout/", (302, 302, 302, 302)),
    "password_reset": Case("get", "/accounts/password/reset/", (200, 200, 200, 200)),
    "password_reset_done": Case("get", "/accounts/password/reset/sent/", (200, 200, 200, 200)),
    # A link with a token that is not valid: the page says so, to everyone alike.
    "password_reset_confirm": Case(
        "get", "/accounts/password/set/MQ/not-a-token/", (200, 200, 200, 200)
    ),
    # Monitoring's endpoint answers everyone the same; GET only (its answers: test_healthz.py).
    "healthz": Case("post", "/healthz", (405, 405, 405, 405)),
    "competition": Case("get", "/c/xf/", (200, 200, 200, 200)),
    "leaderboard": Case("get", "/c/xf/leaderboard/eval/", (200, 200, 200, 200)),
    "leaderboard-csv": Case("get", "/c/xf/leaderboard/eval/csv/", (200, 200, 200, 200)),
    "huddle": Case("get", "/c/xf/huddle/eval/", (200, 200, 200, 200)),
    "huddle-standings-svg": Case("get", "/c/xf/huddle/eval/standings.svg", (200, 200, 200, 200)),
    "hall-of-fame": Case("get", "/hall-of-fame/", (200, 200, 200, 200)),
    "team": Case("get", "/team/", (LOGIN, 200, 200, 200)),
    "team-attempts-csv": Case("get", "/team/attempts.csv", (LOGIN, 200, 200, 404)),
    "team-emails": Case("post", "/team/emails/", (LOGIN, 302, 302, 302), {"emails": "on"}),
    "team-name": Case("post", "/team/name/", (LOGIN, 302, 302, 404), {"name": "Renamed"}),
    "submit": Case("post", "/team/submit/xf/eval/", (LOGIN, 302, 302, 403), REF),
    # The proxy's question before it reads an upload (204: a team member may send a body).
    "upload-allowed": Case("get", "/uploads/allowed/", (401, 204, 204, 403)),
    "run": Case("get", "/runs/{run}/", (LOGIN, HIDDEN, 200, 200)),
    "select-for-final": Case(
        "post",
        "/team/select/xf/final/",
        (LOGIN, 302, 302, 403),
        {"run": "{run}", "confirmed": "yes"},
    ),
    "cancel-run": Case("post", "/runs/{queued_run}/cancel/", (LOGIN, HIDDEN, 302, 302)),
    "code-download": Case("get", "/submissions/{submission}/code/", (LOGIN, HIDDEN, 200, 200)),
    "organiser": Case("get", "/organiser/xf/", (LOGIN, 403, 403, 200)),
    "organiser-what-if": Case(
        "get", "/organiser/xf/what-if/?max_score_gap=5", (LOGIN, 403, 403, 200)
    ),
    "organiser-close-stage": Case(
        "post", "/organiser/xf/phases/eval/stage/", (LOGIN, 403, 403, 302)
    ),
    "organiser-next-edition": Case("post", "/organiser/xf/next-edition/", (LOGIN, 403, 403, 302)),
    "organiser-pairing": Case("get", "/organiser/xf/pairing/", (LOGIN, 403, 403, 200)),
    "organiser-pairing-action": Case(
        "post", "/organiser/xf/pairing/discard/", (LOGIN, 403, 403, 302)
    ),
    "organiser-limits": Case("post", "/organiser/xf/limits/", (LOGIN, 403, 403, 302), LIMITS),
    "organiser-rule": Case("post", "/organiser/xf/rule/", (LOGIN, 403, 403, 302), RULE),
    "organiser-audit": Case(
        "post", "/organiser/xf/phases/eval/audit/", (LOGIN, 403, 403, 302), {"rounds": "5"}
    ),
    "organiser-audit-cancel": Case(
        "post", "/organiser/audits/{audit}/cancel/", (LOGIN, 403, 403, 302)
    ),
    "organiser-phase-rules": Case(
        "post", "/organiser/xf/phases/eval/rules/", (LOGIN, 403, 403, 302), PHASE_RULES
    ),
    "organiser-teams-see": Case(
        "post", "/organiser/xf/phases/eval/teams-see/", (LOGIN, 403, 403, 302), {"live": "1"}
    ),
    "organiser-phase-action": Case(
        "post", "/organiser/xf/phases/final/publish/", (LOGIN, 403, 403, 302), {"confirmed": "yes"}
    ),
    "organiser-confirm-publish": Case(
        "get", "/organiser/xf/phases/final/publish/confirm/", (LOGIN, 403, 403, 200)
    ),
    "organiser-run-action": Case(
        "post", "/organiser/runs/{run}/disqualify/", (LOGIN, 403, 403, 302)
    ),
    "api-submit": Case(
        "post", "/api/v1/competitions/xf/phases/eval/submissions/", (401, 201, 201, 403), REF
    ),
    # The final allows selecting (the fixture): another team's run is not one's own to select.
    "api-select-for-final": Case(
        "post",
        "/api/v1/competitions/xf/phases/final/select-for-final/",
        (401, 409, 201, 403),
        {"run": "{run}"},
    ),
    "api-submission": Case("get", "/api/v1/submissions/{submission}/", (401, 404, 200, 200)),
    "api-leaderboard": Case(
        "get", "/api/v1/competitions/xf/leaderboard/?phase=eval", (200, 200, 200, 200)
    ),
    "api-competitions": Case("get", "/api/v1/competitions/", (200, 200, 200, 200)),
    "api-competition": Case("get", "/api/v1/competitions/xf/", (200, 200, 200, 200)),
    "api-my-submissions": Case("get", "/api/v1/me/submissions/", (401, 200, 200, 403)),
    "api-cancel": Case(
        "post", "/api/v1/submissions/{queued_submission}/cancel/", (401, 404, 200, 200)
    ),
    "how-to-submit": Case("get", "/c/xf/how-to-submit/", (200, 200, 200, 200)),
    "starter-kit": Case("get", "/c/xf/starter-kit.tar.gz", (200, 200, 200, 200)),
    "sample-input": Case("get", "/c/xf/sample-input.tar.gz", (200, 200, 200, 200)),
    "create-token": Case("post", "/team/token/", (LOGIN, 200, 200, 200)),
    "revoke-token": Case("post", "/team/token/revoke/", (LOGIN, 302, 302, 302)),
    # Debug runs: a team's own (the fixture's is Alpha's, older than the rate limit's window).
    "debug-runs": Case("get", "/c/xf/debug-runs/", (LOGIN, 200, 200, 200)),
    "debug-start": Case("post", "/team/debug/xf/", (LOGIN, 302, 302, 403), REF),
    "debug-run": Case("get", "/debug-runs/{debug_run}/", (LOGIN, HIDDEN, 200, 200)),
    "api-debug-runs": Case(
        "post", "/api/v1/competitions/xf/debug-runs/", (401, 201, 201, 403), REF
    ),
    "api-debug-run": Case("get", "/api/v1/debug-runs/{debug_run}/", (401, 404, 200, 200)),
    "api-schema": Case("get", "/api/v1/schema/", (200, 200, 200, 200)),
    "api-docs": Case("get", "/api/v1/docs/", (200, 200, 200, 200)),
}


def _names(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            yield f"{namespace}{pattern.name or f'<unnamed {pattern.pattern}>'}"


def site_url_names() -> set[str]:
    return {n for n in _names(get_resolver().url_patterns) if not n.startswith("admin:")}


def test_every_url_has_a_row_in_the_matrix():
    missing = site_url_names() - set(MATRIX)
    assert not missing, f"add these URLs to the authorization matrix: {sorted(missing)}"
    assert not set(MATRIX) - site_url_names(), "the matrix lists URLs that no longer exist"


@pytest.fixture
def objects(world, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    Phase.objects.filter(pk=world.final.pk).update(final_from_selection=True)
    finished = submit_ref(world.alpha, world.eval)
    run = finish(finished, overall=70.0, runtime=10.0)
    finished.code_archive.save("code.zip", ContentFile(b"PK\x05\x06" + b"\0" * 18))
    queued = submit_ref(world.alpha, world.eval)
    debug_run = DebugRun.objects.create(
        team=world.alpha, competition=world.competition, image_ref=REF["image_ref"], queue="q"
    )
    DebugRun.objects.filter(pk=debug_run.pk).update(created_at=timezone.now() - timedelta(days=1))
    return {
        "debug_run": debug_run.pk,
        "run": run.pk,
        "queued_run": queued.runs.get().pk,
        "queued_submission": queued.pk,
        "submission": finished.pk,
        "eval_pk": world.eval.pk,
        "audit": TimingAudit.objects.create(phase=world.eval).pk,
    }


def _client(world, role) -> Client:
    client = Client()
    user = {"other": world.bob, "member": world.ada, "organiser": world.olga}.get(role)
    if user is not None:
        client.force_login(user)
    return client


def _check(response, expected, role, name):
    if expected == LOGIN:
        assert response.status_code == 302, (name, role, response.status_code)
        assert response["Location"].startswith("/accounts/login/"), (name, role)
    else:
        assert response.status_code == expected, (
            f"{name} as {role}: expected {expected}, got {response.status_code}: "
            f"{response.content[:300]!r}"
        )


@pytest.mark.parametrize("name", sorted(MATRIX))
@pytest.mark.parametrize("role", ROLES)
def test_matrix(name, role, world, objects):
    case = MATRIX[name]
    url = case.url.format(**objects)
    data = {
        k.format(**objects): v.format(**objects) if isinstance(v, str) else v
        for k, v in (case.data or {}).items()
    }
    client = _client(world, role)
    response = (
        getattr(client, case.method)(url, data) if data else getattr(client, case.method)(url)
    )
    _check(response, case.expect[ROLES.index(role)], role, name)


def test_admin_is_staff_only(world):
    for role in ROLES:
        response = _client(world, role).get("/admin/")
        if role == "organiser":
            assert response.status_code == 200
        else:
            assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_other_team_cannot_see_logs_or_scores_of_a_run(world, objects):
    client = _client(world, "other")
    assert client.get(f"/runs/{objects['run']}/").status_code == 404
    assert client.get(f"/api/v1/submissions/{objects['submission']}/").status_code == 404
    member = _client(world, "member").get(f"/runs/{objects['run']}/").content.decode()
    assert "predicting..." in member  # the logs are on the team's own page


def test_code_published_to_participants_only_after_the_phase_ends_for_good(world, objects):
    url = f"/submissions/{objects['submission']}/code/"
    assert _client(world, "other").get(url).status_code == 404
    # The organisers' reversible "Close" shares nothing (issue 14, finding 5) ...
    world.eval.is_open = False
    world.eval.save()
    assert _client(world, "other").get(url).status_code == 404
    # ... ending it for good does (and so does its close time passing: see test_pages).
    organiser_client = _client(world, "organiser")
    unconfirmed = organiser_client.post("/organiser/xf/phases/eval/end/", follow=True)
    assert "tick the box to confirm" in unconfirmed.content.decode()
    assert _client(world, "other").get(url).status_code == 404
    organiser_client.post("/organiser/xf/phases/eval/end/", {"confirmed": "yes"})
    assert _client(world, "other").get(url).status_code == 200
    world.eval.refresh_from_db()
    assert organiser_client.post("/organiser/xf/phases/eval/open/").status_code == 302
    world.eval.refresh_from_db()
    assert not world.eval.is_open and world.eval.ended_at is not None
    assert _client(world, "anonymous").get(url).status_code == 302
    world.competition.publish_code_after_close = False
    world.competition.save()
    assert _client(world, "other").get(url).status_code == 404
    assert Submission.objects.get(pk=objects["submission"]).code_archive


def test_a_team_member_on_an_organiser_page_reads_why_on_the_sites_own_403(world):
    response = logged_in(world.ada).get("/organiser/xf/")
    page = response.content.decode()
    assert response.status_code == 403 and "Only the organisers may see this page." in page
    assert "<nav" in page  # the site's layout, not a bare error
