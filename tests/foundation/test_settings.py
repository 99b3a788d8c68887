"""Settings come from the environment; production refuses to start half-configured."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def start(env: dict) -> subprocess.CompletedProcess:
    full = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "DEBUG"}
    }
    full.update(env)
    code = "import django; django.setup(); from django.conf import settings as s; print(s.DATABASES['default']['ENGINE'], s.DEBUG)"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=full, capture_output=True, text=True
    )


def test_production_without_secret_key_refuses_to_start():
    result = start({"PODIUM_ENV": "production", "ALLOWED_HOSTS": "podium.example.com"})
    assert result.returncode != 0
    assert "needs SECRET_KEY" in result.stderr


def test_production_without_allowed_hosts_refuses_to_start():
    result = start({"PODIUM_ENV": "production", "SECRET_KEY": "x" * 50})
    assert result.returncode != 0 and "ALLOWED_HOSTS" in result.stderr


def test_defaults_are_sqlite_and_debug_off_and_postgres_from_url():
    result = start({})
    assert result.stdout.split() == ["django.db.backends.sqlite3", "False"]
    result = start({"DATABASE_URL": "postgres://u:p@127.0.0.1:5432/podium"})
    assert result.stdout.split()[0] == "django.db.backends.postgresql"
    result = start(
        {"PODIUM_ENV": "production", "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "a.example"}
    )
    assert result.returncode == 0, result.stderr


def test_static_files_are_served_without_collectstatic(settings, tmp_path):
    """The demo serves its CSS and vendored JS with DEBUG off, straight from static/."""
    from django.test import Client

    settings.STATIC_ROOT = tmp_path / "never-collected"
    client = Client()  # a new handler, so WhiteNoise starts with these settings
    for path in ("/static/podium.css", "/static/vendor/htmx.min.js"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert b"".join(response.streaming_content)
