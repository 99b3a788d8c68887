"""Production mode is HTTPS only: `check --deploy` is clean of W004/W008, http is redirected, HSTS.

Extends tests/foundation/test_settings.py (which checks production refuses to start half-set).
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def production(code: list[str], **extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG"}}
    env.update(
        PODIUM_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="podium.example.org",
        DJANGO_SETTINGS_MODULE="podium.settings",
        **extra,
    )
    return subprocess.run(
        [sys.executable, *code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_reports_neither_hsts_nor_ssl_redirect_warnings():
    done = production(["manage.py", "check", "--deploy"])
    report = done.stdout + done.stderr
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning not in report, report


REQUESTS = """
import django
django.setup()
from django.test import Client
client = Client(HTTP_HOST="podium.example.org")
plain = client.get("/no-such-page/")
print("plain", plain.status_code, plain.get("Location"))
secure = client.get("/no-such-page/", HTTP_X_FORWARDED_PROTO="https")
print("secure", secure.status_code, secure.get("Strict-Transport-Security"))
"""


def test_http_is_redirected_and_https_answers_carry_hsts():
    done = production(["-c", REQUESTS])
    assert done.returncode == 0, done.stderr[-2000:]
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    assert lines["plain"] == "301 https://podium.example.org/no-such-page/"
    status, hsts = lines["secure"].split(" ", 1)
    assert status == "404" and hsts.startswith("max-age=") and int(hsts[8:].split(";")[0]) > 0


def test_the_redirect_can_be_turned_off_for_a_closed_network():
    done = production(["-c", REQUESTS], SECURE_SSL_REDIRECT="0")
    assert done.stdout.splitlines()[0] == "plain 404 None", done.stdout + done.stderr[-2000:]
