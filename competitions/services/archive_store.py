"""Submitted image archives in the artifact store: one stored copy per sha256, however often the
same bytes are uploaded, and removed only once no submission or debug run references it.

The name is derived from the digest the platform computed of the upload
(`images/sha256/<hex>.tar`), so a re-upload of identical bytes, by the same team or another,
points at the copy already stored. Nothing a team sees carries the name. Two identical uploads
at the very same moment may still store two copies (the store picks a second name for the
second); each submission then references its own, which costs disk, never correctness.
"""

from collections.abc import Collection

from django.core.files import File

from competitions.models import DebugRun, Submission

PREFIX = "images/sha256/"
GZIP_MAGIC = b"\x1f\x8b"


def image_archive_name(file: File, sha256: str) -> str:
    """Where the archive of this digest is stored; gzipped bytes keep a .tar.gz name."""
    file.seek(0)
    suffix = ".tar.gz" if file.read(2) == GZIP_MAGIC else ".tar"
    file.seek(0)
    return f"{PREFIX}{sha256}{suffix}"


def stored_copy(storage, file: File, sha256: str) -> str:
    """The name of a whole copy of these bytes already in the store, "" when there is none."""
    name = image_archive_name(file, sha256)
    if not storage.exists(name):
        return ""
    if storage.size(name) == file.size:
        return name
    # A copy cut short (a store killed mid-write): every reference to it is broken anyway, and
    # the worker refuses it by its digest; the whole bytes about to be stored replace it.
    storage.delete(name)
    return ""


def release_image_archive(storage, name: str) -> bool:
    """Delete the stored archive `name` when nothing references it any more (call it after the
    row that referenced it is gone or points elsewhere); whether it was deleted."""
    return bool(name) and name in release_image_archives(storage, [name])


def release_image_archives(storage, names: Collection[str]) -> set[str]:
    """`release_image_archive` for many names in two queries; the names deleted."""
    held = {
        *Submission.objects.filter(image_archive__in=names).values_list("image_archive", flat=True)
    }
    held |= {
        *DebugRun.objects.filter(image_archive__in=names).values_list("image_archive", flat=True)
    }
    deleted = {name for name in names if name and name not in held}
    for name in deleted:
        storage.delete(name)
    return deleted
