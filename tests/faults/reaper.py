"""A reaper check: which Docker objects a run made, and whether any of them outlived it.

Docker is shared (other workers, other test sessions), so nothing is counted globally: the
objects a run could have made are those labelled with its runner's owner, the volumes Docker
mounted into that owner's containers (anonymous ones carry no label), and the team images
loaded under the owner's name. Events since the start tell which those were.
"""

from collections import Counter
from datetime import UTC, datetime, timedelta

import docker

from evaluator.runner import team_image_name
from evaluator.runner.lockdown import OWNER_LABEL


class Reaper:
    def __init__(self, client, owner: str):
        self.client, self.owner = client, owner
        self.since = datetime.now(UTC) - timedelta(seconds=1)
        self.repository = team_image_name(owner, "x").rsplit(":", 1)[0]
        self.before = self.count()

    def count(self) -> Counter:
        labels = {"label": f"{OWNER_LABEL}={self.owner}"}
        return Counter(
            containers=len(self.client.containers.list(all=True, filters=labels)),
            volumes=len(self.client.volumes.list(filters=labels)),
            images=sum(len(i.tags) for i in self.client.images.list(name=self.repository)),
        )

    def made(self) -> tuple[set[str], set[str]]:
        """Ids of the containers the owner made since the start, names of volumes mounted in them."""
        events = list(
            self.client.events(
                since=self.since,
                until=datetime.now(UTC) + timedelta(seconds=1),
                filters={"type": ["container", "volume"]},
                decode=True,
            )
        )
        containers = {
            e["Actor"]["ID"]
            for e in events
            if e.get("Type") == "container"
            and e["Actor"].get("Attributes", {}).get(OWNER_LABEL) == self.owner
        }
        volumes = {
            e["Actor"]["ID"]
            for e in events
            if e.get("Type") == "volume"
            and e.get("Action") == "mount"
            and e["Actor"].get("Attributes", {}).get("container") in containers
        }
        return containers, volumes

    def leftovers(self) -> dict:
        """What the run made that still exists, and the counts before and after (must match)."""
        containers, volumes = self.made()
        alive_containers = [c for c in containers if self._exists(self.client.containers, c)]
        alive_volumes = [v for v in volumes if self._exists(self.client.volumes, v)]
        after = self.count()
        left = {}
        if alive_containers:
            left["containers"] = alive_containers
        if alive_volumes:
            left["volumes"] = alive_volumes
        if after != self.before:
            left["counts"] = (dict(self.before), dict(after))
        return left

    @staticmethod
    def _exists(collection, key: str) -> bool:
        try:
            collection.get(key)
            return True
        except docker.errors.NotFound:
            return False
