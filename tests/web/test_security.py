"""Second-round hardening of the site: login lockout, API throttles, CSP, upload names, GPU-hours."""

import io
import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from competitions.models import Submission
from competitions.services.eligibility import SubmissionRefused
from competitions.services.submissions import Artifact, submit
from tests.factories import DIGEST, PASSWORD, api_client

pytestmark = pytest.mark.django_db

SUBMIT = "/api/v1/competitions/xf/phases/eval/submissions/"
BOARD_API = "/api/v1/competitions/xf/leaderboard/?phase=eval"


def log_in(client: Client, username: str, password: str):
    return client.post("/accounts/login/", {"username": username, "password": password})


# Login throttling (django-axes) ------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_login_even_for_the_right_one(world, settings):
    client = Client()
    answers = [
        log_in(client, "ada", "guess").status_code for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    # The form again with its error each time, until the last failure locks.
    assert answers == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    locked = log_in(client, "ada", PASSWORD)
    assert locked.status_code == 429
    text = locked.content.decode()
    assert "Too many wrong passwords for ada" in text and "try again" in text
    assert "_auth_user_id" not in client.session


def test_fewer_failures_then_the_right_password_logs_in_and_forgets_them(world, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "ada", "guess")
    assert log_in(client, "ada", PASSWORD).status_code == 302
    client.logout()
    # The successful login reset the count: another near-limit run is still not a lockout.
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "ada", "guess")
    assert log_in(client, "ada", PASSWORD).status_code == 302


def test_one_users_lockout_does_not_lock_out_a_teammate_or_the_test_clients_login(world, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(Client(), "ada", "guess")
    assert log_in(Client(), "bob", PASSWORD).status_code == 302
    assert Client().login(username="bob", password=PASSWORD)


def test_lockout_counts_the_address_the_proxy_saw_not_one_the_client_wrote(settings):
    from podium.security import forwarded_client

    assert forwarded_client("10.0.0.2", "", 1) == "10.0.0.2"
    assert forwarded_client("10.0.0.2", "6.6.6.6, 203.0.113.7", 1) == "203.0.113.7"
    assert forwarded_client("10.0.0.2", "6.6.6.6, 203.0.113.7", 0) == "10.0.0.2"


# API throttles -----------------------------------------------------------------------------------


def test_anonymous_api_reads_are_throttled_with_429(world, settings):
    settings.PODIUM_API_ANON_RATE = "3/minute"
    client = APIClient()
    assert [client.get(BOARD_API).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get(BOARD_API)
    assert refused.status_code == 429 and "available in" in refused.json()["detail"]
    # A signed-in user counts under the user rate.
    assert api_client(world.ada).get(BOARD_API).status_code == 200


def test_each_client_counts_under_one_rate_anonymous_ones_under_the_anonymous_rate(world, settings):
    # The load benchmark raises the anonymous rate for its server; the user rate must not then
    # throttle anonymous readers by address (it did: every 1,201st request a minute was a 429).
    settings.PODIUM_API_ANON_RATE = "6/minute"
    settings.PODIUM_API_USER_RATE = "3/minute"
    anonymous, ada = APIClient(), api_client(world.ada)
    assert [anonymous.get(BOARD_API).status_code for _ in range(6)] == [200] * 6
    assert anonymous.get(BOARD_API).status_code == 429
    assert [ada.get(BOARD_API).status_code for _ in range(3)] == [200] * 3
    assert ada.get(BOARD_API).status_code == 429


def test_submissions_have_a_stricter_rate_than_other_api_calls(world, settings):
    settings.PODIUM_API_UPLOAD_RATE = "2/hour"
    client = api_client(world.ada)
    for _ in range(2):
        assert client.post(SUBMIT, {"image_ref": f"r/a@{DIGEST}"}).status_code == 201
    refused = client.post(SUBMIT, {"image_ref": f"r/a@{DIGEST}"})
    assert refused.status_code == 429, refused.content
    assert client.get(BOARD_API).status_code == 200
    assert Submission.objects.count() == 2


# Content-Security-Policy -------------------------------------------------------------------------

INLINE = [
    # Data blocks (type="application/json") are never run, so the policy does not cover them.
    (
        re.compile(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>", re.I),
        "an inline <script>",
    ),
    (re.compile(r"<style\b", re.I), "a <style> element"),
    (re.compile(r"\sstyle=", re.I), "a style= attribute"),
    (re.compile(r"\son[a-z]+=", re.I), "an on...= handler"),
]


@pytest.mark.parametrize(
    "path",
    ["/", "/c/xf/", "/c/xf/leaderboard/eval/", "/team/", "/accounts/login/", "/api/v1/docs/"],
)
def test_pages_send_a_strict_csp_and_carry_nothing_inline_it_would_block(world, path):
    client = Client()
    client.force_login(world.ada)
    response = client.get(path)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    html = response.content.decode()
    for pattern, what in INLINE:
        assert not pattern.search(html), f"{path} has {what}: {pattern.search(html).group(0)}"


def test_the_swagger_start_up_script_is_served_as_a_script_of_its_own(world):
    response = Client().get("/api/v1/docs/?script=")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in response.content.decode()


# Upload names and declared GPU-hours -------------------------------------------------------------


def named(name: str, content: bytes = b"PK\x05\x06" + b"\0" * 18) -> io.BytesIO:
    upload = io.BytesIO(content)
    upload.name = name
    return upload


def test_a_code_archive_name_longer_than_the_store_keeps_is_a_400_not_a_503(world, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": settings.VAR_DIR / "test-artifacts-names"}},
    }  # fmt: skip
    long_name = "code." + "x" * 235  # the part after the first dot is kept in the stored name
    response = api_client(world.ada).post(
        SUBMIT, {"image_ref": f"r/a@{DIGEST}", "code": named(long_name)}, format="multipart"
    )
    assert response.status_code == 400, response.content
    assert "file name is 240 bytes long" in response.json()["detail"]
    assert "rename the file" in response.json()["detail"]
    web = Client()
    web.force_login(world.ada)
    page = web.post(
        "/team/submit/xf/eval/",
        {"image_ref": f"r/a@{DIGEST}", "code": named(long_name)},
        headers={"x-requested-with": "XMLHttpRequest"},
    )
    assert page.status_code == 400 and "file name is 240 bytes long" in page.json()["error"]
    assert not Submission.objects.exists()
    # An ordinary name is still fine.
    ok = api_client(world.ada).post(
        SUBMIT, {"image_ref": f"r/a@{DIGEST}", "code": named("code.tar.gz")}, format="multipart"
    )
    assert ok.status_code == 201, ok.content


@pytest.mark.parametrize("hours", ["1e308", "100001", "-1"])
def test_declared_gpu_hours_outside_the_bound_are_refused_with_a_message(world, hours):
    response = api_client(world.ada).post(
        SUBMIT, {"image_ref": f"r/a@{DIGEST}", "training_gpu_hours": hours}
    )
    assert response.status_code == 400, response.content
    assert "training_gpu_hours" in response.json()["errors"]
    web = Client()
    web.force_login(world.ada)
    page = web.post(
        "/team/submit/xf/eval/",
        {"image_ref": f"r/a@{DIGEST}", "training_gpu_hours": hours},
        headers={"x-requested-with": "XMLHttpRequest"},
    )
    assert page.status_code == 400 and "Ensure this value is" in page.json()["error"]
    with pytest.raises(SubmissionRefused, match="between 0 and 100,000"):
        submit(world.alpha, world.eval, Artifact(image_ref=f"r/a@{DIGEST}"),
               training_gpu_hours=float(hours))  # fmt: skip
    assert not Submission.objects.exists()
    fine = api_client(world.ada).post(
        SUBMIT, {"image_ref": f"r/a@{DIGEST}", "training_gpu_hours": "120.5"}
    )
    assert fine.status_code == 201
