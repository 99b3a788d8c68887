"""The competition page's data section: the declared tasks and languages (from the registry and
the competition, never a list in the template), where training data comes from, and each hidden
split's size once built, "being prepared" until then."""

import re

import pytest

from competitions.models import Competition, Phase
from tests.factories import logged_in

pytestmark = pytest.mark.django_db


def _section(client) -> str:
    page = client.get("/c/xf/").content.decode()
    start = page.index('data-testid="data-section"')
    return page[start : page.index("</section>", start)]


def _cells(html: str, testid: str) -> list[list[str]]:
    table = html[html.index(f'data-testid="{testid}"') :]
    table = table[: table.index("</table>")]
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)
    return [
        [
            re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, re.S)
        ]
        for r in rows
    ]


def test_the_data_section_lists_the_declared_tasks_languages_and_split_sizes(world, client):
    Phase.objects.filter(pk=world.eval.pk).update(
        split_summary={"counts": {"xnli": {"de": 30, "en": 31}, "panx": {"de": 7, "en": 8}}}
    )
    Phase.objects.filter(pk=world.final.pk).update(split_key="", split_verified=False)
    section = _section(client)
    tasks = _cells(section, "data-tasks")
    assert tasks[1][0].startswith("XNLI natural language inference") and tasks[1][2] == "3"
    assert tasks[1][4] == "2: de, en" and tasks[2][4] == "2: de, en"
    assert tasks[2][0].startswith("PAN-X") and tasks[2][3] == "F1"
    sizes = _cells(section, "split-sizes")
    assert sizes[0][2:] == ["xnli", "panx"]
    assert sizes[1][2:] == ["61", "15"]
    assert sizes[2][2:] == ["being prepared"]
    assert "Synthetic mini-XTREME data" in section
    assert "baselines.mbert.data import load_examples" in section
    assert "/c/xf/how-to-submit/#contract" in section


def test_the_training_source_follows_the_yaml_data(world, client):
    Competition.objects.filter(pk=world.competition.pk).update(
        data_config={"source": "huggingface", "revision": "abc123"}
    )
    section = _section(client)
    assert "google/xtreme at revision abc123" in section and "MNLI" in section
    assert "{&quot;source&quot;: &quot;huggingface&quot;" in section
    # A signed-in team member sees the same section.
    assert "google/xtreme" in _section(logged_in(world.ada))
