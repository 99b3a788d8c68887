"""The XTREME tasks Podium runs, each declared once as data and read everywhere else."""

from __future__ import annotations

from dataclasses import dataclass

UPOS_TAGS = (
    "ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM",
    "PART", "PRON", "PROPN", "PUNCT", "SCONJ", "SYM", "VERB", "X",
)  # fmt: skip
PANX_TAGS = ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC")


# Metric names as stored with each score, and how pages label them. F1/precision/recall are
# seqeval's entity-level figures (docs/scoring.md); token accuracy is per tag.
CLASSIFICATION_METRICS = ("accuracy",)
TAGGING_METRICS = ("f1", "precision", "recall", "token_accuracy")
METRIC_LABELS = {
    "accuracy": "accuracy",
    "f1": "F1",
    "precision": "precision",
    "recall": "recall",
    "token_accuracy": "token accuracy",
}


class UnknownTaskError(ValueError):
    """A task id that is not in the registry."""


@dataclass(frozen=True)
class TaskSpec:
    """One XTREME task: what a model sees, what it must answer and how it is scored."""

    id: str
    title: str
    kind: str  # "classification" | "tagging"
    languages: tuple[str, ...]  # XTREME's own list and order (evaluate.py TASK2LANGS)
    input_fields: tuple[str, ...]
    labels: tuple[str, ...]
    # What the scorer reports per language, the headline (primary) metric first: boards, the run
    # page, the API, CSVs and the baseline all read the headline from here.
    metrics: tuple[str, ...]
    # Hugging Face `google/xtreme` config for one language; "{lang}" / "{language_name}".
    hf_config: str = ""
    hf_label_field: str = ""

    @property
    def is_tagging(self) -> bool:
        return self.kind == "tagging"

    @property
    def primary_metric(self) -> str:
        return self.metrics[0]


def _langs(csv: str) -> tuple[str, ...]:
    return tuple(csv.split(","))


TASKS: dict[str, TaskSpec] = {
    spec.id: spec
    for spec in (
        TaskSpec(
            id="pawsx",
            title="PAWS-X paraphrase identification",
            kind="classification",
            languages=_langs("de,en,es,fr,ja,ko,zh"),
            input_fields=("sentence1", "sentence2"),
            labels=("0", "1"),
            metrics=CLASSIFICATION_METRICS,
            hf_config="PAWS-X.{lang}",
            hf_label_field="label",
        ),
        TaskSpec(
            id="xnli",
            title="XNLI natural language inference",
            kind="classification",
            languages=_langs("ar,bg,de,el,en,es,fr,hi,ru,sw,th,tr,ur,vi,zh"),
            input_fields=("sentence1", "sentence2"),
            labels=("entailment", "neutral", "contradiction"),
            metrics=CLASSIFICATION_METRICS,
            hf_config="XNLI",
            hf_label_field="gold_label",
        ),
        TaskSpec(
            id="udpos",
            title="Universal Dependencies part-of-speech tagging",
            kind="tagging",
            languages=_langs(
                "af,ar,bg,de,el,en,es,et,eu,fa,fi,fr,he,hi,hu,id,it,ja,kk,ko,mr,nl,pt,ru,"
                "ta,te,th,tl,tr,ur,vi,yo,zh"
            ),
            input_fields=("tokens",),
            labels=UPOS_TAGS,
            metrics=TAGGING_METRICS,
            hf_config="udpos.{language_name}",
            hf_label_field="pos_tags",
        ),
        TaskSpec(
            id="panx",
            title="PAN-X (WikiANN) named-entity recognition",
            kind="tagging",
            languages=_langs(
                "ar,he,vi,id,jv,ms,tl,eu,ml,ta,te,af,nl,en,de,el,bn,hi,mr,ur,fa,fr,it,pt,es,"
                "bg,ru,ja,ka,ko,th,sw,yo,my,zh,kk,tr,et,fi,hu"
            ),
            input_fields=("tokens",),
            labels=PANX_TAGS,
            metrics=TAGGING_METRICS,
            hf_config="PAN-X.{lang}",
            hf_label_field="ner_tags",
        ),
    )
}


def get_task(task_id: str) -> TaskSpec:
    """The registered task `task_id`; raises UnknownTaskError naming the valid ids."""
    try:
        return TASKS[task_id]
    except KeyError:
        valid = ", ".join(sorted(TASKS))
        raise UnknownTaskError(f"unknown task {task_id!r}: valid tasks are {valid}") from None


def resolve_tasks(selection: dict[str, list[str]] | list[str] | None) -> dict[str, tuple[str, ...]]:
    """Normalise a task selection to {task_id: languages}, checking every id and language.

    None means all tasks with all their languages; a list of ids means those tasks with all
    their languages; a mapping may narrow languages (an empty list means all).
    """
    if selection is None:
        selection = list(TASKS)
    if isinstance(selection, (list, tuple)):
        selection = {task_id: [] for task_id in selection}
    resolved: dict[str, tuple[str, ...]] = {}
    for task_id, languages in selection.items():
        spec = get_task(task_id)
        if not languages:
            resolved[task_id] = spec.languages
            continue
        unknown = [lang for lang in languages if lang not in spec.languages]
        if unknown:
            raise UnknownTaskError(
                f"{task_id}: language(s) {', '.join(unknown)} are not part of XTREME's "
                f"{task_id}; valid: {', '.join(spec.languages)}"
            )
        resolved[task_id] = tuple(languages)
    return resolved
