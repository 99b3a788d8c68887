"""The baseline on the public sample, before any reference run exists: its score and timings.

The trusted baseline command runs through the ProcessRunner on a sample written from the
training data teams already have, `repeats` times; the figures are kept in the artifact store
(calibration/<slug>.json), where the organiser page reads them.
"""

from __future__ import annotations

import json
import statistics
import tempfile
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from competitions.models import Competition
from evaluator.contract import score_output, write_sample
from evaluator.data import open_source
from evaluator.runner.process_runner import ProcessRunner
from evaluator.uncertainty import board_uncertainty


class CalibrationFailed(RuntimeError):
    """The baseline did not run or wrote unusable predictions; the message says which."""


def calibration_name(slug: str) -> str:
    return f"calibration/{slug}.json"


def calibrate(
    competition: Competition, command: list[str], repeats: int = 5, per_language: int = 50
) -> dict:
    """Run `command` on the public sample `repeats` times; store and return the figures."""
    tasks = competition.task_languages()
    limits = competition.limits()  # the competition's own, as its runs get
    runner = ProcessRunner()
    measurements, overall, interval = [], None, None
    with tempfile.TemporaryDirectory(prefix="podium-calibrate-") as tmp:
        root = Path(tmp)
        source = open_source(competition.data_config)
        manifest = write_sample(
            source, tasks, root / "input", root / "gold", per_language, split="train"
        )
        for repeat in range(1, repeats + 1):
            output = root / f"output-{repeat}"
            outcome = runner.run(command, root / "input", output, limits, trusted=True)
            if not outcome.ok:
                raise CalibrationFailed(
                    f"repeat {repeat}: {outcome.failure or 'the run failed'}\n{outcome.logs}"
                )
            measurements.append(outcome.duration_s)
            try:
                scored = score_output(
                    output, root / "gold", manifest, competition.scoring_convention
                )
            except ValueError as error:
                raise CalibrationFailed(f"repeat {repeat}: {error}") from None
            if overall is None:
                overall = scored.scores.overall
                # How sure that score is (the same bootstrap as the board's), beside the gap.
                bounds = board_uncertainty({"baseline": scored.stats}).teams[0].overall_interval
                interval = [bounds.low, bounds.high]
    figures = {
        "command": command,
        "score": overall,
        "score_interval": interval,
        "runtime_s": statistics.median(measurements),
        "measurements": measurements,
        "per_language": per_language,
        "examples": sum(sum(e["counts"].values()) for e in manifest["tasks"].values()),
        "measured_at": timezone.now().isoformat(),
    }
    name = calibration_name(competition.slug)
    if default_storage.exists(name):
        default_storage.delete(name)
    default_storage.save(name, ContentFile(json.dumps(figures, indent=1).encode()))
    return figures
