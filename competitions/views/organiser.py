"""The organisers' page and its actions: phases, limits, the rule, runs (staff only)."""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from competitions import whatif
from competitions.forms import EfficiencyRuleForm, LimitsForm, PhaseRulesForm
from competitions.models import Competition, Phase, Run, TimingAudit
from competitions.permissions import organiser_required
from competitions.reads import boards
from competitions.reads import canaries as canary_reads
from competitions.reads import organiser as organiser_reads
from competitions.reads.audits import recent_audits
from competitions.services import canaries as canary_service
from competitions.services import organiser as organiser_service
from competitions.services import runs as run_service
from competitions.services import stages as stage_service
from competitions.services.audits import AuditRefused, cancel_audit, request_audit
from evaluator import efficiency_rule


def _phase_or_404(slug: str, phase_key: str):
    phase = boards.phase_for(slug, phase_key)
    if phase is None:
        raise Http404(f"competition {slug} has no phase {phase_key}")
    return phase


PHASE_BUTTONS = [
    ("open", "Open", "secondary"),
    ("close", "Close", "danger"),
    ("freeze", "Freeze board", "secondary"),
    ("unfreeze", "Unfreeze", "secondary"),
    ("publish", "Publish final board…", ""),
    ("unpublish", "Withdraw publication", "danger"),
]


def _organiser_context(request, comp: Competition, **forms) -> dict:
    rule = getattr(comp, "efficiency_rule", None)
    phases = list(comp.phases.all())
    phase_boards = [boards.leaderboard(phase, viewer=request.user) for phase in phases]
    references = {board.phase.pk: board.references for board in phase_boards}
    now = timezone.now()
    return {
        "competition": comp,
        "phases": [
            {
                "phase": p,
                "form": forms.get(f"phase_{p.pk}") or PhaseRulesForm(instance=p, prefix=f"p{p.pk}"),
                "references": references[p.pk],
                "submissions": p.submissions.count(),
                "schedule": p.schedule_state(now),
                "split": organiser_reads.split_state(p),
                "audits": recent_audits(p),
                "canary_baseline": canary_reads.baseline_run(p),
            }
            for p in phases
        ],
        "limits_form": forms.get("limits") or LimitsForm(instance=comp),
        "rule_form": forms.get("rule") or EfficiencyRuleForm(instance=rule),
        "queue": organiser_reads.queue_overview(),
        "workers": organiser_reads.active_workers(),
        "worker_timing": organiser_reads.worker_timing(settings.PODIUM_TIMING_GOAL_CV_PERCENT),
        "timing_goal": settings.PODIUM_TIMING_GOAL_CV_PERCENT,
        "recent_runs": organiser_reads.recent_runs(comp),
        "canary_flags": canary_reads.flagged_runs(comp),
        "baseline_known": any(references.values()),
        "calibration": organiser_reads.calibration(phase_boards, boards.rule_of(comp), comp.slug),
        "phase_buttons": PHASE_BUTTONS,
        "what_if": _what_if(request, comp, phases, phase_boards),
    }


def _what_if(request, comp: Competition, phases: list[Phase], phase_boards=None) -> dict:
    """Other rule values tried on a phase's current results (from the query string), unsaved."""
    params = request.GET
    phase = next((p for p in phases if p.key == params.get("phase")), phases[0] if phases else None)
    saved = boards.rule_of(comp)
    shown = saved or efficiency_rule.EfficiencyRule()
    values = {
        "bonus_places": whatif.places_text(shown.bonus_places),
        "max_score_gap": f"{shown.max_score_gap:g}",
        "min_efficiency_gap": f"{shown.min_efficiency_gap:g}",
    }
    values.update({name: params[name] for name in whatif.OVERRIDES if params.get(name)})
    context = {
        "phases": phases,
        "phase": phase,
        "saved": saved,
        "saved_words": whatif.rule_words(saved),
        "values": values,
    }
    if phase is None:
        return context
    board = next((b for b in phase_boards or [] if b.phase.pk == phase.pk), None)
    board = board or boards.leaderboard(phase, viewer=request.user)
    try:
        trial = whatif.rule_with_overrides(params, saved)
    except whatif.OverrideRefused as refusal:
        return {**context, "error": str(refusal)}
    compared = whatif.compare(board, trial)
    return {
        **context,
        "trial": trial,
        "trial_words": whatif.rule_words(trial),
        "compared": compared,
        "saved_order": sorted(compared, key=lambda c: c.saved_rank),
        "movers": [c for c in compared if c.change],
        "map": whatif.sensitivity(board, trial) if board.rows else None,
        "baseline_noise": whatif.baseline_noise(board, trial),
    }


@organiser_required
@require_GET
def organiser_what_if(request, slug):
    """The what-if section alone, for the panel's in-place refresh (htmx)."""
    comp = get_object_or_404(Competition.objects.select_related("efficiency_rule"), slug=slug)
    context = {"competition": comp, "what_if": _what_if(request, comp, list(comp.phases.all()))}
    return render(request, "competitions/_whatif.html", context)


@organiser_required
@require_POST
def organiser_close_stage(request, slug, phase_key):
    phase = _phase_or_404(slug, phase_key)
    if request.POST.get("confirmed") != "yes":
        # It closes the phase, records its winners and (where the competition says so) shares
        # every team's code: not undone, so confirmed like "End phase for good".
        messages.error(
            request,
            f"{phase.title}: not closed as a stage. Tick the box beside the button to confirm: "
            "it cannot be undone.",
        )
        return redirect("organiser", slug=slug)
    try:
        text = request.POST.get("reward_points", "").strip() or "0"
        if not text.isdigit():
            raise organiser_service.OrganiserActionRefused(
                f"the winner's points {text!r} are not a whole number; give one, or leave it empty"
            )
        stage = stage_service.close_stage(
            phase,
            request.user,
            reward_points=int(text),
            reward_badge=request.POST.get("reward_badge", ""),
        )
    except organiser_service.OrganiserActionRefused as refusal:
        messages.error(request, f"{phase.title}: {refusal}.")
    else:
        winner = stage.rows[0]["team"]
        shared = " Code of its submissions is now shared with all participants." * stage.code_shared
        messages.success(request, f"{phase.title}: stage closed, won by {winner}.{shared}")
    return redirect("organiser", slug=slug)


@organiser_required
@require_GET
def organiser(request, slug):
    comp = get_object_or_404(Competition.objects.select_related("efficiency_rule"), slug=slug)
    return render(request, "competitions/organiser.html", _organiser_context(request, comp))


@organiser_required
@require_POST
def organiser_phase_action(request, slug, phase_key, action):
    phase = boards.phase_for(slug, phase_key)
    if phase is None or action not in organiser_service.PHASE_ACTIONS:
        raise Http404("no such phase or action")
    if action == "end" and request.POST.get("confirmed") != "yes":
        messages.error(request, f"{phase.title}: tick the box to confirm ending it for good.")
        return redirect("organiser", slug=slug)
    if action == "publish" and request.POST.get("confirmed") != "yes":
        messages.error(
            request,
            f"{phase.title}: not published. Publishing shows every score to everyone; tick "
            "the box below to confirm you checked the board.",
        )
        return redirect("organiser-confirm-publish", slug=slug, phase_key=phase_key)
    try:
        if action == "open":
            organiser_service.open_phase(phase, request.POST.get("without_split") == "1")
        else:
            organiser_service.PHASE_ACTIONS[action](phase)
        messages.success(request, f"{phase.title}: {action} done.")
    except organiser_service.OrganiserActionRefused as refusal:
        messages.error(request, f"{phase.title}: {refusal}.")
    return redirect("organiser", slug=slug)


@organiser_required
@require_POST
def organiser_teams_see(request, slug, phase_key):
    """Freeze for teams (as of a moment, UTC; empty: now) or show them the live board again."""
    phase = _phase_or_404(slug, phase_key)
    try:
        if request.POST.get("live") == "1":
            organiser_service.unfreeze_for_teams(phase)
            messages.success(request, f"{phase.title}: teams see the live board again.")
        else:
            text = request.POST.get("as_of", "").strip()
            as_of = None
            if text:
                try:
                    as_of = dt.datetime.fromisoformat(text)
                    as_of = as_of if as_of.tzinfo else as_of.replace(tzinfo=dt.UTC)
                    as_of = as_of.astimezone(dt.UTC)
                except ValueError:
                    raise organiser_service.OrganiserActionRefused(
                        f"{text!r} is not a moment like 2026-11-20T09:00; leave it empty for now"
                    ) from None
            organiser_service.freeze_for_teams(phase, as_of)
            moment = f"{phase.teams_see_as_of:%Y-%m-%d %H:%M} UTC"
            messages.success(request, f"{phase.title}: teams see the board as of {moment}.")
    except organiser_service.OrganiserActionRefused as refusal:
        messages.error(request, f"{phase.title}: {refusal}.")
    return redirect("organiser", slug=slug)


@organiser_required
@require_GET
def confirm_publish(request, slug, phase_key):
    """The step before publishing: the board as everyone will see it, and a box to tick."""
    phase = _phase_or_404(slug, phase_key)
    context = {
        "phase": phase,
        "competition": phase.competition,
        "board": boards.leaderboard(phase, viewer=request.user),
        "zone": phase.competition.timezone,
    }
    return render(request, "competitions/confirm_publish.html", context)


def _form_answer(request, comp, name, form, apply):
    if not form.is_valid():
        context = _organiser_context(request, comp, **{name: form})
        return render(request, "competitions/organiser.html", context, status=400)
    try:
        apply(form.cleaned_data)
    except ValidationError as error:
        messages.error(request, "; ".join(error.messages))
    else:
        messages.success(request, "Saved.")
    return redirect("organiser", slug=comp.slug)


@organiser_required
@require_POST
def organiser_limits(request, slug):
    comp = get_object_or_404(Competition, slug=slug)
    form = LimitsForm(request.POST, instance=Competition.objects.get(pk=comp.pk))
    return _form_answer(
        request, comp, "limits", form, lambda d: organiser_service.update_limits(comp, d)
    )


@organiser_required
@require_POST
def organiser_rule(request, slug):
    comp = get_object_or_404(Competition.objects.select_related("efficiency_rule"), slug=slug)
    form = EfficiencyRuleForm(request.POST)
    return _form_answer(
        request, comp, "rule", form, lambda d: organiser_service.update_rule(comp, d)
    )


@organiser_required
@require_POST
def organiser_phase_rules(request, slug, phase_key):
    phase = _phase_or_404(slug, phase_key)
    form = PhaseRulesForm(
        request.POST, prefix=f"p{phase.pk}", instance=Phase.objects.get(pk=phase.pk)
    )
    return _form_answer(
        request,
        phase.competition,
        f"phase_{phase.pk}",
        form,
        lambda d: organiser_service.update_phase_rules(phase, d),
    )


RUN_ACTIONS = ("cancel", "rerun", "disqualify", "requalify", "dismiss-flag")


@organiser_required
@require_POST
def organiser_run_action(request, run_id, action):
    run = get_object_or_404(Run.objects.select_related("submission__phase__competition"), pk=run_id)
    if action not in RUN_ACTIONS:
        raise Http404("no such action")
    submission = run.submission
    try:
        if action == "cancel":
            run_service.cancel_run(run, by_organiser=True, user=request.user)
        elif action == "rerun":
            run_service.rerun(submission)
        elif action == "dismiss-flag":
            canary_service.dismiss(run)
        else:
            run_service.set_disqualified(submission, action == "disqualify")
        messages.success(request, f"Run {run.pk} ({submission}): {action} done.")
    except run_service.RunStateError as error:
        messages.error(request, f"Run {run.pk}: {error}.")
    return redirect("organiser", slug=submission.phase.competition.slug)


@organiser_required
@require_POST
def organiser_audit(request, slug, phase_key):
    """Queue a timing audit of the phase's contending teams for a worker of its hardware."""
    phase = _phase_or_404(slug, phase_key)
    try:
        rounds = int(request.POST.get("rounds") or 5)
        top = int(request.POST["top"]) if request.POST.get("top") else None
        audit = request_audit(phase, user=request.user, rounds=rounds, top=top)
    except ValueError as refusal:  # AuditRefused, or a number that is not one
        messages.error(request, f"{phase.title}: no audit: {refusal}.")
    else:
        messages.success(
            request,
            f"{phase.title}: timing audit {audit.pk} queued ({audit.rounds} rounds) for a worker "
            f"of {phase.competition.hardware_queue} (without a broker, the polling worker "
            "`manage.py evaluate --pending --watch` runs it, as in the demo).",
        )
    return redirect("organiser", slug=slug)


@organiser_required
@require_POST
def organiser_audit_cancel(request, audit_id):
    """Cancel a queued or running timing audit (its worker stops within seconds)."""
    audit = get_object_or_404(TimingAudit.objects.select_related("phase__competition"), pk=audit_id)
    try:
        cancel_audit(audit, user=request.user)
        messages.success(request, f"Timing audit {audit.pk}: cancelled.")
    except AuditRefused as refusal:
        messages.error(request, f"Timing audit {audit.pk}: {refusal}.")
    return redirect("organiser", slug=audit.phase.competition.slug)
