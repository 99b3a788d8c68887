"""Each refusal has one status and one message, whichever door the submission came through (the
team page's form or the API), and "may this team submit now" has one answer everywhere."""

import pytest

from competitions.models import Phase
from competitions.services.eligibility import answer, attempt_budget, refusal_now
from tests.factories import DIGEST, api_client, finish, logged_in, submit_ref

pytestmark = pytest.mark.django_db


def _through_both_doors(world, user):
    ref = f"registry.local/alpha@{DIGEST}"
    form = logged_in(user).post(
        "/team/submit/xf/eval/", {"image_ref": ref}, HTTP_X_REQUESTED_WITH="XMLHttpRequest"
    )
    api = api_client(user).post(
        "/api/v1/competitions/xf/phases/eval/submissions/", {"image_ref": ref}, format="multipart"
    )
    return (form.status_code, form.json()["error"]), (api.status_code, api.json()["detail"])


def test_a_closed_phase_is_refused_alike_by_the_form_and_the_api(world):
    Phase.objects.filter(pk=world.eval.pk).update(is_open=False)
    form, api = _through_both_doors(world, world.ada)
    expected = answer(refusal_now(world.alpha, Phase.objects.get(pk=world.eval.pk)))
    assert form == api == (expected.status, expected.message)
    assert form[0] == 403 and "not accepting submissions" in form[1]


def test_no_attempt_left_is_refused_alike_by_the_form_and_the_api(world):
    for _ in range(world.eval.max_attempts):
        finish(submit_ref(world.alpha, world.eval), overall=70.0, runtime=5.0)
    budget = attempt_budget(world.alpha, world.eval)
    assert budget.exhausted and budget.left == 0 and budget.used == world.eval.max_attempts
    form, api = _through_both_doors(world, world.ada)
    assert form == api and form[0] == 409 and "has used all 3 attempts" in form[1]


def test_the_team_page_the_catalogue_and_submit_give_one_answer(world):
    client = logged_in(world.ada)
    catalogue = api_client(world.ada).get("/api/v1/me/submissions/").json()
    open_now = {p["phase"]: p["accepts_submissions"] for p in catalogue["phases"]}
    assert open_now["eval"] is (refusal_now(world.alpha, world.eval) is None) is True
    Phase.objects.filter(pk=world.eval.pk).update(is_open=False)
    catalogue = api_client(world.ada).get("/api/v1/me/submissions/").json()
    assert {p["phase"]: p["accepts_submissions"] for p in catalogue["phases"]}["eval"] is False
    assert client.get("/team/").status_code == 200
    # A reference team is exempt from the phase's window and its attempts.
    closed = Phase.objects.get(pk=world.eval.pk)
    assert refusal_now(world.baseline, closed) is None
    assert attempt_budget(world.baseline, closed).exempt
