"""From zero to a scored run: the how-to page and its downloads, self-service API tokens, and the
API a script needs (competitions with rules and limits, my submissions, cancel)."""

import io
import json
import tarfile

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from competitions.models import Run, Submission
from competitions.services.starter_kit import starter_kit
from tests.factories import api_client, finish, logged_in, submit_ref

pytestmark = pytest.mark.django_db


def tar_members(response) -> dict[str, bytes]:
    data = b"".join(response.streaming_content)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        return {m.name: archive.extractfile(m).read() for m in archive.getmembers() if m.isfile()}


# --- the how-to page ---------------------------------------------------------------------------


def test_how_to_page_shows_contract_limits_downloads_and_commands(world, client):
    world.competition.time_limit_s, world.competition.memory_mb = 1234, 5678
    world.competition.save()
    page = client.get("/c/xf/how-to-submit/").content.decode()
    assert "What the container must leave" in page  # the contract, from docs/
    assert "1234 s" in page and "5678 MB" in page
    assert "/c/xf/starter-kit.tar.gz" in page and "/c/xf/sample-input.tar.gz" in page
    assert "evaluator.cli check myteam/model:1 --rules podium-starter-xf/competition.json" in page
    assert "podium submit --competition xf --phase eval" in page
    assert "<script" not in page.split("The submission contract")[1]  # raw HTML never passed


def test_competition_and_team_pages_link_the_how_to_page(world, client):
    assert "/c/xf/how-to-submit/" in client.get("/c/xf/").content.decode()
    assert "/c/xf/how-to-submit/" in logged_in(world.ada).get("/team/").content.decode()


def test_starter_kit_holds_the_baseline_loader_contract_and_the_rules(
    world, client, artifact_store
):
    response = client.get("/c/xf/starter-kit.tar.gz")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    files = tar_members(response)
    top = "podium-starter-xf/"
    for needed in (
        "baselines/mbert/train.py",
        "baselines/mbert/predict.py",
        "baselines/mbert/data.py",
        "evaluator/data/synthetic.py",
        "docs/submission-contract.md",
        "docker/examples/valid/Dockerfile",
        "evaluator/cli.py",
        "evaluator/check.py",
        "competition.json",
        "requirements.txt",
        "sample/gold/panx/test-de.tsv",
    ):
        assert top + needed in files, needed
    readme = files[top + "README.txt"].decode()
    assert f"{world.competition.time_limit_s} s" in readme and "xnli: de, en" in readme
    # Built once, then served from the artifact store under a content-derived name.
    assert starter_kit(world.competition) == starter_kit(world.competition)
    assert len(list((artifact_store / "downloads").iterdir())) == 1


def test_sample_input_is_the_hidden_layout_of_the_competitions_tasks(world, client, artifact_store):
    files = tar_members(client.get("/c/xf/sample-input.tar.gz"))
    manifest = json.loads(files["sample-xf/input/manifest.json"])
    assert set(manifest["tasks"]) == {"xnli", "panx"}
    assert "sample-xf/input/panx/test-de.jsonl" in files
    assert "sample-xf/gold/panx/test-de.tsv" in files


# --- API tokens on the team page ---------------------------------------------------------------


def test_token_is_created_shown_once_used_and_revoked(world):
    browser = logged_in(world.ada)
    created = browser.post("/team/token/")
    assert created.status_code == 200 and created["Cache-Control"] == "no-store"
    key = Token.objects.get(user=world.ada).key
    assert key in created.content.decode()
    team_page = browser.get("/team/").content.decode()
    assert key not in team_page and "You have a token" in team_page

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/me/submissions/").status_code == 200

    browser.post("/team/token/revoke/")
    assert not Token.objects.filter(user=world.ada).exists()
    assert api.get("/api/v1/me/submissions/").status_code == 401


def test_a_new_token_replaces_the_old_one(world):
    browser = logged_in(world.ada)
    browser.post("/team/token/")
    first = Token.objects.get(user=world.ada).key
    browser.post("/team/token/")
    assert Token.objects.get(user=world.ada).key != first


def test_token_actions_need_a_login_and_a_post(world):
    assert Client().post("/team/token/").status_code == 302
    assert logged_in(world.ada).get("/team/token/").status_code == 405
    assert not Token.objects.exists()


# --- the API a script needs -------------------------------------------------------------------


def test_competitions_list_phases_rules_and_limits(world):
    body = APIClient().get("/api/v1/competitions/").json()
    (comp,) = body
    assert comp["slug"] == "xf" and comp["tasks"] == {"xnli": ["de", "en"], "panx": ["de", "en"]}
    assert comp["limits"]["time_limit_s"] == world.competition.time_limit_s
    assert comp["efficiency_rule"]["bonus_places"] == [2, 1]
    phases = {p["key"]: p for p in comp["phases"]}
    assert phases["eval"]["max_attempts"] == 3 and phases["final"]["max_attempts"] == 1
    assert comp["how_to_submit"].endswith("/c/xf/how-to-submit/")
    one = APIClient().get("/api/v1/competitions/xf/").json()
    assert one == comp
    assert APIClient().get("/api/v1/competitions/nope/").status_code == 404


def test_my_submissions_with_attempts_left(world):
    finish(submit_ref(world.alpha, world.eval, user=world.ada), overall=70.0, runtime=10.0)
    submit_ref(world.alpha, world.eval, user=world.ada)
    submit_ref(world.beta, world.eval, user=world.bob)
    body = api_client(world.ada).get("/api/v1/me/submissions/?competition=xf&phase=eval").json()
    assert body["team"] == "Alpha"
    assert body["phases"] == [
        {
            "competition": "xf",
            "phase": "eval",
            "accepts_submissions": True,
            "max_attempts": 3,
            "attempts_left": 1,
        }
    ]
    assert [s["status"] for s in body["submissions"]] == ["queued", "finished"]
    assert {s["team"] for s in body["submissions"]} == {"Alpha"}


def test_my_submissions_refuses_without_token_or_team(world):
    assert APIClient().get("/api/v1/me/submissions/").status_code == 401
    assert api_client(world.olga).get("/api/v1/me/submissions/").status_code == 403


def test_cancel_a_queued_run_gives_the_attempt_back(world):
    submission = submit_ref(world.alpha, world.eval, user=world.ada)
    api = api_client(world.ada)
    response = api.post(f"/api/v1/submissions/{submission.pk}/cancel/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    assert not Submission.objects.get(pk=submission.pk).counts_as_attempt
    body = api.get("/api/v1/me/submissions/?phase=eval").json()
    assert body["phases"][0]["attempts_left"] == 3
    again = api.post(f"/api/v1/submissions/{submission.pk}/cancel/")
    assert again.status_code == 409 and "only a queued run" in again.json()["detail"]


def test_cancel_refuses_a_run_already_started_and_other_teams(world):
    submission = submit_ref(world.alpha, world.eval, user=world.ada)
    finish(submission, overall=70.0, runtime=10.0)
    assert (
        api_client(world.ada).post(f"/api/v1/submissions/{submission.pk}/cancel/").status_code
        == 409
    )
    other = submit_ref(world.alpha, world.eval, user=world.ada)
    assert api_client(world.bob).post(f"/api/v1/submissions/{other.pk}/cancel/").status_code == 404
    assert Run.objects.get(submission=other).status == "queued"


def test_how_to_page_names_the_hardware_runs_were_measured_on(world, client):
    run = finish(submit_ref(world.beta, world.eval), overall=70.0, runtime=10.0)
    Run.objects.filter(pk=run.pk).update(
        hardware={
            "gpu_model": "NVIDIA H100",
            "cpu_model": "EPYC 9454",
            "cpu_cores": 8,
            "memory_gb": 64,
        },
        hardware_id="h100-node",
    )
    page = client.get("/c/xf/how-to-submit/").content.decode()
    assert "NVIDIA H100 GPU · EPYC 9454 (8 cores) · 64 GB" in page
    assert "gpu-default" in page  # the hardware class (queue) from the competition's row
