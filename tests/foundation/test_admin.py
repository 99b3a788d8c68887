"""Organisers can edit every rule of a competition in the Django admin."""

from html.parser import HTMLParser

import pytest

from competitions.models import Competition

pytestmark = pytest.mark.django_db


class FormFields(HTMLParser):
    """The values a browser would post back for the admin's change form."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind == "checkbox":
                if "checked" in attrs:
                    self.values[name] = "on"
            elif kind not in {"submit", "file"}:
                self.values[name] = attrs.get("value", "")
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.values[self._select] = attrs.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        if tag == "textarea":
            if self._textarea:
                self.values[self._textarea] = self.values[self._textarea].removeprefix("\n")
            self._textarea = None


RULE_FIELDS = {
    "time_limit_s": "1800",
    "memory_mb": "8192",
    "cpus": "4",
    "gpus": "1",
    "output_mb": "512",
    "timing_repeats": "5",
    "hardware_queue": "gpu-h200",
    "phases-0-max_attempts": "5",
    "phases-0-leaderboard_policy": "latest",
    "phases-0-results_visibility": "on_publish",
    "phases-0-opens_0": "2026-12-01",
    "phases-0-opens_1": "09:00:00",
    "phases-0-closes_0": "2027-01-31",
    "phases-0-closes_1": "17:00:00",
    "tasks-0-languages": '["en", "de"]',
    "efficiency_rule-0-metric": "energy",
    "efficiency_rule-0-bonus_places": "[3, 1]",
    "efficiency_rule-0-max_score_gap": "7.5",
    "efficiency_rule-0-min_efficiency_gap": "0.1",
}


def test_every_rule_is_editable_in_the_admin(client, organiser, competition):
    client.force_login(organiser)
    url = f"/admin/competitions/competition/{competition.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    parser = FormFields()
    parser.feed(page.content.decode())
    form = parser.values
    missing = [name for name in RULE_FIELDS if name not in form]
    assert not missing, f"not editable in the admin: {missing}"
    form.update(RULE_FIELDS)
    form["phases-0-failed_runs_count"] = "on"
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[-3000:]
    competition = Competition.objects.get(pk=competition.pk)
    assert (competition.time_limit_s, competition.timing_repeats, competition.hardware_queue) == (
        1800,
        5,
        "gpu-h200",
    )
    phase = competition.phases.order_by("order").first()
    assert (phase.max_attempts, phase.leaderboard_policy, phase.failed_runs_count) == (
        5,
        "latest",
        True,
    )
    assert phase.closes.isoformat().startswith("2027-01-31T17:00")
    rule = competition.efficiency_rule
    assert (rule.metric, rule.bonus_places, rule.max_score_gap, rule.min_efficiency_gap) == (
        "energy",
        [3, 1],
        7.5,
        0.1,
    )


def test_admin_refuses_an_increasing_bonus_and_an_unknown_language(client, organiser, competition):
    client.force_login(organiser)
    url = f"/admin/competitions/competition/{competition.pk}/change/"
    parser = FormFields()
    parser.feed(client.get(url).content.decode())
    form = parser.values | {
        "efficiency_rule-0-bonus_places": "[1, 2]",
        "tasks-0-languages": '["xx"]',
    }
    response = client.post(url, form)
    assert response.status_code == 200
    text = response.content.decode()
    assert "must not increase" in text and "has no language xx" in text
    assert Competition.objects.get(pk=competition.pk).efficiency_rule.bonus_places == [2, 1]
