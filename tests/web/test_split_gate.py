"""A phase never takes a team's submission without a hidden split verified for its current data,
whether its schedule or the organiser opened it: the form and the API refuse with the one status
and message of eligibility.py, and the team page says the data is being prepared."""

from datetime import timedelta

import pytest
from django.utils import timezone

from competitions.models import Phase, Submission
from competitions.services import organiser
from competitions.services.eligibility import SplitNotReady, answer, refusal_now
from tests.factories import DIGEST, api_client, logged_in, splits_prepared, submit_ref

pytestmark = pytest.mark.django_db

TEAM_WORDS = "not open yet: the organisers are preparing this phase&#x27;s data"


def _unprepared(phase: Phase) -> None:
    Phase.objects.filter(pk=phase.pk).update(
        split_key="", split_verified=False, split_built_at=None
    )


def _post_both(user):
    ref = f"registry.local/alpha@{DIGEST}"
    form = logged_in(user).post(
        "/team/submit/xf/eval/", {"image_ref": ref}, HTTP_X_REQUESTED_WITH="XMLHttpRequest"
    )
    api = api_client(user).post(
        "/api/v1/competitions/xf/phases/eval/submissions/", {"image_ref": ref}, format="multipart"
    )
    return form, api


def _both_doors(user):
    form, api = _post_both(user)
    return (form.status_code, form.json().get("error")), (api.status_code, api.json()["detail"])


def _refused_everywhere(world) -> None:
    phase = Phase.objects.get(pk=world.eval.pk)
    refusal = refusal_now(world.alpha, phase)
    assert isinstance(refusal, SplitNotReady)
    expected = answer(refusal)
    assert expected.message == (
        "Phase not open yet: the organisers are preparing this phase's data."
    )
    form, api = _both_doors(world.ada)
    assert form == api == (403, expected.message)
    assert not Submission.objects.filter(team=world.alpha, phase=phase).exists()
    page = logged_in(world.ada).get("/team/").content.decode()
    card = page[page.index('data-phase="eval"') :]
    card = card[: card.index("</section>")]
    assert TEAM_WORDS in card and 'data-testid="preparing"' in card
    assert "prepare_splits" not in card and 'name="image_ref"' not in card
    catalogue = api_client(world.ada).get("/api/v1/me/submissions/").json()
    assert {p["phase"]: p["accepts_submissions"] for p in catalogue["phases"]}["eval"] is False


def test_a_phase_opened_by_its_schedule_without_a_split_refuses_teams(world):
    _unprepared(world.eval)
    Phase.objects.filter(pk=world.eval.pk).update(
        is_open=True, opens=timezone.now() - timedelta(minutes=5)
    )
    assert Phase.objects.get(pk=world.eval.pk).accepts_submissions(timezone.now())
    _refused_everywhere(world)
    # Once prepare_splits has verified it, the same phase takes the same submission.
    splits_prepared(Phase.objects.get(pk=world.eval.pk))
    form, api = _post_both(world.ada)
    assert (form.status_code, api.status_code) == (201, 201)


def test_a_phase_opened_by_hand_without_a_split_still_refuses_teams(world):
    _unprepared(world.eval)
    Phase.objects.filter(pk=world.eval.pk).update(is_open=False)
    response = logged_in(world.olga).post(
        "/organiser/xf/phases/eval/open/", {"without_split": "1"}, follow=True
    )
    assert response.status_code == 200 and Phase.objects.get(pk=world.eval.pk).is_open
    _refused_everywhere(world)


def test_a_stale_split_refuses_too_and_the_reference_team_is_exempt(world):
    world.competition.data_config = {"source": "synthetic", "size": "tiny", "seed": 7}
    world.competition.save()  # the data changed after the split was built: stale
    _refused_everywhere(world)
    assert refusal_now(world.baseline, Phase.objects.get(pk=world.eval.pk)) is None
    assert submit_ref(world.baseline, Phase.objects.get(pk=world.eval.pk)).pk


def test_a_closed_phase_still_says_closed_not_preparing(world):
    _unprepared(world.eval)
    organiser.close_phase(world.eval)
    refusal = refusal_now(world.alpha, Phase.objects.get(pk=world.eval.pk))
    assert not isinstance(refusal, SplitNotReady) and "not accepting" in str(refusal)
