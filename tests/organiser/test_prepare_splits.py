"""Hidden splits before a phase opens: prepare_splits builds, verifies and records them from a
local XTREME-layout folder; a leak or an overlap is named; an unreachable hub fails fast."""

import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from competitions.models import Competition
from competitions.reads.organiser import split_state
from competitions.services.competitions import load_competition
from competitions.spec import parse_competition
from evaluator.data import open_source

pytestmark = pytest.mark.django_db
TASKS = {"xnli": ["en", "de"], "pawsx": ["en", "fr"], "udpos": ["en", "de"], "panx": ["en", "de"]}
FILE_SPLIT = {"train": "train", "validation": "dev", "test": "test"}


def write_xtreme_layout(root: Path) -> None:
    """XTREME's download_data.sh layout (<task>/<split>-<lang>.tsv), from synthetic examples."""
    source = open_source({"source": "synthetic", "seed": 3, "size": 12})
    for task, languages in TASKS.items():
        (root / task).mkdir(parents=True)
        for language in languages:
            for split, name in FILE_SPLIT.items():
                lines = []
                for ex in source.examples(task, language, split):
                    if "tokens" in ex:
                        lines += [f"{t}\t{g}" for t, g in zip(ex["tokens"], ex["tags"])] + [""]
                    else:
                        lines.append(f"{ex['sentence1']}\t{ex['sentence2']}\t{ex['label']}")
                path = root / task / f"{name}-{language}.tsv"
                path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def yaml_for(data: str, canaries: str = "{percent: 0}") -> str:
    """The competition's YAML; canaries off unless asked (tests/organiser/test_canary_splits.py
    checks the splits with them), so the counts here are the source's own."""
    tasks = "\n".join(f"  {t}: {{languages: [{', '.join(ls)}]}}" for t, ls in TASKS.items())
    return f"""slug: local-xf
title: Local XTREME
tasks:
{tasks}
data: {data}
canaries: {canaries}
phases:
  - {{key: eval, title: Evaluation, split: validation}}
  - {{key: final, title: Final, split: test}}
"""


@pytest.fixture
def local_competition(tmp_path, artifact_store):
    data = tmp_path / "xtreme"
    write_xtreme_layout(data)
    spec = parse_competition(yaml_for(f"{{source: local, path: {data}}}"))
    load_competition(spec)
    return Competition.objects.get(slug="local-xf"), data


def prepare(*args) -> str:
    out = StringIO()
    call_command("prepare_splits", *args, stdout=out)
    return out.getvalue()


def test_builds_verifies_and_records_every_phase_with_counts(local_competition, artifact_store):
    competition, _ = local_competition
    assert all(not split_state(p).ready for p in competition.phases.all())
    out = prepare("local-xf")
    assert "eval (validation split)" in out and "final (test split)" in out
    assert "xnli: 24 examples (de 12, en 12)" in out
    assert "panx:" in out and "verified" in out and "NOT" not in out
    for phase in competition.phases.all():
        state = split_state(phase)
        assert state.ready and phase.split_verified and phase.split_built_at
        assert phase.split_summary["counts"]["udpos"]["de"] > 0
    assert len(list((artifact_store / "splits" / "local-xf").iterdir())) == 2


def test_a_test_example_in_the_training_data_is_refused(local_competition):
    competition, data = local_competition
    test_line = (data / "xnli" / "test-de.tsv").read_text().splitlines()[4]
    with (data / "xnli" / "train-de.tsv").open("a") as handle:
        handle.write(test_line + "\n")
    with pytest.raises(CommandError, match="did not pass"):
        prepare("local-xf", "--phase", "final")
    final = competition.phases.get(key="final")
    assert not final.split_verified and not split_state(final).ready
    problems = final.split_summary["problems"]
    assert problems == ["xnli/de: 1 input(s) also in the training data teams get; "
                        "remove them from the source's training files"]  # fmt: skip


def test_an_example_in_both_hidden_splits_is_refused(local_competition):
    _, data = local_competition
    dev_block = (data / "panx" / "dev-en.tsv").read_text().split("\n\n")[2]
    with (data / "panx" / "test-en.tsv").open("a") as handle:
        handle.write(dev_block + "\n\n")
    with pytest.raises(CommandError):
        prepare("local-xf", "--phase", "eval")
    problems = Competition.objects.get().phases.get(key="eval").split_summary["problems"]
    assert any("panx/en: 1 input(s) also in the test split" in p for p in problems), problems


def test_changed_data_makes_the_split_stale(local_competition):
    competition, _ = local_competition
    prepare("local-xf", "--phase", "eval")
    competition.tasks.filter(task="pawsx").delete()
    assert split_state(competition.phases.get(key="eval")).state == "stale"


def test_an_unreachable_hub_fails_fast_with_the_remedy(db, artifact_store, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens: refused at once
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    load_competition(parse_competition(yaml_for("{source: huggingface}")))
    started = time.monotonic()
    with pytest.raises(CommandError) as caught:
        prepare("local-xf", "--phase", "eval")
    assert time.monotonic() - started < 15
    message = str(caught.value)
    assert "cannot reach the Hugging Face hub at http://127.0.0.1:9" in message
    assert "data: {source: local, path: /data/xtreme}" in message
    assert not Competition.objects.get().phases.get(key="eval").split_key


def test_unknown_phase_is_named(local_competition):
    with pytest.raises(CommandError, match="has no phase 'nope'; its phases: eval, final"):
        prepare("local-xf", "--phase", "nope")


def test_bundles_unpack_without_pythons_data_filter(tmp_path, monkeypatch):
    """The worker image's Python (Debian's 3.11.2) has no tarfile data filter: same rules."""
    import io
    import tarfile

    from competitions.worker import splits

    monkeypatch.delattr(tarfile, "data_filter", raising=False)
    good, bad = tmp_path / "good.tar", tmp_path / "bad.tar"
    with tarfile.open(good, "w") as tar:
        info = tarfile.TarInfo("input/manifest.json")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"{}"))
    with tarfile.open(good) as tar:
        splits._extract(tar, tmp_path / "out")
    assert (tmp_path / "out" / "input" / "manifest.json").read_text() == "{}"
    with tarfile.open(bad, "w") as tar:
        link = tarfile.TarInfo("input/escape")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
    with tarfile.open(bad) as tar, pytest.raises(tarfile.TarError, match="not a plain path"):
        splits._extract(tar, tmp_path / "out2")
