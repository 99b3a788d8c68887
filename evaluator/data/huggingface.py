"""XTREME from Hugging Face `datasets`: dataset google/xtreme (and MNLI for XNLI's English train).

Configs: XNLI (one config, rows carry `language`), PAWS-X.<lang>, udpos.<EnglishName>,
PAN-X.<lang>. ClassLabel integers are turned into label strings with the dataset's own
feature names. `local_dir` reads the same data from parquet files laid out as on the hub
(<local_dir>/<config>/<split>-*.parquet, MNLI under <local_dir>/multi_nli/), through the same
`datasets` code path: that is how it is tested here, where no hub is reachable.
"""

from __future__ import annotations

import glob
import os
import urllib.error
import urllib.request

from evaluator.data.base import SPLITS, DataSourceError
from evaluator.registry import get_task

UDPOS_LANGUAGE_NAMES = {
    "af": "Afrikaans", "ar": "Arabic", "bg": "Bulgarian", "de": "German", "el": "Greek",
    "en": "English", "es": "Spanish", "et": "Estonian", "eu": "Basque", "fa": "Persian",
    "fi": "Finnish", "fr": "French", "he": "Hebrew", "hi": "Hindi", "hu": "Hungarian",
    "id": "Indonesian", "it": "Italian", "ja": "Japanese", "kk": "Kazakh", "ko": "Korean",
    "mr": "Marathi", "nl": "Dutch", "pt": "Portuguese", "ru": "Russian", "ta": "Tamil",
    "te": "Telugu", "th": "Thai", "tl": "Tagalog", "tr": "Turkish", "ur": "Urdu",
    "vi": "Vietnamese", "yo": "Yoruba", "zh": "Chinese",
}  # fmt: skip
MNLI_CONFIG = "multi_nli"
REMEDY = (
    "put XTREME's data on disk and set `data: {source: local, path: /data/xtreme}` "
    "(the layout of XTREME's download_data.sh), or the hub's parquet files with "
    "`data: {source: huggingface, local_dir: ...}`; HF_HUB_OFFLINE=1 reads only what the "
    "Hugging Face cache already holds"
)


def hub_unreachable(endpoint: str, timeout_s: float = 5.0) -> str | None:
    """Why the hub at `endpoint` cannot be reached, or None when it answers at all.

    One quick request instead of `datasets`' own retries (ten "Retrying" lines, minutes).
    """
    if not endpoint.startswith(("https://", "http://")):
        return f"HF_ENDPOINT {endpoint!r} is not an http(s) address"
    try:
        request = urllib.request.Request(endpoint, method="HEAD")  # noqa: S310
        urllib.request.urlopen(request, timeout=timeout_s)  # noqa: S310 (http(s) only, above)
    except urllib.error.HTTPError:
        return None  # it answered; an error status is about this URL, not the network
    except (urllib.error.URLError, OSError) as exc:
        return str(getattr(exc, "reason", exc))
    return None


def config_name(task: str, language: str) -> str:
    spec = get_task(task)
    return spec.hf_config.format(
        lang=language, language_name=UDPOS_LANGUAGE_NAMES.get(language, "")
    )


class HuggingFaceSource:
    def __init__(
        self,
        dataset: str = "google/xtreme",
        local_dir: str | None = None,
        revision: str | None = None,
        mnli_dataset: str = "nyu-mll/multi_nli",
        cache_dir: str | None = None,
    ):
        self.dataset = dataset
        self.local_dir = local_dir
        self.revision = revision
        self.mnli_dataset = mnli_dataset
        self.cache_dir = cache_dir
        self._hub_checked = False

    def _check_hub(self) -> None:
        if self._hub_checked or os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true"):
            return
        endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
        reason = hub_unreachable(endpoint)
        if reason is not None:
            raise DataSourceError(
                f"cannot reach the Hugging Face hub at {endpoint} ({reason}) to read "
                f"{self.dataset}; {REMEDY}"
            )
        self._hub_checked = True

    def _load(self, config: str, split: str, *, mnli: bool = False):
        import datasets  # heavy import, only when this source is used

        try:
            if self.local_dir:
                folder = os.path.join(self.local_dir, MNLI_CONFIG if mnli else config)
                files = sorted(glob.glob(os.path.join(folder, f"{split}-*.parquet")))
                if not files:
                    raise DataSourceError(
                        f"no {split} parquet files for {config} in {folder} "
                        f"(expected {split}-00000-of-00001.parquet)"
                    )
                return datasets.load_dataset(
                    "parquet", data_files={split: files}, split=split, cache_dir=self.cache_dir
                )
            self._check_hub()
            if mnli:
                return datasets.load_dataset(
                    self.mnli_dataset, split=split, cache_dir=self.cache_dir
                )
            return datasets.load_dataset(
                self.dataset, config, split=split, revision=self.revision, cache_dir=self.cache_dir
            )
        except DataSourceError:
            raise
        except (ValueError, FileNotFoundError, ConnectionError, OSError) as exc:
            where = self.local_dir or self.dataset
            raise DataSourceError(
                f"cannot load {config} ({split}) from {where}: {exc}; {REMEDY}"
            ) from None

    def examples(self, task: str, language: str, split: str) -> list[dict]:
        spec = get_task(task)
        if language not in spec.languages:
            raise DataSourceError(f"{task} has no language {language!r}")
        if split not in SPLITS:
            raise DataSourceError(f"unknown split {split!r}; use one of {', '.join(SPLITS)}")
        if task == "xnli":
            return self._xnli(language, split)
        rows = self._load(config_name(task, language), split)
        if spec.is_tagging:
            names = _label_names(rows, spec.hf_label_field)
            return [
                {
                    "id": f"{task}-{language}-{i:06d}",
                    "tokens": list(row["tokens"]),
                    "tags": [_as_label(v, names) for v in row[spec.hf_label_field]],
                }
                for i, row in enumerate(rows)
            ]
        names = _label_names(rows, spec.hf_label_field)
        return [
            {
                "id": f"{task}-{language}-{i:06d}",
                "sentence1": row["sentence1"],
                "sentence2": row["sentence2"],
                "label": _as_label(row[spec.hf_label_field], names),
            }
            for i, row in enumerate(rows)
        ]

    def _xnli(self, language: str, split: str) -> list[dict]:
        if split == "train":
            # XTREME's zero-shot setting: XNLI is trained on English MNLI only.
            if language != "en":
                raise DataSourceError("XNLI has English training data only (MNLI); use language en")
            rows = self._load(MNLI_CONFIG, "train", mnli=True)
            names = _label_names(rows, "label")
            return [
                {
                    "id": f"xnli-en-{i:06d}",
                    "sentence1": row["premise"],
                    "sentence2": row["hypothesis"],
                    "label": _as_label(row["label"], names),
                }
                for i, row in enumerate(rows)
                if row["label"] is not None and row["label"] != -1
            ]
        rows = self._load("XNLI", split).filter(lambda r: r["language"] == language)
        return [
            {
                "id": f"xnli-{language}-{i:06d}",
                "sentence1": row["sentence1"],
                "sentence2": row["sentence2"],
                "label": row["gold_label"],
            }
            for i, row in enumerate(rows)
        ]


def _label_names(rows, field: str) -> list[str] | None:
    feature = rows.features[field]
    feature = getattr(feature, "feature", feature)  # Sequence(ClassLabel) or List(ClassLabel)
    return list(feature.names) if hasattr(feature, "names") else None


def _as_label(value, names: list[str] | None) -> str:
    if names is not None and isinstance(value, int):
        return names[value]
    return str(value)
