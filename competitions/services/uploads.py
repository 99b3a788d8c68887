"""Checking uploads: oversized ones from the headers before the body is read, then the archive."""

import tempfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError

from evaluator.runner.artifacts import ArtifactError, ImageArchiveInfo, validate_image_archive
from evaluator.runner.read_progress import Progress

# An upload's name ends up (after the first dot) in the stored file's name, which the file system
# caps at 255 bytes and the database at 300 characters for the whole path: 100 bytes leaves room.
MAX_UPLOAD_NAME_BYTES = 100


def validate_upload_name(upload) -> None:
    """Refuse (400, on the field) a file whose name is longer than the store can keep."""
    name = (getattr(upload, "name", "") or "").rsplit("/", 1)[-1]
    size = len(name.encode("utf-8"))
    if size > MAX_UPLOAD_NAME_BYTES:
        raise ValidationError(
            f"the file name is {size} bytes long; this site keeps names of up to "
            f"{MAX_UPLOAD_NAME_BYTES} bytes: rename the file (e.g. code.tar.gz) and upload again"
        )


def oversized(meta: dict) -> str | None:
    """A message for the user when Content-Length exceeds PODIUM_MAX_UPLOAD_BYTES, else None."""
    limit = int(settings.PODIUM_MAX_UPLOAD_BYTES)
    try:
        length = int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return "the Content-Length header is not a number; send the upload again"
    if length > limit:
        return (
            f"the upload is {human_bytes(length)}, above this site's limit of "
            f"{human_bytes(limit)}; "
            "shrink the image (a slimmer base image, `docker save | gzip`) or ask the organisers"
        )
    return None


def human_bytes(count: int) -> str:
    size = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{count} B"


@dataclass(frozen=True)
class UploadCheck:
    """What the platform's check of an uploaded image archive found."""

    problem: str | None = None  # why the archive cannot run; None when it passed or no check ran
    # A check that passed on the whole upload: its image id and the sha256 of the bytes it read.
    passed: ImageArchiveInfo | None = None


def check_upload(
    upload, *, within_s: float | None = None, progress: Progress | None = None
) -> UploadCheck:
    """Check an uploaded image archive (not a tar, links out, wrong platform...), in one read.

    Checked at upload time so that a broken archive is answered at once and never costs an
    attempt. With `within_s`, a check that has not judged the archive in that time raises
    CheckTimeUp (the request then leaves the rest to a worker:
    competitions.services.archive_checks). On unless PODIUM_CHECK_UPLOADED_ARCHIVES is set to 0
    (see podium/settings.py); then nothing is checked and nothing passed. `progress(read, size)`
    follows the check's read of the archive (a copy from a store that is not a local disk is
    made first, and not counted).
    """
    if upload is None or not settings.PODIUM_CHECK_UPLOADED_ARCHIVES:
        return UploadCheck()
    limit = settings.PODIUM_MAX_IMAGE_UNPACKED_BYTES
    try:
        if local := _local_path(upload):
            info = validate_image_archive(local, limit, within_s=within_s, progress=progress)
        else:
            # Small uploads stay in memory, a stored one may be in a store on another machine;
            # the validator streams from a local path.
            with tempfile.NamedTemporaryFile(suffix=".tar") as copy:
                upload.seek(0)
                for chunk in upload.chunks():
                    copy.write(chunk)
                copy.flush()
                info = validate_image_archive(
                    copy.name, limit, within_s=within_s, progress=progress
                )
    except ArtifactError as error:
        return UploadCheck(problem=str(error))
    finally:
        upload.seek(0)
    return UploadCheck(passed=info)


def _local_path(upload) -> str | None:
    """Where the upload lies on this machine's disk, if it does: a large upload's temporary
    file, or a stored file in a file-system artifact store (read where it lies, not copied)."""
    if hasattr(upload, "temporary_file_path"):
        return upload.temporary_file_path()
    try:
        return upload.path  # FieldFile: NotImplementedError for stores that are not a disk
    except (AttributeError, NotImplementedError, ValueError):
        return None
