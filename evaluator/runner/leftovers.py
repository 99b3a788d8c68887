"""Names a worker gives what it loads, and the clean-up of what a crashed worker left behind."""

from __future__ import annotations

import contextlib
import re

import docker

from .lockdown import LABEL, OWNER_LABEL

# Team images are loaded under this repository (reserved: no archive can carry the name).
TEAM_IMAGES = "podium-team"


def team_image_name(owner: str, key: str) -> str:
    """The name ("repository:tag") a worker loads a team's image under: never the archive's."""
    slug = re.sub(r"[^a-z0-9]+", "-", owner.lower()).strip("-") or "worker"
    return f"{TEAM_IMAGES}/{slug}:{key}"


def remove_leftovers(client, owner: str = "default", keep: frozenset[str] = frozenset()) -> int:
    """Remove what a crashed worker `owner` left behind; returns how many objects.

    Containers (with their anonymous volumes) and volumes carrying its owner label, and the
    team images it loaded under its own name. Call it when a worker starts, before it takes a
    run: nothing a runner creates survives a clean run, so anything found belongs to a run that
    died with it, except the tags in `keep`: the image cache's, checked against its record.
    """
    removed = 0
    labels = {"label": [LABEL, f"{OWNER_LABEL}={owner}"]}
    for container in client.containers.list(all=True, filters=labels):
        container.remove(force=True, v=True)
        removed += 1
    for volume in client.volumes.list(filters=labels):
        volume.remove(force=True)
        removed += 1
    repository = team_image_name(owner, "x").rsplit(":", 1)[0]
    for image in client.images.list(name=repository):
        for tag in image.tags:
            if tag.startswith(repository + ":") and tag not in keep:
                with contextlib.suppress(docker.errors.NotFound):
                    client.images.remove(tag)
                removed += 1
    return removed
