"""A worker's cache of loaded team images, keyed by the sha256 of the archive they came from.

An archive whose bytes hash to a digest already loaded on this worker is not fetched or loaded
again: its image is under a worker-private tag (`team_image_name(owner, "sha256-<hex>")`), which
no archive or reference can carry (RESERVED_PREFIXES), so a team's submission only ever runs the
image its own archive's bytes produced. A record file lists each cached image's id, size and
last use; a tag is trusted only while Docker reports the recorded id for it, and an entry is
recorded only after `docker load` produced the id the layer check read from the archive, so a
worker that died half-way through a load leaves nothing that is trusted. Images beyond the disk
budget are removed least recently used first, after the run that used them.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .leftovers import team_image_name

log = logging.getLogger(__name__)


@dataclass
class CachedImage:
    image_id: str
    size_bytes: int
    last_used: float


class ImageCache:
    """The images one worker slot (`owner`) keeps, within `budget_bytes` (0: keep none)."""

    def __init__(self, client, owner: str, record: Path, budget_bytes: int) -> None:
        self.client, self.owner, self.record = client, owner, Path(record)
        self.budget_bytes = budget_bytes

    def tag(self, digest: str) -> str:
        return team_image_name(self.owner, f"sha256-{digest}")

    def get(self, digest: str) -> str | None:
        """The cached image id for an archive digest, marked as used now; None when not cached
        or when the tag no longer names the recorded image (then the entry is dropped)."""
        with self._entries() as entries:
            entry = entries.get(digest)
            if entry is None:
                return None
            if self._tagged_id(digest) != entry.image_id:
                log.warning("cached image for %s is gone or changed; loading again", digest[:12])
                entries.pop(digest)
                self._untag(digest)
                return None
            entry.last_used = time.time()
            return entry.image_id

    def add(self, digest: str, image_id: str) -> str:
        """Record a freshly loaded and checked image under its digest's tag (tagged here unless
        the load already named it so); returns the tag."""
        tag = self.tag(digest)
        repository, name = tag.rsplit(":", 1)
        self.client.api.tag(image_id, repository, name)
        size = int(self.client.images.get(image_id).attrs.get("Size") or 0)
        with self._entries() as entries:
            entries[digest] = CachedImage(image_id, size, time.time())
        return tag

    def trim(self) -> list[str]:
        """Remove least recently used images until the rest fit the budget; the digests
        removed. Called after a run, so the image just used is the last to go. An image some
        container (running or stopped, any slot's) still uses is never removed: it waits for
        a later trim, the cache over budget meanwhile."""
        removed = []
        with self._entries() as entries:
            in_use = self._images_in_use()
            by_age = sorted(entries, key=lambda d: entries[d].last_used)
            for digest in by_age:
                if sum(e.size_bytes for e in entries.values()) <= self.budget_bytes:
                    break
                if entries[digest].image_id in in_use:
                    continue
                self._untag(digest)
                if self._tagged_id(digest) == entries[digest].image_id:
                    continue  # Docker kept it (a container appeared since): still cached
                entries.pop(digest)
                removed.append(digest)
        return removed

    def valid_tags(self) -> set[str]:
        """The cache's tags Docker still holds with the recorded image (at worker start: these
        survive the clean-up of leftovers; every other entry is forgotten)."""
        with self._entries() as entries:
            for digest in [d for d, e in entries.items() if self._tagged_id(d) != e.image_id]:
                entries.pop(digest)
            return {self.tag(digest) for digest in entries}

    def entries(self) -> dict[str, CachedImage]:
        with self._entries() as entries:
            return dict(entries)

    def _tagged_id(self, digest: str) -> str | None:
        import docker

        try:
            return self.client.images.get(self.tag(digest)).id
        except docker.errors.ImageNotFound:
            return None

    def _images_in_use(self) -> set[str]:
        return {c.get("ImageID", "") for c in self.client.api.containers(all=True)}

    def forget(self, digest: str) -> None:
        """Drop a digest's entry and tag (an image that failed its check after loading)."""
        with self._entries() as entries:
            entries.pop(digest, None)
        self._untag(digest)

    def _untag(self, digest: str) -> None:
        # Docker deletes the image with its last tag; one also tagged elsewhere (a worker's
        # own example image, identical) only loses this name. One in use by a container stays.
        with contextlib.suppress(Exception):
            self.client.images.remove(self.tag(digest))

    @contextlib.contextmanager
    def _entries(self):
        """The record, read and written back under an exclusive lock (one slot, one writer)."""
        self.record.parent.mkdir(parents=True, exist_ok=True)
        with open(self.record.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            entries = _read(self.record)
            yield entries
            tmp = self.record.with_suffix(".tmp")
            tmp.write_text(json.dumps({d: asdict(e) for d, e in entries.items()}))
            os.replace(tmp, self.record)


def _read(record: Path) -> dict[str, CachedImage]:
    try:
        data = json.loads(record.read_text())
        return {digest: CachedImage(**entry) for digest, entry in data.items()}
    except FileNotFoundError:
        return {}
    except (ValueError, TypeError) as error:  # a torn record trusts nothing
        log.warning("image cache record %s unreadable (%s); starting empty", record, error)
        return {}
