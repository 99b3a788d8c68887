"""Image names as Docker reads them: normalisation, the platform's reserved names, and references.

Pure functions, no Docker: the web checks a submission with them and the worker checks again
before it loads or pulls, so both sides judge exactly the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_REGISTRY = "docker.io"
# Docker treats these spellings of Docker Hub as the same registry.
_HUB_ALIASES = {"docker.io", "index.docker.io", "registry-1.docker.io"}
# Names the platform's own images live under (base image, examples, loaded team images):
# a team image may never carry one, whatever the spelling.
RESERVED_PREFIXES = ("podium/", "podium-")
# The platform's own helper image (output copies, lockdown probes); an edition pins it.
BASE_IMAGE = "podium/base:bookworm"
NAME_MAX_CHARS = 255  # Docker's limit on a repository name

# The grammar of github.com/distribution/reference, restricted to what a pinned image needs.
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*(?::[0-9]{{1,5}})?"
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_TAG = r"[\w][\w.-]{0,127}"
_REMOTE = rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_NAME = re.compile(rf"^(?:(?P<domain>{_DOMAIN})/)?(?P<path>{_REMOTE})$")
_TAGGED = re.compile(rf"^(?P<name>[^@]+?)(?::(?P<tag>{_TAG}))?$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")

HOW_TO_PIN = (
    "give the image as REGISTRY/NAME@sha256:<64 hex digits> "
    "(see `docker inspect --format '{{index .RepoDigests 0}}' IMAGE` after pushing)"
)


class ImageNameError(ValueError):
    """A name or reference the platform will not load or pull; the message says what to do."""


@dataclass(frozen=True)
class ImageName:
    """A repository name after Docker's normalisation, e.g. docker.io/library/python."""

    registry: str
    path: str
    tag: str = "latest"

    @property
    def familiar(self) -> str:
        """The short form `docker images` shows: no docker.io/, no library/."""
        if self.registry != DEFAULT_REGISTRY:
            return f"{self.registry}/{self.path}"
        return self.path.removeprefix("library/")

    @property
    def is_reserved(self) -> bool:
        return self.registry == DEFAULT_REGISTRY and self.familiar.startswith(RESERVED_PREFIXES)


def normalise_registry(host: str) -> str:
    """A registry host as Docker compares it: Hub's aliases are one, the host is lower case."""
    host = host.strip().lower()
    return DEFAULT_REGISTRY if host in _HUB_ALIASES else host


def split_name(name: str) -> ImageName:
    """Normalise a repository name (with an optional :tag) the way `docker load`/`pull` do.

    "podium/x", "docker.io/podium/x" and "index.docker.io/podium/x:latest" are the same image;
    "python" is docker.io/library/python. Raises ImageNameError for anything Docker would refuse.
    """
    tagged = _TAGGED.match(name.strip())
    if not tagged:
        raise ImageNameError(f"{name!r} is not a valid image name")
    match = _NAME.match(tagged["name"])
    if not match or len(tagged["name"]) > NAME_MAX_CHARS:
        raise ImageNameError(
            f"{name!r} is not a valid image name: lower-case letters, digits and . _ - "
            "separated by /, optionally after a registry host"
        )
    domain, path = match["domain"], match["path"]
    # Docker reads the first component as a registry only when it looks like a host.
    if domain and not ("." in domain or ":" in domain or domain == "localhost"):
        domain, path = None, f"{domain}/{path}"
        if not _NAME.match(path) or any(c.isupper() for c in path):
            raise ImageNameError(f"{name!r} is not a valid image name: use lower case")
    registry = normalise_registry(domain) if domain else DEFAULT_REGISTRY
    if registry == DEFAULT_REGISTRY and "/" not in path:
        path = f"library/{path}"
    return ImageName(registry=registry, path=path, tag=tagged["tag"] or "latest")


def reserved_tag(tags) -> str | None:
    """The first of an archive's tags that names (or would replace) a platform image, if any."""
    for tag in tags:
        try:
            if split_name(str(tag)).is_reserved:
                return str(tag)
        except ImageNameError:
            continue  # not a name Docker could create at all; docker load refuses it itself
    return None


def check_image_reference(reference: str, allowed_registries) -> tuple[str, str]:
    """Judge a team's image reference; returns (name to pull, digest) or raises ImageNameError.

    Accepted only as REGISTRY/NAME@sha256:<64 hex>, strictly in Docker's reference grammar, from
    a registry host (with its port) the organiser listed in `allowed_registries`; with none
    listed, every reference is refused. Used at submit time and again by the worker before it
    asks dockerd to pull, so a team can never make dockerd connect anywhere else.
    """
    reference = reference.strip()
    name, at, digest = reference.partition("@")
    if not at or not _DIGEST.match(digest):
        raise ImageNameError(f"{reference!r} is not pinned by digest; {HOW_TO_PIN}")
    if ":" in name.rsplit("/", 1)[-1]:
        raise ImageNameError(
            f"{reference!r} has both a tag and a digest; drop the tag: {HOW_TO_PIN}"
        )
    try:
        parsed = split_name(name)
    except ImageNameError as error:
        raise ImageNameError(f"{error}; {HOW_TO_PIN}") from None
    allowed = {normalise_registry(host) for host in allowed_registries if host.strip()}
    if not allowed:
        raise ImageNameError(
            "this platform does not pull images from registries; upload the image instead: "
            "docker save IMAGE | gzip > image.tar.gz"
        )
    if parsed.registry not in allowed:
        raise ImageNameError(
            f"images are pulled only from {', '.join(sorted(allowed))}, not from "
            f"{parsed.registry!r}; push the image there or upload it as an archive"
        )
    if parsed.is_reserved:
        raise ImageNameError(
            f"{name!r} is a name reserved for the platform's own images; push your image "
            "under your team's name"
        )
    return parsed.familiar, digest
