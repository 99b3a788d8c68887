"""Settings for the web tests (the `world` fixture itself is in tests/conftest.py).

Celery messages go to kombu's in-memory transport: submissions are queued for real (the run row,
the message) without a Redis server, and without the ~6 s connection retries an absent one costs.
"""

import pytest

from tests.factories import use_memory_broker


@pytest.fixture(autouse=True)
def _memory_broker():
    use_memory_broker()


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Rendered boards are cached by version; row ids repeat between tests on a rolled-back DB.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The production hasher costs ~0.3 s per login; these tests log in hundreds of times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
