"""Site pages: thin views that read through selectors and act through services.

Public pages first, then a team's pages, then the organisers' (staff only).
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from competitions import selectors
from competitions.api.uploads import archive_problem, oversized
from competitions.forms import EfficiencyRuleForm, LimitsForm, PhaseRulesForm, SubmissionForm
from competitions.models import Competition, Phase, Run, Submission
from competitions.services import organiser as organiser_service
from competitions.services import runs as run_service
from competitions.services.submissions import Artifact, SubmissionRefused, attempts_left, submit

LOG_TAIL_CHARS = 20_000
BOARD_CACHE_S = 60  # also bounds how long a change the version misses (a team renamed) shows


@require_GET
def home(request):
    competitions = Competition.objects.prefetch_related("phases", "tasks")
    return render(request, "competitions/home.html", {"competitions": competitions})


@require_GET
def competition(request, slug):
    comp = get_object_or_404(
        Competition.objects.select_related("efficiency_rule").prefetch_related("phases", "tasks"),
        slug=slug,
    )
    return render(
        request,
        "competitions/competition.html",
        {"competition": comp, "rule_words": selectors.rule_in_words(selectors.rule_of(comp))},
    )


@require_GET
def leaderboard(request, slug, phase_key):
    phase = selectors.phase_for(slug, phase_key)
    if phase is None:
        raise Http404(f"competition {slug} has no phase {phase_key}")
    with_languages = request.GET.get("languages") == "1"
    organiser = selectors.is_organiser(request.user)
    # Every viewer polls every 3 s: the board is rendered once per change, not per request.
    version = selectors.board_version(phase, viewer_is_organiser=organiser)
    key = f"board-html:{version}:{int(with_languages)}:{request.path}"
    cached = cache.get(key)
    if cached is None:
        board = selectors.leaderboard(phase, viewer=request.user, with_languages=with_languages)
        history = selectors.attempt_history(phase, viewer=request.user)
        fragment = {
            "phase": phase,
            "board": board,
            "charts": selectors.chart_data(board, history),
            "with_languages": with_languages,
            "path": request.path,
        }
        cached = (render_to_string("competitions/_board.html", fragment), board.scores_hidden)
        cache.set(key, cached, BOARD_CACHE_S)
    board_html, scores_hidden = cached
    context = {
        "phase": phase,
        "competition": phase.competition,
        "phases": phase.competition.phases.all(),
        "board_html": mark_safe(board_html),  # noqa: S308 - rendered by our own template
        "scores_hidden": scores_hidden,
    }
    return render(request, "competitions/leaderboard.html", context)


@login_required
@require_GET
def team_page(request):
    team = selectors.team_of(request.user)
    phases = []
    if team is not None:
        now = timezone.now()
        submissions = list(selectors.team_runs(team))
        for phase in Phase.objects.select_related("competition").order_by(
            "competition__title", "order"
        ):
            phases.append(
                {
                    "phase": phase,
                    "accepts": phase.accepts_submissions(now) or team.is_reference,
                    "attempts_left": attempts_left(team, phase),
                    "submissions": [s for s in submissions if s.phase_id == phase.pk],
                    "scores_public": phase.scores_public,
                    "form": SubmissionForm(auto_id=f"id_{phase.pk}_%s"),
                }
            )
    members = team.members.order_by("username") if team else []
    runs = [run for item in phases for s in item["submissions"] for run in s.runs.all()[:1]]
    context = {
        "team": team,
        "members": members,
        "phases": phases,
        "any_submission": any(item["submissions"] for item in phases),
        "has_active": any(run.status in Run.ACTIVE for run in runs),
        "published_code": selectors.published_code(viewer_team=team) if team else [],
    }
    return render(request, "competitions/team.html", context)


def _csrf_rejection(request):
    """The CSRF check the middleware would have made, run after the size check."""
    return CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})


def _submit_answer(request, status: int, message: str):
    if request.headers.get("x-requested-with") == "XMLHttpRequest":
        return JsonResponse({"error": message}, status=status)
    if status in (400, 409) and request.user.is_authenticated:
        messages.error(request, message)
        return redirect("team")
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


# Exempt from the middleware only so the size check comes first; the same check runs below.
@csrf_exempt
@require_POST
def submit_view(request, slug, phase_key):
    message = oversized(request.META)
    if message:
        return _submit_answer(request, 413, f"Upload refused: {message}.")
    rejection = _csrf_rejection(request)
    if rejection is not None:
        return rejection
    if not request.user.is_authenticated:
        return redirect(f"/accounts/login/?next={request.path}")
    phase = selectors.phase_for(slug, phase_key)
    team = selectors.team_of(request.user)
    if phase is None:
        raise Http404("no such phase")
    if team is None:
        return _submit_answer(request, 403, "You are not in a team; ask the organisers.")
    form = SubmissionForm(request.POST, request.FILES)
    if not form.is_valid():
        errors = "; ".join(e for errs in form.errors.values() for e in errs)
        return _submit_answer(request, 400, errors)
    data = form.cleaned_data
    problem = archive_problem(data["image"])
    if problem:
        return _submit_answer(request, 400, f"Image archive refused: {problem}")
    try:
        submission = submit(
            team,
            phase,
            Artifact(
                image_file=data["image"],
                image_ref=data["image_ref"].strip(),
                code_file=data["code"],
            ),
            user=request.user,
            description=data["description"],
            training_gpu_hours=data["training_gpu_hours"],
        )
    except SubmissionRefused as refusal:
        return _submit_answer(request, 409, f"Submission refused: {refusal}.")
    text = f"Attempt {submission.attempt_number} of {phase.title} submitted and queued."
    messages.success(request, text)  # shown on the team page the browser goes to next
    if request.headers.get("x-requested-with") == "XMLHttpRequest":
        return JsonResponse({"ok": True, "message": text, "redirect": "/team/"}, status=201)
    return redirect("team")


@login_required
@require_GET
def run_detail(request, run_id):
    run = selectors.run_for_viewer(run_id, request.user)
    if run is None:
        raise Http404("no run of your team with this number")
    phase = run.submission.phase
    hidden = not phase.scores_public and not selectors.is_organiser(request.user)
    context = {
        "run": run,
        "submission": run.submission,
        "phase": phase,
        "scores_hidden": hidden,
        "scores": [] if hidden else selectors.scores_by_task(run),
        "log_tail": run.logs[-LOG_TAIL_CHARS:],
        "log_truncated": len(run.logs) > LOG_TAIL_CHARS,
        "is_organiser": selectors.is_organiser(request.user),
        "worker_check": selectors.worker_check_for(run),
        "timing_goal": settings.PODIUM_TIMING_GOAL_CV_PERCENT,
    }
    return render(request, "competitions/run.html", context)


@login_required
@require_POST
def cancel_run(request, run_id):
    run = selectors.run_for_viewer(run_id, request.user)
    if run is None:
        raise Http404("no run of your team with this number")
    try:
        run_service.cancel_run(run, by_organiser=False)
        messages.success(request, f"Run {run.pk} cancelled; the attempt is given back.")
    except run_service.RunStateError as error:
        messages.error(request, f"Could not cancel: {error}.")
    return redirect("team")


@login_required
@require_GET
def code_download(request, submission_id):
    submission = get_object_or_404(
        Submission.objects.select_related("team", "phase__competition"), pk=submission_id
    )
    user = request.user
    own = submission.team.memberships.filter(user=user).exists()
    published = (
        submission.phase.competition.publish_code_after_close
        and submission.phase.has_closed(timezone.now())
        and (selectors.team_of(user) is not None)
    )
    if not (own or selectors.is_organiser(user) or published) or not submission.code_archive:
        raise Http404("no code archive you may download here")
    name = submission.code_archive.name
    suffix = name.rsplit("/", 1)[-1].split(".", 1)[-1] if "." in name else "zip"
    filename = f"{submission.team.slug}-attempt{submission.attempt_number}-code.{suffix}"
    return FileResponse(
        submission.code_archive.storage.open(name, "rb"), as_attachment=True, filename=filename
    )


# Organisers -----------------------------------------------------------------------------------


def organiser_required(view):
    """Staff only: anonymous users are sent to log in, others get 403."""

    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(f"/accounts/login/?next={request.path}")
        if not selectors.is_organiser(request.user):
            return HttpResponse("Only the organisers may see this page.", status=403)
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _organiser_context(comp: Competition, **forms) -> dict:
    rule = getattr(comp, "efficiency_rule", None)
    phases = list(comp.phases.all())
    baselines = {}
    for phase in phases:
        board = selectors.leaderboard(phase, viewer=_STAFF)
        baselines[phase.pk] = board.references
    return {
        "competition": comp,
        "phases": [
            {
                "phase": p,
                "form": forms.get(f"phase_{p.pk}") or PhaseRulesForm(instance=p, prefix=f"p{p.pk}"),
                "references": baselines[p.pk],
                "submissions": p.submissions.count(),
            }
            for p in phases
        ],
        "limits_form": forms.get("limits") or LimitsForm(instance=comp),
        "rule_form": forms.get("rule") or EfficiencyRuleForm(instance=rule),
        "queue": selectors.queue_overview(),
        "workers": selectors.active_workers(),
        "worker_timing": selectors.worker_timing(settings.PODIUM_TIMING_GOAL_CV_PERCENT),
        "timing_goal": settings.PODIUM_TIMING_GOAL_CV_PERCENT,
        "recent_runs": selectors.recent_runs(comp),
        "baseline_known": any(baselines.values()),
        "calibration": _calibration(phases, baselines, selectors.rule_of(comp)),
        "phase_buttons": PHASE_BUTTONS,
    }


def _calibration(phases, baselines, rule) -> list[dict]:
    """What a model needs, under the current rule, to pass a model as good as the baseline."""
    rows = []
    for phase in phases:
        for ref in baselines[phase.pk]:
            # The rule compares the mover's slowest run with the other team's fastest.
            fastest = min(ref.runtime_measurements) if ref.runtime_measurements else None
            figure = fastest if rule and rule.metric == "runtime" and fastest else ref.efficiency
            rows.append(
                {
                    "phase": phase,
                    "ref": ref,
                    "min_score": ref.overall - rule.max_score_gap if rule else None,
                    "max_figure": figure / (1 + rule.min_efficiency_gap)
                    if rule and figure
                    else None,
                    "unit": "s" if not rule or rule.metric == "runtime" else "kWh",
                }
            )
    return rows


PHASE_BUTTONS = [
    ("open", "Open", "secondary"),
    ("close", "Close", "danger"),
    ("freeze", "Freeze board", "secondary"),
    ("unfreeze", "Unfreeze", "secondary"),
    ("publish", "Publish final board", ""),
    ("unpublish", "Withdraw publication", "danger"),
]


class _Staff:
    """A stand-in viewer with organiser rights, for boards shown on the organiser page."""

    is_authenticated = True
    is_staff = True


_STAFF = _Staff()


@organiser_required
@require_GET
def organiser(request, slug):
    comp = get_object_or_404(Competition.objects.select_related("efficiency_rule"), slug=slug)
    return render(request, "competitions/organiser.html", _organiser_context(comp))


@organiser_required
@require_POST
def organiser_phase_action(request, slug, phase_key, action):
    phase = selectors.phase_for(slug, phase_key)
    if phase is None or action not in organiser_service.PHASE_ACTIONS:
        raise Http404("no such phase or action")
    try:
        organiser_service.PHASE_ACTIONS[action](phase)
        messages.success(request, f"{phase.title}: {action} done.")
    except organiser_service.OrganiserActionRefused as refusal:
        messages.error(request, f"{phase.title}: {refusal}.")
    return redirect("organiser", slug=slug)


def _form_answer(request, comp, name, form, apply):
    if not form.is_valid():
        context = _organiser_context(comp, **{name: form})
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
    phase = selectors.phase_for(slug, phase_key)
    if phase is None:
        raise Http404("no such phase")
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


RUN_ACTIONS = ("cancel", "rerun", "disqualify", "requalify")


@organiser_required
@require_POST
def organiser_run_action(request, run_id, action):
    run = get_object_or_404(Run.objects.select_related("submission__phase__competition"), pk=run_id)
    if action not in RUN_ACTIONS:
        raise Http404("no such action")
    submission = run.submission
    try:
        if action == "cancel":
            run_service.cancel_run(run, by_organiser=True)
        elif action == "rerun":
            run_service.rerun(submission)
        else:
            run_service.set_disqualified(submission, action == "disqualify")
        messages.success(request, f"Run {run.pk} ({submission}): {action} done.")
    except run_service.RunStateError as error:
        messages.error(request, f"Run {run.pk}: {error}.")
    return redirect("organiser", slug=submission.phase.competition.slug)
