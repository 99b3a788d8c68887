"""Read a `docker save` archive's manifest.json and image config as `docker load` reads them.

`docker load` extracts the archive, follows each manifest path through the archive's symbolic
and hard links, and writes every layer the manifest lists, once per listing: a layer listed 40
times is written 40 times. Its JSON reader (Go's) matches keys without regard to case, so
`layers` is read as `Layers`. Here every listing is charged against the image's budget, paths are
resolved as the engine resolves them, and keys Go would read in another spelling are refused.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from collections import Counter
from dataclasses import dataclass

from .image_names import reserved_tag
from .layers import HOW_TO_SAVE, LINKED_COPY_BYTES, LayerRefused, LayerTally, clean_name

MANIFEST_KEYS = ("Config", "RepoTags", "Layers", "Parent", "LayerSources")
CONFIG_KEYS = ("os", "architecture", "rootfs", "diff_ids")
# The engine's limit on following links (moby's FollowSymlinkInScope).
_LINK_HOPS_MAX = 255


@dataclass(frozen=True)
class ArchiveMembers:
    """What the outer archive holds: small files read whole, layers' tallies, links, names."""

    small: dict[str, bytes]
    layers: dict[str, LayerTally]
    links: dict[str, tuple[str, str]]  # name -> ("sym" | "hard", target)
    names: set[str]


def fold(key: str) -> str:
    """A JSON key as Go's decoder compares it with a field name (upper-cased, rune by rune)."""
    return "".join(folded if len(folded := char.lower().upper()) == 1 else char for char in key)


def go_json(data: bytes, what: str, known: tuple[str, ...]):
    """Parse `data`, refusing keys Go would read as one field (two spellings, or twice)."""
    canonical = {fold(key): key for key in known}

    def pairs_hook(pairs):
        seen: dict[str, str] = {}
        for key, _ in pairs:
            folded = fold(key)
            if folded in seen:
                raise LayerRefused(
                    f"{what} names {seen[folded]!r} twice (once as {key!r}), which Docker reads "
                    f"as one; {HOW_TO_SAVE}"
                )
            seen[folded] = key
            if folded in canonical and key != canonical[folded]:
                raise LayerRefused(f"{what} spells {canonical[folded]!r} as {key!r}; {HOW_TO_SAVE}")
        return dict(pairs)

    try:
        return json.loads(data, object_pairs_hook=pairs_hook)
    except ValueError as error:
        if isinstance(error, LayerRefused):
            raise
        raise LayerRefused(f"{what} is not valid JSON ({error}); {HOW_TO_SAVE}") from None


def resolve(path: str, links: dict[str, tuple[str, str]]) -> str:
    """The member `path` names once the archive's links are followed, as the engine follows them
    (symbolic links relative to their directory, hard links to the archive's root, '..' stopped
    at the root)."""
    parts, done, hops = clean_name(str(path)).split("/"), [], 0
    while parts:
        part = parts.pop(0)
        if part in ("", "."):
            continue
        if part == "..":
            if done:
                done.pop()
            continue
        here = "/".join([*done, part])
        if here in links:
            hops += 1
            if hops > _LINK_HOPS_MAX:
                raise LayerRefused(f"{path!r} goes round a loop of links; {HOW_TO_SAVE}")
            kind, target = links[here]
            parts = target.split("/") + parts
            done = done if kind == "sym" and not target.startswith("/") else []
            continue
        done.append(part)
    return "/".join(done)


def charge_layers(layers: list, members: ArchiveMembers, limit: int) -> int:
    """Bytes `docker load` writes for `layers` (each listing charged, in order); refuses the
    image the moment they pass `limit`, naming the layer."""
    if not isinstance(layers, list) or not all(isinstance(layer, str) for layer in layers):
        raise LayerRefused(f"manifest.json's Layers is not a list of paths; {HOW_TO_SAVE}")
    resolved = [resolve(layer, members.links) for layer in layers]
    listed = Counter(resolved)
    below: dict[str, int] = {}  # large files of the layers under this one
    total = 0
    for layer, name in zip(layers, resolved, strict=True):
        tally = members.layers.get(name)
        if tally is None:
            problem = "is not a layer (a tar)" if name in members.names else "is missing"
            raise LayerRefused(f"layer {layer!r} {problem} in the archive; {HOW_TO_SAVE}")
        copies = sum(below.get(target, LINKED_COPY_BYTES) for target in tally.links_below)
        total += tally.file_bytes + copies
        if total > limit:
            why = []
            if listed[name] > 1:
                why.append(f"listed {listed[name]} times in manifest.json, each written again")
            if copies:
                copied = sum(below.get(t, LINKED_COPY_BYTES) for t in tally.links_below)
                why.append(f"its hard links copy {copied / 2**20:.0f} MB of lower layers' files")
            because = f" ({'; '.join(why)})" if why else ""
            raise LayerRefused(
                f"layer {layer!r}{because} brings what docker load writes to more than "
                f"{limit / 2**20:.0f} MB, the image size limit; make the image smaller"
                + (", list each layer once" if listed[name] > 1 else "")
                + (", and copy files instead of hard-linking across layers" if copies else "")
            )
        below.update(tally.large_files)
    return total


@dataclass(frozen=True)
class ManifestReading:
    image_id: str
    tags: tuple[str, ...]
    layers: int
    written_bytes: int


def read_manifest(members: ArchiveMembers, limit: int) -> ManifestReading:
    """Judge manifest.json and the image config; raises LayerRefused naming what is wrong."""
    if "manifest.json" not in members.small:
        raise LayerRefused(
            f"the archive has no manifest.json, so it is not a docker save archive; {HOW_TO_SAVE}"
        )
    manifest = go_json(members.small["manifest.json"], "manifest.json", MANIFEST_KEYS)
    if not isinstance(manifest, list) or len(manifest) != 1 or not isinstance(manifest[0], dict):
        count = len(manifest) if isinstance(manifest, list) else "an unexpected number of"
        raise LayerRefused(
            f"the archive holds {count} images; submit exactly one: docker save ONE_IMAGE | gzip"
        )
    entry = manifest[0]
    config_name = resolve(str(entry.get("Config", "")), members.links)
    if config_name not in members.small:
        raise LayerRefused(
            f"the image config {config_name!r} is missing from the archive; {HOW_TO_SAVE}"
        )
    layers = entry.get("Layers") or []
    written = charge_layers(layers, members, limit)
    config = go_json(members.small[config_name], "the image config", CONFIG_KEYS)
    if not isinstance(config, dict):
        raise LayerRefused(f"the image config is not a JSON object; {HOW_TO_SAVE}")
    platform = f"{config.get('os')}/{config.get('architecture')}"
    if platform != "linux/amd64":
        raise LayerRefused(
            f"the image is built for {platform}; the workers run linux/amd64: "
            "rebuild with docker build --platform linux/amd64"
        )
    tags = tuple(str(tag) for tag in entry.get("RepoTags") or ())
    reserved = reserved_tag(tags)
    if reserved:
        # Judged after Docker's normalisation: docker.io/podium/base is podium/base. The worker
        # strips every tag before loading anyway; this tells the team early.
        raise LayerRefused(
            f"the image is tagged {reserved!r}, a name reserved for the platform's own images; "
            "tag it with your team's name (docker tag IMAGE myteam/model:v1) and save that tag"
        )
    return ManifestReading(
        image_id="sha256:" + hashlib.sha256(members.small[config_name]).hexdigest(),
        tags=tags,
        layers=len(layers),
        written_bytes=written,
    )


def member_link(name: str, kind: str, linkname: str) -> tuple[str, str]:
    """A link member's entry in ArchiveMembers.links: hard links name a path from the root."""
    if kind == "hard":
        return ("hard", clean_name(linkname))
    return ("sym", posixpath.normpath(linkname))
