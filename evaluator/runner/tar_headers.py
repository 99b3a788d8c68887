"""A layer's tar headers read as Docker's Go reader reads them, beside Python's tarfile.

Python's tarfile and Go's archive/tar (what `docker load` uses) disagree on headers a team can
write. Python keeps one value per PAX keyword and applies `size`, `GNU.sparse.size` and
`GNU.sparse.realsize` in the order they first appeared (so `GNU.sparse.size=1GiB` then
`size=512` reads as 512); Go takes `GNU.sparse.size` over `realsize` for a sparse file, the old
GNU header's realsize field for an 'S' entry, only the last of two PAX headers in a row, and
reads records Python's parser stops at (a length written "+30"). So:

* every size any header of an entry declares is kept (`declared`), and the entry is charged the
  largest: what Docker writes is one of them;
* where Go finds the next header is worked out by Go's rules (`go_next_header`), and a layer in
  which Python found it elsewhere is refused: the two readers would see different files.
"""

from __future__ import annotations

import tarfile

SIZE_KEYWORDS = ("size", "GNU.sparse.size", "GNU.sparse.realsize")
# Types whose size field Go ignores (no data follows their header).
_HEADER_ONLY = {
    tarfile.LNKTYPE,
    tarfile.SYMTYPE,
    tarfile.CHRTYPE,
    tarfile.BLKTYPE,
    tarfile.DIRTYPE,
    tarfile.FIFOTYPE,
}
_PAX_TYPES = (tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE)


class HeaderMismatch(tarfile.HeaderError):
    """Go's reader would read this entry differently from Python's (or not at all)."""


def pax_records(data: bytes) -> dict[str, str]:
    """The records of one PAX header as Go parses them: the last value of each keyword, and
    every value of the size keywords under "*" + keyword (joined by NUL) for the charge.

    A length may carry a '+' (Go's ParseInt takes it, Python's reader stops there). Raises
    HeaderMismatch where Go's parser fails: Docker could not load the layer at all.
    """
    records: dict[str, str] = {}
    rest = data
    while rest:
        length_text, space, _ = rest.partition(b" ")
        digits = length_text[1:] if length_text[:1] == b"+" else length_text
        if not space or not digits.isdigit():
            raise HeaderMismatch("a PAX record has no length")
        length = int(digits)
        if length < 5 or length > len(rest) or rest[length - 1 : length] != b"\n":
            raise HeaderMismatch("a PAX record's length does not match its text")
        record = rest[len(length_text) + 1 : length - 1]
        rest = rest[length:]
        keyword, equals, value = record.partition(b"=")
        if not equals or not keyword:
            raise HeaderMismatch("a PAX record has no keyword")
        key, text = keyword.decode("utf-8", "replace"), value.decode("utf-8", "replace")
        records[key] = text
        if key in SIZE_KEYWORDS:
            records["*" + key] = records.get("*" + key, "") + "\0" + text
    return records


def _number(text: str) -> int:
    try:
        return int(text.strip().replace("_", ""))
    except ValueError:
        raise HeaderMismatch(f"a size record reads {text[:40]!r}, not a number") from None


class GoReadInfo(tarfile.TarInfo):
    """A TarInfo that also records what Go's reader makes of the entry (see the module doc)."""

    header_at = 0  # where the entry's own header block starts
    raw_size = 0  # that block's size field
    declared = 0  # the largest size any field or record of the entry declares
    go_pax: dict[str, str] | None = None  # the last PAX header before it: the one Go reads

    @classmethod
    def fromtarfile(cls, archive):
        try:
            return super().fromtarfile(archive)
        except (tarfile.EOFHeaderError, tarfile.EmptyHeaderError):
            raise  # the end of the archive, for Go as for Python
        except HeaderMismatch:
            raise
        except tarfile.HeaderError as error:
            # Python ends the archive at a header it cannot read; Go reads on or fails.
            raise HeaderMismatch(f"a header the platform cannot read ({error})") from None

    def _proc_member(self, archive):
        self.header_at, self.raw_size, self.declared = self.offset, self.size, self.size
        captured: list[bytes] = []
        if self.type in _PAX_TYPES:
            _capture_next_read(archive.fileobj, captured)
        try:
            entry = super()._proc_member(archive)
        finally:
            archive.fileobj.__dict__.pop("read", None)
        entry.declared = max(entry.declared, entry.size)
        if self.type in _PAX_TYPES:
            if not captured:  # tarfile read the records some other way: judge nothing unread
                raise HeaderMismatch("the PAX records could not be read")
            records = pax_records(captured[0][: self.size])
            for key in SIZE_KEYWORDS:
                for text in records.get("*" + key, "").split("\0")[1:]:
                    entry.declared = max(entry.declared, _number(text))
            # The innermost call returns first: the PAX header nearest the entry sets it.
            if self.type != tarfile.XGLTYPE and entry.go_pax is None:
                entry.go_pax = records
        return entry


def _capture_next_read(fileobj, sink: list[bytes]) -> None:
    """Keep a copy of the next read from `fileobj` (tarfile reads a PAX header's records first)."""
    original = type(fileobj).read

    def read(*args):
        fileobj.__dict__.pop("read", None)
        data = original(fileobj, *args)
        sink.append(data)
        return data

    fileobj.read = read


def go_next_header(entry: GoReadInfo) -> int:
    """Where Go's reader looks for the header after `entry`."""
    if entry.type == tarfile.GNUTYPE_SPARSE:
        start = entry.offset_data  # after the old GNU format's extension blocks
    else:
        start = entry.header_at + tarfile.BLOCKSIZE
    if entry.type in _HEADER_ONLY:
        return start
    size_text = (entry.go_pax or {}).get("size", "")
    physical = _number(size_text) if size_text else entry.raw_size
    if physical < 0:
        raise HeaderMismatch("a negative size")
    return start + -(-physical // tarfile.BLOCKSIZE) * tarfile.BLOCKSIZE
