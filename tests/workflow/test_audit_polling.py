"""Without a broker, the polling worker (`manage.py evaluate --pending`, the demo's) also runs
the timing audits organisers queue from their page."""

from io import StringIO

import pytest
from django.core.management import call_command

from baselines import majority
from competitions.models import AuditMeasurement, Team, TimingAudit
from competitions.services.audits import request_audit
from competitions.services.submissions import Artifact, submit

pytestmark = pytest.mark.django_db(transaction=True)


def test_polling_worker_runs_a_queued_audit(competition, artifact_store, settings, tmp_path):
    settings.PODIUM_DISPATCH = "poll"
    settings.PODIUM_RUNNER = "process"
    settings.PODIUM_ALLOW_UNTRUSTED_PROCESS_RUNS = True
    settings.PODIUM_WORK_DIR = str(tmp_path / "worker")
    phase = competition.phases.get(key="eval")
    for name in ("Alpha", "Bravo"):
        team = Team.objects.create(name=name, slug=name.lower())
        submit(team, phase, Artifact(trusted_command=majority.local_command()))
    call_command("evaluate", pending=True, stdout=StringIO())
    audit = request_audit(phase, rounds=2)  # queued; no broker to send it to
    out = StringIO()
    call_command("evaluate", pending=True, stdout=out)
    audit.refresh_from_db()
    assert audit.status == TimingAudit.Status.FINISHED, audit.failure_reason
    assert f"timing audit {audit.pk}: finished (2 rounds)" in out.getvalue()
    assert AuditMeasurement.objects.filter(audit=audit).count() == 2 * (1 + 2)
    assert all(AuditMeasurement.objects.values_list("matches_original", flat=True))
