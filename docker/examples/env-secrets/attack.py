"""Hostile: prints its whole environment and any file that looks like a credential."""

import os

for key, value in sorted(os.environ.items()):
    print(f"ENV {key}={value}")
for path in [
    "/run/secrets",
    "/var/run/docker.sock",
    "/root/.docker/config.json",
    "/proc/1/environ",
]:
    print(f"PATH {path} exists={os.path.exists(path)}")
