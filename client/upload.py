"""A streaming multipart/form-data upload (requests-toolbelt): files are read in chunks as the
request is sent, and the body's length goes out as Content-Length, so the server can refuse an
oversized upload from that header before reading it."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

from requests_toolbelt import MultipartEncoder, MultipartEncoderMonitor


@contextlib.contextmanager
def multipart_body(
    fields: dict[str, str],
    files: dict[str, Path],
    on_progress: Callable[[int, int], None] | None = None,
) -> Iterator[MultipartEncoderMonitor]:
    """The body to pass as `data=` (its `content_type` for the header); `on_progress(sent,
    total)` is called as bytes go out. The files are closed when the block ends."""
    with contextlib.ExitStack() as stack:
        parts: dict[str, object] = dict(fields)
        for name, path in files.items():
            handle = stack.enter_context(open(path, "rb"))
            parts[name] = (Path(path).name, handle, "application/octet-stream")
        encoder = MultipartEncoder(fields=parts)
        report = on_progress or (lambda sent, total: None)
        yield MultipartEncoderMonitor(encoder, lambda m: report(m.bytes_read, m.len))
