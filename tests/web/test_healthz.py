"""/healthz: 200 with every dependency answering (real database, Redis, artifact store), 503
naming the one that does not."""

import pytest

pytestmark = [pytest.mark.redis, pytest.mark.django_db]


@pytest.fixture
def live(settings, redis_url, artifact_store):
    settings.PODIUM_DISPATCH = "celery"
    settings.REDIS_URL = redis_url
    return settings


def test_all_checks_pass(client, live):
    response = client.get("/healthz")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True, "broker": True, "artifact_store": True,
    }  # fmt: skip
    assert "no-cache" in response["Cache-Control"]


def test_a_broker_that_does_not_answer_gives_503(client, live):
    from tests.factories import free_port

    live.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert not checks["broker"]["ok"] and "ConnectionError" in checks["broker"]["detail"]
    assert checks["database"]["ok"] and checks["artifact_store"]["ok"]


def test_an_unusable_artifact_store_gives_503(client, live, tmp_path):
    not_a_folder = tmp_path / "store-is-a-file"
    not_a_folder.write_text("")
    live.STORAGES = {
        **live.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(not_a_folder)},
        },
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert not checks["artifact_store"]["ok"] and checks["broker"]["ok"]
