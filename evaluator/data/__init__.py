"""Where examples come from: one DataSource interface over synthetic, local and Hugging Face data.

Example records are plain dicts:
  classification: {"id": "xnli-de-000017", "sentence1": str, "sentence2": str, "label": str}
  tagging:        {"id": "panx-de-000017", "tokens": [str, ...], "tags": [str, ...]}
split is one of "train", "validation", "test".
"""

from __future__ import annotations

from evaluator.data.base import SPLITS, DataSource, DataSourceError

__all__ = ["SPLITS", "DataSource", "DataSourceError", "open_source"]


def open_source(config: dict) -> DataSource:
    """The data source a competition's YAML `data:` mapping names.

    {"source": "synthetic", "seed": 0, "size": "tiny" | "small" | "full" | int | {task: size}}
    {"source": "local", "path": "/data/xtreme"}            (XTREME's download_data.sh layout)
    {"source": "huggingface", "dataset": "google/xtreme", "local_dir": None, "revision": None,
     "mnli_dataset": "nyu-mll/multi_nli"}                  (local_dir: parquet files, hub layout)
    """
    config = dict(config or {})
    kind = config.pop("source", None)
    try:
        if kind == "synthetic":
            from evaluator.data.synthetic import SyntheticSource

            return SyntheticSource(**config)
        if kind == "local":
            from evaluator.data.local import LocalXtremeSource

            return LocalXtremeSource(**config)
        if kind == "huggingface":
            from evaluator.data.huggingface import HuggingFaceSource

            return HuggingFaceSource(**config)
    except TypeError as exc:
        raise DataSourceError(f"data source {kind!r}: {exc}") from None
    raise DataSourceError(
        f"unknown data source {kind!r}: set data.source to synthetic, local or huggingface"
    )
