"""The competition page's FAQ: the organisers' Markdown when they wrote one (from the YAML or the
admin), else a default written from the competition's rules, whose every number follows the
configuration (change the attempts, the limits or the dates and the answers change)."""

import html
import re
from datetime import UTC, datetime

import pytest

from competitions.models import Competition, Phase
from competitions.reads.counting import rule_of
from competitions.reads.faq import default_faq
from competitions.services.competitions import load_competition
from competitions.spec import SpecError, parse_competition
from evaluator import efficiency_rule

pytestmark = pytest.mark.django_db


def _faq(client) -> str:
    page = client.get("/c/xf/").content.decode()
    start = page.index('data-testid="faq"')
    return html.unescape(page[start : page.index("</section>", start)])


def _answer(competition, key: str) -> str:
    competition = Competition.objects.get(pk=competition.pk)
    return " ".join(next(a for a in default_faq(competition) if a.key == key).paragraphs)


def test_the_default_faq_follows_the_attempts_and_the_failed_run_rule(world, client):
    faq = _faq(client)
    assert "How many attempts does my team have?" in faq
    assert "Evaluation: 3 attempts per team" in faq and "Final: 1 attempt per team" in faq
    Phase.objects.filter(pk=world.eval.pk).update(max_attempts=7, failed_runs_count=True)
    faq = _faq(client)
    assert (
        "Evaluation: 7 attempts per team; a run that fails through your image's fault uses" in faq
    )
    assert "3 attempts" not in faq


def test_the_default_faq_reads_its_limits_dates_and_rule_from_the_configuration(world):
    comp = world.competition
    Competition.objects.filter(pk=comp.pk).update(
        time_limit_s=1234, memory_mb=4321, cpus=3, gpus=0, output_mb=77,
        debug_runs_per_window=4, debug_window_s=1500, timing_repeats=5, timezone="Europe/Berlin",
    )  # fmt: skip
    Phase.objects.filter(pk=world.final.pk).update(
        opens=datetime(2026, 12, 1, 8, 0, tzinfo=UTC), closes=datetime(2026, 12, 20, 17, 0, tzinfo=UTC)
    )  # fmt: skip
    check = _answer(comp, "check")
    assert "1234 s, 4321 MB of memory, 3 CPUs, 0 GPUs and write 77 MB" in check
    assert "4 debug runs every 25 min" in check
    assert "timed 5 times" in _answer(comp, "final")
    dates = _answer(comp, "dates")
    assert "Final: from 2026-12-01 09:00 CET to 2026-12-20 18:00 CET." in dates
    assert "Evaluation: no dates are set" in dates
    ranking = _answer(comp, "ranking")
    assert efficiency_rule.describe(rule_of(Competition.objects.get(pk=comp.pk))) in ranking
    assert "PAN-X (WikiANN) named-entity recognition: F1" in ranking


def test_the_default_faq_states_no_number_it_did_not_read(world):
    """Every number in the default answers (the rule's own words aside) is a configured value
    or part of a configured time: none is typed into the FAQ's text."""
    comp = Competition.objects.get(pk=world.competition.pk)
    rule_words = efficiency_rule.describe(rule_of(comp))
    text = " ".join(p for a in default_faq(comp) for p in a.paragraphs).replace(rule_words, "")
    configured = {
        str(v)
        for v in (
            comp.time_limit_s, comp.memory_mb, comp.cpus, comp.gpus, comp.output_mb,
            comp.debug_runs_per_window, comp.timing_repeats, comp.debug_window_s // 60,
            *(p.max_attempts for p in comp.phases.all()),
        )
    }  # fmt: skip
    assert set(re.findall(r"\d+", text)) <= configured


def test_the_organisers_faq_replaces_the_default_as_escaped_markdown(world, client):
    Competition.objects.filter(pk=world.competition.pk).update(
        faq="## Can we use ChatGPT?\n\nNo. <script>alert(1)</script> Ask **the organisers**."
    )
    page = client.get("/c/xf/").content.decode()
    faq = _faq(client)
    assert "<h2>Can we use ChatGPT?</h2>" in faq and "<strong>the organisers</strong>" in faq
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "How many attempts" not in faq


YAML = """
slug: faqcomp
title: FAQ competition
faq: |
  **Who may enter?** Fellows only.
tasks: {xnli: {languages: [en, de]}}
phases:
  - {key: eval, title: Evaluation, split: validation}
  - {key: final, title: Final, split: test, final_from_selection: true}
"""


def test_the_yaml_sets_the_faq_and_the_final_selection_and_refuses_it_off_the_final(client):
    report = load_competition(parse_competition(YAML))
    assert report.competition.faq.startswith("**Who may enter?**")
    assert report.competition.phases.get(key="final").final_from_selection
    page = client.get("/c/faqcomp/").content.decode()
    assert "<strong>Who may enter?</strong> Fellows only." in page
    Competition.objects.filter(slug="faqcomp").update(faq="")  # the default says it is offered
    assert "(Select for final)" in client.get("/c/faqcomp/").content.decode()
    with pytest.raises(SpecError, match=r"phases\[0\].*final phase \(split: test\) only"):
        parse_competition(
            YAML.replace("split: validation}", "split: validation, final_from_selection: true}")
        )
