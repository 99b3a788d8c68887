"""Refusing oversized uploads from the request headers, before a byte of the body is read."""

from django.conf import settings


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
