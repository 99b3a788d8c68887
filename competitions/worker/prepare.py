"""Hidden splits before a phase opens: build each into the artifact store, check it, record it.

`prepare_phase` builds the bundle exactly as a worker would (splits.publish_split), reads it back
as a worker would (splits.local_split), and checks it against the source with the pure
`evaluator.split_check.verify_split`. The result is stored on the phase for the organiser page.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from django.utils import timezone

from competitions.models import Phase
from competitions.worker.splits import local_split, split_key
from evaluator.canary_scoring import read_canaries
from evaluator.contract import file_name, load_canaries, read_gold
from evaluator.data import DataSourceError, open_source
from evaluator.split_check import SplitReport, hashes, input_hash, verify_split

OTHER_SPLIT = {"validation": "test", "test": "validation"}


def _stored_hashes(input_dir: Path, manifest: dict) -> dict:
    """Per (task, language), the input hash of each stored example, in the file's order."""
    found = {}
    for task, entry in manifest["tasks"].items():
        for language in entry["languages"]:
            path = input_dir / file_name(task, language, "jsonl")
            with path.open(encoding="utf-8") as handle:
                found[(task, language)] = [input_hash(task, json.loads(line)) for line in handle]
    return found


def _apart(stored: dict, marks: dict) -> tuple[dict, dict]:
    """The originals' hashes and the canaries' (with where they are), per (task, language)."""
    originals, canaries = {}, {}
    for key, found in stored.items():
        positions = marks.get(key, {}).get("positions", [])
        apart = set(positions)
        originals[key] = {h for i, h in enumerate(found) if i not in apart}
        if key in marks:
            canaries[key] = {**marks[key], "hashes": [found[i] for i in positions]}
    return originals, canaries


def _source_side(source, tasks: dict, split: str):
    """From the source: example counts of `split`, and input hashes of the other split and of
    the training data teams get (a language without training data has none to leak into)."""
    counts, other, train, public = {}, {}, {}, {}
    for task, languages in tasks.items():
        for language in languages:
            examples = source.examples(task, language, split)
            counts[(task, language)] = len([ex for ex in examples if ex.get("tokens", True)])
            public[(task, language)] = hashes(task, examples)
            try:
                other[(task, language)] = hashes(
                    task, source.examples(task, language, OTHER_SPLIT[split])
                )
            except DataSourceError:
                other[(task, language)] = set()
            try:
                train[(task, language)] = hashes(task, source.examples(task, language, "train"))
            except DataSourceError:
                train[(task, language)] = set()
    return counts, other, train, public


def prepare_phase(phase: Phase) -> SplitReport:
    """Build, read back and verify the phase's hidden split; record the outcome on the phase.

    Raises DataSourceError (nothing recorded) when the source cannot be read at all.
    """
    competition = phase.competition
    tasks = competition.task_languages()
    source = open_source(competition.data_config)
    with tempfile.TemporaryDirectory(prefix="podium-prepare-") as tmp:
        built = local_split(phase, Path(tmp))
        gold = read_gold(built.gold_dir, built.manifest)
        stored = _stored_hashes(built.input_dir, built.manifest)
        marks = read_canaries(load_canaries(built.gold_dir))
    counts, other, train, public = _source_side(source, tasks, phase.split)
    originals, canaries = _apart(stored, marks)
    report = verify_split(
        phase.split,
        tasks,
        built.manifest,
        gold,
        counts,
        originals,
        other,
        train,
        other_split=OTHER_SPLIT[phase.split],
        canaries=canaries,
        public_hashes=public,
    )
    phase.split_key = split_key(phase)
    phase.split_built_at = timezone.now()
    phase.split_verified = report.verified
    phase.split_summary = report.as_json()
    Phase.objects.filter(pk=phase.pk).update(
        split_key=phase.split_key,
        split_built_at=phase.split_built_at,
        split_verified=phase.split_verified,
        split_summary=phase.split_summary,
    )
    return report
