"""Fixtures of the hardening suite: a private artifact store, token clients, a worker context."""

import pytest


@pytest.fixture
def token_for(db):
    """`token_for(user)` -> the API token key of that user (created once)."""
    from rest_framework.authtoken.models import Token

    def make(user) -> str:
        return Token.objects.get_or_create(user=user)[0].key

    return make


@pytest.fixture
def worker(tmp_path, artifact_store):
    from competitions.worker.context import WorkerContext

    return WorkerContext(name="hardening-worker", work_dir=tmp_path / "worker")


@pytest.fixture
def checked_uploads(settings, artifact_store):
    """Uploaded archives checked against the small limit of tests/archives.py; the upload rate
    starts uncounted (one upload per case, more cases than the hourly rate)."""
    from django.core.cache import cache

    from tests.archives import UNPACKED_LIMIT

    cache.clear()
    settings.PODIUM_CHECK_UPLOADED_ARCHIVES = True
    settings.PODIUM_MAX_IMAGE_UNPACKED_BYTES = UNPACKED_LIMIT
