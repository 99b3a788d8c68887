"""While a timing audit runs: tell the database the worker is alive, and stop the container being
timed within about a second once the audit is not this worker's any more (an organiser cancelled
it, or reconcile failed it after a silence)."""

from __future__ import annotations

import logging
import threading

from django.db import DatabaseError

from competitions.models import TimingAudit
from competitions.services import audits as audit_service

log = logging.getLogger(__name__)


class AuditLost(Exception):
    """The audit was cancelled or taken away while it ran: record nothing more."""


class AuditWatch:
    def __init__(self, audit_id: int, worker: str, interval_s: float, check_s: float = 1.0):
        self.audit_id, self.worker = audit_id, worker
        self.interval_s, self.check_s = interval_s, min(check_s, interval_s)
        self.executor = None  # the executor timing a contender now; stopped when the audit is lost
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True, name=f"audit-{audit_id}")

    def ours(self) -> bool:
        return TimingAudit.objects.filter(
            pk=self.audit_id, status=TimingAudit.Status.RUNNING, worker=self.worker
        ).exists()

    def check(self) -> None:
        """Between measurements: raise AuditLost once the audit is not ours."""
        if self.lost.is_set() or not self.ours():
            self.lost.set()
            raise AuditLost(f"audit {self.audit_id} is no longer this worker's")

    def _watch(self) -> None:
        from django.db import connection

        since_beat = 0.0
        try:
            while not self._stop.wait(self.check_s):
                since_beat += self.check_s
                try:
                    if since_beat >= self.interval_s:
                        since_beat = 0.0
                        ours = audit_service.heartbeat(self.audit_id, self.worker)
                    else:
                        ours = self.ours()
                except DatabaseError as error:  # away for a moment: keep beating once back
                    log.warning("audit %s: heartbeat not recorded: %s", self.audit_id, error)
                    connection.close()
                    continue
                if not ours:
                    self.lost.set()
                    log.info("audit %s is no longer ours: stopping it", self.audit_id)
                    if self.executor is not None:
                        self.executor.stop("the timing audit was cancelled")
                    return
        finally:
            connection.close()

    def __enter__(self) -> AuditWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
