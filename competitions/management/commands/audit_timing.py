"""`manage.py audit_timing SLUG PHASE [--top N] [--rounds K]`: re-time the contending teams'
counting runs together on this worker, interleaved, and show what the board then says."""

from django.core.management.base import BaseCommand, CommandError

from competitions.reads import boards
from competitions.services.audits import DEFAULT_ROUNDS, AuditRefused, request_audit
from competitions.worker import entry


class Command(BaseCommand):
    help = (
        "Timing audit: every contending team's counting run re-timed on this worker, one "
        "discarded warm-up each, then K rounds in rotating order; costs no attempt."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("phase")
        parser.add_argument("--top", type=int, default=None, help="only the top N teams on score")
        parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS, help="timed rounds")

    def handle(self, *args, **options):
        phase = boards.phase_for(options["slug"], options["phase"])
        if phase is None:
            raise CommandError(f"competition {options['slug']!r} has no phase {options['phase']!r}")
        try:
            audit = request_audit(phase, rounds=options["rounds"], top=options["top"], send=False)
        except AuditRefused as refusal:
            raise CommandError(str(refusal)) from None
        worker = entry.WorkerContext.from_settings()
        self.stdout.write(f"audit {audit.pk}: {audit.rounds} rounds on {worker.name} ...")
        audit = entry.run_audit(audit.pk, worker)
        if audit.status != audit.Status.FINISHED:
            raise CommandError(f"audit {audit.pk} failed: {audit.failure_reason}")
        board = boards.leaderboard(phase, as_organiser=True)
        for row in board.rows:
            figures = (
                f"median {row.efficiency:.3f} s over {len(row.audit_rounds)} rounds, "
                f"spread {row.audit_spread_percent:.1f}%"
                if row.audit_rounds
                else "not audited"
            )
            flag = "  NON-DETERMINISTIC" if row.nondeterministic else ""
            self.stdout.write(f"{row.final_rank:>2}  {row.team}: {figures}{flag}\n    {row.reason}")
