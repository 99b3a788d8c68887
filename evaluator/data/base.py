"""What every data source shares: the split names, the error, and the DataSource protocol."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

SPLITS = ("train", "validation", "test")


class DataSourceError(ValueError):
    """Data that cannot be found or read; the message says which file or config and why."""


@runtime_checkable
class DataSource(Protocol):
    def examples(self, task: str, language: str, split: str) -> list[dict]: ...
