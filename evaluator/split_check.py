"""Checks on a built hidden split before its phase opens: pure functions over plain data.

`verify_split` looks at what was stored (manifest, gold labels, the inputs' content hashes) and
what the source holds, and lists every problem in words an organiser can act on. The overlap
checks compare inputs by content (`input_hash`), not by id: ids are renumbered per split.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from evaluator.registry import get_task

Key = tuple[str, str]  # (task, language)
KEY_FORMAT = 1


def split_identity(
    data_config: Mapping, tasks: Mapping, split: str, canaries: Mapping | None = None
) -> str:
    """Content key of a hidden split: changes when the data, the task list, the split or its
    canaries' plan does (a split without canaries keeps the key it always had)."""
    identity = {"format": KEY_FORMAT, "data": dict(data_config), "tasks": tasks, "split": split}
    if canaries and canaries.get("percent"):
        identity["canaries"] = dict(canaries)
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:20]


def input_hash(task: str, record: Mapping) -> str:
    """Hash of what a model sees of one example (its input fields, not its id or label)."""
    fields = [record[name] for name in get_task(task).input_fields]
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode()).hexdigest()


def hashes(task: str, records: Iterable[Mapping]) -> set[str]:
    return {input_hash(task, record) for record in records}


@dataclass
class SplitReport:
    split: str
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    canaries: dict[str, dict[str, int]] = field(default_factory=dict)  # of `counts`, canaries

    @property
    def verified(self) -> bool:
        return not self.problems

    def as_json(self) -> dict:
        return {
            "split": self.split,
            "counts": self.counts,
            "canaries": self.canaries,
            "problems": self.problems,
        }


def verify_split(
    split: str,
    expected: Mapping[str, list[str]],
    manifest: Mapping,
    gold: Mapping[Key, list],
    source_counts: Mapping[Key, int],
    split_hashes: Mapping[Key, set[str]],
    other_hashes: Mapping[Key, set[str]],
    train_hashes: Mapping[Key, set[str]],
    other_split: str = "",
    canaries: Mapping[Key, Mapping] | None = None,
    public_hashes: Mapping[Key, set[str]] | None = None,
) -> SplitReport:
    """Every problem of one built split; `verified` when there is none.

    expected: the competition's tasks and languages; manifest/gold: what the bundle holds;
    source_counts: examples the source has for this split (empty tagging sentences left out);
    split_hashes/other_hashes/train_hashes: input hashes of this split, of the other phase's
    hidden split and of the training data teams get, per (task, language) (the originals only
    when the split has canaries). canaries: per (task, language), the canaries' "positions",
    their "parents" and their input "hashes"; public_hashes: the source's own examples of this
    split. A canary must keep its parent's label and equal no public example.
    """
    canaries = canaries or {}
    public_hashes = public_hashes or {}
    report = SplitReport(split=split)
    stored = manifest.get("tasks", {})
    for task, languages in expected.items():
        spec = get_task(task)
        entry = stored.get(task)
        if entry is None:
            report.problems.append(f"{task}: missing from the split; rebuild it")
            continue
        report.counts[task] = dict(entry.get("counts", {}))
        trained = set().union(*(h for (t, _), h in train_hashes.items() if t == task))
        for language in languages:
            where = f"{task}/{language}"
            count = entry.get("counts", {}).get(language)
            if count is None or language not in entry.get("languages", []):
                report.problems.append(f"{where}: missing from the split; rebuild it")
                continue
            if count == 0:
                report.problems.append(f"{where}: no examples; check the data source")
            added = len(canaries.get((task, language), {}).get("positions", []))
            if added:
                report.canaries.setdefault(task, {})[language] = added
            expected_count = source_counts.get((task, language))
            if expected_count is not None and expected_count + added != count:
                report.problems.append(
                    f"{where}: {count} examples stored but the source has "
                    f"{source_counts[(task, language)]}"
                    + (f" (+ {added} canaries)" if added else "")
                    + "; rebuild the split"
                )
            labels = gold.get((task, language), [])
            if (task, language) in canaries and len(labels) == count:
                report.problems.extend(
                    _canary_problems(
                        where,
                        spec,
                        labels,
                        canaries[(task, language)],
                        public_hashes.get((task, language), set())
                        | other_hashes.get((task, language), set())
                        | trained,
                    )
                )
            if len(labels) != count:
                report.problems.append(f"{where}: {len(labels)} gold labels for {count} inputs")
            report.problems.extend(_label_problems(where, spec, labels))
            mine = split_hashes.get((task, language), set())
            shared = mine & other_hashes.get((task, language), set())
            if shared:
                report.problems.append(
                    f"{where}: {len(shared)} input(s) also in the {other_split or 'other'} "
                    "split; the two phases must not share examples"
                )
            leaked = mine & trained
            if leaked:
                report.problems.append(
                    f"{where}: {len(leaked)} input(s) also in the training data teams get; "
                    "remove them from the source's training files"
                )
    return report


def _entity_types(tags) -> list[str]:
    from evaluator.canary import entity_spans

    return [kind for _, _, kind in entity_spans(tags)]


def _canary_problems(where: str, spec, labels: list, mark: Mapping, public: set[str]) -> list:
    """A canary is in the file, keeps its parent's label (tagging: the same tags, or for PAN-X
    the same entity types in order) and equals no public example."""
    positions, parents = list(mark["positions"]), list(mark["parents"])
    inside = range(len(labels))
    if len(set(positions)) != len(positions) or len(parents) != len(positions):
        return [f"{where}: the canary record is inconsistent; rebuild the split"]
    if not all(p in inside for p in positions + parents) or set(positions) & set(parents):
        return [f"{where}: a canary or its parent is outside the split; rebuild the split"]
    problems = []
    changed = 0
    for position, parent in zip(positions, parents, strict=True):
        mine, theirs = labels[position], labels[parent]
        if spec.id == "panx":
            changed += _entity_types(mine) != _entity_types(theirs)
        else:
            changed += mine != theirs
    if changed:
        problems.append(
            f"{where}: {changed} canary label(s) differ from the example they were made from; "
            "the canaries must keep their labels: rebuild the split"
        )
    equal = sum(1 for h in mark.get("hashes", []) if h in public)
    if equal:
        problems.append(
            f"{where}: {equal} canary input(s) equal a public example; a lookup table would "
            "know them: rebuild the split with another canary seed"
        )
    return problems


def _label_problems(where: str, spec, labels: list) -> list[str]:
    allowed = set(spec.labels)
    flat = [tag for sentence in labels for tag in sentence] if spec.is_tagging else labels
    unknown = sorted({label for label in flat if label not in allowed})
    if not unknown:
        return []
    return [f"{where}: gold labels {', '.join(map(repr, unknown[:5]))} are not {spec.id} labels"]


def summary_lines(report: SplitReport) -> list[str]:
    """The report as text lines: counts per task and language, then any problem."""
    lines = []
    for task, counts in report.counts.items():
        total = sum(counts.values())
        per_language = ", ".join(f"{lang} {n}" for lang, n in counts.items())
        lines.append(f"  {task}: {total} examples ({per_language})")
        added = report.canaries.get(task, {})
        if added:
            shown = ", ".join(f"{lang} {n}" for lang, n in added.items())
            lines.append(f"    of which {sum(added.values())} canaries ({shown}), scored apart")
    state = "verified" if report.verified else f"NOT verified, {len(report.problems)} problem(s)"
    lines.append(f"  {state}")
    lines.extend(f"  - {problem}" for problem in report.problems)
    return lines
