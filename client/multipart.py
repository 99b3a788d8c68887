"""A streaming multipart/form-data body: files are read in chunks as the request is sent.

`requests` reads a body with `__iter__` and `__len__` lazily and sends its length as
Content-Length (the server refuses oversized uploads from that header before reading).
"""

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

CHUNK = 1024 * 1024


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "").replace("\n", "")


class MultipartStream:
    """Fields and files as one multipart body, never held in memory as a whole."""

    def __init__(
        self,
        fields: dict[str, str],
        files: dict[str, Path],
        on_progress: Callable[[int], None] | None = None,
    ):
        self.boundary = uuid.uuid4().hex
        self.fields, self.files = fields, {name: Path(path) for name, path in files.items()}
        self.on_progress = on_progress or (lambda sent: None)

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def _field_part(self, name: str, value: str) -> bytes:
        head = f'--{self.boundary}\r\nContent-Disposition: form-data; name="{_quote(name)}"\r\n\r\n'
        return head.encode() + value.encode() + b"\r\n"

    def _file_head(self, name: str, path: Path) -> bytes:
        return (
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="{_quote(name)}"; '
            f'filename="{_quote(path.name)}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()

    def _tail(self) -> bytes:
        return f"--{self.boundary}--\r\n".encode()

    def __len__(self) -> int:
        size = sum(len(self._field_part(k, v)) for k, v in self.fields.items())
        for name, path in self.files.items():
            size += len(self._file_head(name, path)) + os.path.getsize(path) + 2
        return size + len(self._tail())

    @property
    def file_bytes(self) -> int:
        return sum(os.path.getsize(path) for path in self.files.values())

    def __iter__(self) -> Iterator[bytes]:
        for name, value in self.fields.items():
            yield self._field_part(name, value)
        for name, path in self.files.items():
            yield self._file_head(name, path)
            with open(path, "rb") as handle:
                while chunk := handle.read(CHUNK):
                    self.on_progress(len(chunk))
                    yield chunk
            yield b"\r\n"
        yield self._tail()
