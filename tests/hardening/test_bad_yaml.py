"""Broken competition YAML through `manage.py load_competition`: a CommandError naming the key.

Hypothesis then throws generated documents (random text, and random structures over the real
keys) at the parser: the only exception allowed out is SpecError.
"""

import time

import pytest
import yaml
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from competitions.models import Competition
from competitions.spec import SpecError, parse_competition

pytestmark = pytest.mark.django_db

ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True)
)

BROKEN = {
    "invalid-syntax": ("slug: [unclosed\ntitle: x\n", ["not valid YAML at line 2"]),
    "wrong-types": (
        "slug: 5\ntitle: [1]\ntasks: xnli\nphases: {a: 1}\n"
        "limits: {memory_mb: lots, gpus: -1}\ntiming: 3\nefficiency_rule: {bonus_places: [1, 2]}\n",
        ["slug:", "title:", "tasks:", "phases:", "limits.memory_mb:", "limits.gpus:", "timing:",
         "efficiency_rule.bonus_places:"],
    ),
    "unknown-keys": (
        "slug: a\ntitle: b\ncolour: blue\ntasks: {xnli: null}\nlimits: {gpu_count: 2}\n"
        "phases: [{key: e, title: E, split: test, bogus: 1}]\n",
        ["colour: unknown key", "limits.gpu_count: unknown key", "phases[0].bogus: unknown key"],
    ),
    "unknown-task-and-language": (
        "slug: a\ntitle: b\ntasks: {mnli: null, xnli: {languages: [de, kl]}}\n"
        "phases: [{key: e, title: E, split: test}]\n",
        ["tasks.mnli: unknown task", "tasks.xnli.languages: xnli has no language kl"],
    ),
    "not-a-mapping": ("- slug\n- title\n", ["must be a YAML mapping"]),
    "a-scalar": ("42\n", ["must be a YAML mapping"]),
    "empty": ("", ["must be a YAML mapping"]),
    "nul-byte": ("slug: a\x00\n", ["not valid YAML"]),
    "huge": ("slug: a\n" + "# padding\n" * 100_000, ["more than the 262,144"]),
    "alias-bomb": (
        ALIAS_BOMB + "slug: a\ntitle: t\ntasks: {xnli: {languages: *i}}\nphases: []\n",
        ["tasks.xnli.languages: must be a list of language codes", "phases: list at least one"],
    ),
    "bad-dates": (
        "slug: a\ntitle: b\ntasks: {xnli: null}\n"
        "phases: [{key: e, title: E, split: test, opens: 2026-01-02T00:00:00Z, "
        "closes: 2026-01-01T00:00:00Z}, {key: f, title: F, split: test, opens: 2026-01-01}]\n",
        ["phases[0]: closes", "phases[1].opens: needs a time zone"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_load_competition_names_every_broken_key(case, tmp_path):
    text, expected = BROKEN[case]
    path = tmp_path / f"{case}.yaml"
    path.write_text(text)
    started = time.monotonic()
    with pytest.raises(CommandError) as raised:
        call_command("load_competition", str(path))
    message = str(raised.value)
    assert time.monotonic() - started < 2, "refusing a file must be quick"
    assert str(path) in message and len(message) < 5000, message[:500]
    for words in expected:
        assert words in message, (case, words, message)
    assert not Competition.objects.exists()


def test_unreadable_and_non_utf8_files_are_command_errors(tmp_path):
    latin = tmp_path / "latin1.yaml"
    latin.write_bytes("title: Café\n".encode("latin-1"))
    with pytest.raises(CommandError, match="cannot read"):
        call_command("load_competition", str(latin))
    with pytest.raises(CommandError, match="cannot read"):
        call_command("load_competition", str(tmp_path / "missing.yaml"))


KEYS = ["slug", "title", "description", "tasks", "data", "phases", "limits", "timing",
        "efficiency_rule", "hardware", "code", "key", "split", "languages", "source", "size",
        "max_attempts", "opens", "closes", "metric", "bonus_places", "xnli", "panx", "en"]  # fmt: skip
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True)
    | st.text(max_size=20)
    | st.sampled_from(["test", "validation", "xnli", "runtime", "synthetic", "2026-01-01"])
)
documents = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=6)
    ),
    max_leaves=30,
)


def _parse_only_spec_errors(text: str) -> None:
    try:
        parse_competition(text)
    except SpecError as error:
        assert error.problems and all(isinstance(p, str) and p for p in error.problems)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_generated_structures_only_ever_raise_spec_error(document):
    _parse_only_spec_errors(yaml.safe_dump(document, allow_unicode=True))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300) | st.binary(max_size=300).map(lambda b: b.decode("latin-1")))
def test_random_text_only_ever_raises_spec_error(text):
    _parse_only_spec_errors(text)
