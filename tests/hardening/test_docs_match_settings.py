"""What docs/security.md and docs/deploy.md say about defaults is what the settings do."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def setting(name: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PODIUM_")}
    code = (
        f"import django; django.setup(); from django.conf import settings; print(settings.{name})"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=True)  # fmt: skip
    return done.stdout.strip()


def test_upload_archive_checks_are_documented_as_on_by_default_and_are():
    assert setting("PODIUM_CHECK_UPLOADED_ARCHIVES") == "True"
    security = (ROOT / "docs" / "security.md").read_text()
    assert "archive checks are off by default" not in security
    assert "`PODIUM_CHECK_UPLOADED_ARCHIVES`, on by default" in security


def test_documented_login_and_api_limits_are_the_defaults():
    deploy = (ROOT / "docs" / "deploy.md").read_text()
    assert setting("AXES_FAILURE_LIMIT") == "5" and "Five wrong passwords" in deploy
    assert setting("AXES_COOLOFF_TIME") == "0:15:00" and "for 15 minutes" in deploy
    for name, value in (("ANON", "300/minute"), ("USER", "1200/minute"), ("UPLOAD", "30/hour")):
        assert setting(f"PODIUM_API_{name}_RATE") == value
        assert f"`PODIUM_API_{name}_RATE`\n({value})" in deploy or (
            f"`PODIUM_API_{name}_RATE` ({value})" in deploy
        ), name
