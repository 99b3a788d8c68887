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
