"""A team's pages: its submissions and runs, submitting, a run's details, cancelling, code."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from competitions.countdown import phase_countdown
from competitions.exports import attempts_rows, csv_response
from competitions.forms import SubmissionForm, TeamNameForm
from competitions.models import Phase, Run, Submission, Team
from competitions.permissions import is_organiser, may_download_code, may_see_scores, team_of
from competitions.reads import boards, run_logs
from competitions.reads import runs as run_reads
from competitions.reads.history import team_rank_history
from competitions.reads.rewards import team_rewards
from competitions.services import runs as run_service
from competitions.services import tokens
from competitions.services.eligibility import (
    SplitNotReady,
    SubmissionRefused,
    answer,
    attempts_left,
    attempts_used,
    phase_refusal,
)
from competitions.services.final_selection import offer, select_for_final
from competitions.services.notifications import has_opted_out, set_opt_out
from competitions.services.submissions import Artifact, submit_as
from competitions.services.teams import TeamNameFixed, name_is_open, rename_team
from competitions.services.uploads import oversized

LOG_TAIL_CHARS = 20_000


@login_required
@require_GET
def team_page(request):
    team = team_of(request.user)
    version = run_reads.team_runs_version(team) if team is not None else ""
    # The runs table polls with the version it shows: unchanged, the answer is empty (204, which
    # htmx does not swap), so an idle page costs one aggregate query every 3 s and still notices
    # an organiser's re-run or a disqualification.
    if request.headers.get("HX-Request") and request.GET.get("since") == version:
        return HttpResponse(status=204)
    phases = []
    if team is not None:
        now = timezone.now()
        submissions = list(run_reads.team_runs(team))
        for phase in Phase.objects.select_related("competition").order_by(
            "competition__title", "order"
        ):
            refusal = phase_refusal(team, phase, now)
            phases.append(
                {
                    "phase": phase,
                    "accepts": refusal is None,
                    "countdown": phase_countdown(phase, now),
                    "selection": offer(team, phase, now),
                    # Open by its schedule, but the data is not ready: the team is told so.
                    "preparing": answer(refusal).message
                    if isinstance(refusal, SplitNotReady)
                    else "",
                    "attempts_left": attempts_left(team, phase),
                    "submissions": [s for s in submissions if s.phase_id == phase.pk],
                    "scores_public": phase.scores_public,
                    "used": attempts_used(team, phase),
                    "form": SubmissionForm(auto_id=f"id_{phase.pk}_%s"),
                    "ranks": team_rank_history(request.user, phase, team.name),
                    "after_stage": phase.stages.exists(),  # shared code may be built on
                }
            )
    members = team.members.order_by("username") if team else []
    for item in phases:
        for submission in item["submissions"]:
            runs = list(submission.runs.all())  # newest first
            latest = runs[0] if runs else None
            submission.given_back_reason = run_reads.given_back_reason(submission, latest)
            submission.check_progress = run_reads.check_progress(submission, latest)
            submission.earlier_runs = runs[1:]
    context = {
        "team": team,
        "members": members,
        "phases": phases,
        "runs_version": version,
        "emails_off": has_opted_out(request.user),
        "any_submission": any(item["submissions"] for item in phases),
        "published_code": run_reads.published_code(viewer_team=team) if team else [],
        "token_created_at": tokens.token_created_at(request.user),
        "docker_workers": settings.PODIUM_DOCKER_WORKERS,
        "rewards": team_rewards(team.name, request.user) if team else [],
        "name_form": TeamNameForm(team, initial={"name": team.name})
        if team is not None and name_is_open(team)
        else None,
    }
    return render(request, "competitions/team.html", context)


@login_required
@require_POST
def email_preference(request):
    """Turn the signed-in person's emails about their team's runs and boards on or off."""
    wanted = request.POST.get("emails") == "on"
    set_opt_out(request.user, not wanted)
    messages.success(
        request,
        "Emails are on: you will hear when your team's runs end, are re-run or disqualified, "
        "and when a board is published."
        if wanted
        else "Emails are off: Podium will not email you; this page still shows everything.",
    )
    return redirect("team")


def _team_or_404(user) -> Team:
    """The signed-in person's team; a 404 for someone in none (a page only members have)."""
    team = team_of(user)
    if team is None:
        raise Http404("you are not in a team")
    return team


@login_required
@require_POST
def team_name(request):
    """The team's members choose its name, until its first submission."""
    team = _team_or_404(request.user)
    form = TeamNameForm(team, request.POST)
    if not form.is_valid():
        messages.error(request, "Name not changed: " + " ".join(form.errors["name"]))
        return redirect("team")
    try:
        team = rename_team(team, form.cleaned_data["name"])
    except TeamNameFixed as refusal:
        messages.error(request, str(refusal))
        return redirect("team")
    messages.success(request, f"Your team is now called {team.name}.")
    return redirect("team")


def submitted_message(submission: Submission) -> str:
    """What a team reads after submitting: attempts used of the phase's limit, never above it."""
    phase = submission.phase
    left = attempts_left(submission.team, phase)
    if left is None:
        return f"Reference submission to {phase.title} queued (references have no attempt limit)."
    used = phase.max_attempts - left
    checking = submission.runs.filter(status=Run.Status.CHECKING).exists()
    state = "; its archive is being checked (progress below)" if checking else " and queued"
    return (
        f"Submitted to {phase.title}{state}: attempt {used} of {phase.max_attempts} used, "
        f"{left} left."
    )


@login_required
@require_GET
def attempts_csv(request):
    """The signed-in person's team's attempts, one row per run, as the team page shows them."""
    team = _team_or_404(request.user)
    rows = attempts_rows(list(run_reads.team_runs(team)))
    return csv_response(rows, f"{team.slug}-attempts.csv")


@login_required
@require_POST
def create_token(request):
    """A new API token, shown on this one answer only (never stored in a cookie or shown again)."""
    key = tokens.issue_token(request.user)
    response = render(
        request,
        "competitions/token_created.html",
        {"key": key, "site": request.build_absolute_uri("/").rstrip("/")},
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def revoke_token(request):
    if tokens.revoke_token(request.user):
        messages.success(request, "API token revoked: scripts and the client using it now get 401.")
    else:
        messages.error(request, "You had no API token to revoke.")
    return redirect("team")


def _csrf_rejection(request):
    """The CSRF check the middleware would have made, run after the size check."""
    return CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})


def _submit_answer(request, status: int, message: str):
    if request.headers.get("x-requested-with") == "XMLHttpRequest":
        return JsonResponse({"error": message}, status=status)
    # A team member reads the refusal on the team page (the status is the API's all the same
    # for scripts); someone with no team has no page to go back to.
    if status != 413 and team_of(request.user) is not None:
        messages.error(request, message)
        return redirect("team")
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


# Exempt from the middleware only so the size and sign-in checks come first; the same check runs
# below.
@csrf_exempt
@require_POST
def submit_view(request, slug, phase_key):
    message = oversized(request.META)
    if message:
        return _submit_answer(request, 413, f"Upload refused: {message}.")
    # Who is asking comes from the session cookie alone; the CSRF check below reads the body
    # (spooling the upload to a temporary file), so nobody signed out gets that far.
    if not request.user.is_authenticated:
        return redirect_to_login(request.path)
    rejection = _csrf_rejection(request)
    if rejection is not None:
        return rejection
    phase = boards.phase_for(slug, phase_key)
    if phase is None:
        raise Http404("no such phase")
    form = SubmissionForm(request.POST, request.FILES)
    if not form.is_valid():
        errors = "; ".join(e for errs in form.errors.values() for e in errs)
        return _submit_answer(request, 400, errors)
    data = form.cleaned_data
    artifact = Artifact(
        image_file=data["image"], image_ref=data["image_ref"].strip(), code_file=data["code"]
    )
    try:
        submission = submit_as(
            request.user,
            phase,
            artifact,
            description=data["description"],
            training_gpu_hours=data["training_gpu_hours"],
            builds_on_shared_code=data["builds_on_shared_code"],
        )
    except SubmissionRefused as refusal:
        said = answer(refusal)  # the same status and words as the API's
        return _submit_answer(request, said.status, said.message)
    text = submitted_message(submission)
    messages.success(request, text)  # shown on the team page the browser goes to next
    if request.headers.get("x-requested-with") == "XMLHttpRequest":
        return JsonResponse({"ok": True, "message": text, "redirect": "/team/"}, status=201)
    return redirect("team")


@login_required
@require_POST
def select_for_final_view(request, slug, phase_key):
    """Kaggle's "select for final": the team's attempt runs an earlier run's image (confirmed)."""
    phase = boards.phase_for(slug, phase_key)
    if phase is None:
        raise Http404("no such phase")
    if request.POST.get("confirmed") != "yes":
        return _submit_answer(
            request, 400, "Not selected: tick the box that says the selection uses the attempt."
        )
    try:
        run_id = int(request.POST.get("run", ""))
    except ValueError:
        return _submit_answer(request, 400, "Selection refused: say which run (its number).")
    try:
        submission = select_for_final(request.user, phase, run_id)
    except SubmissionRefused as refusal:
        said = answer(refusal)  # the same status and words as the API's
        return _submit_answer(request, said.status, said.message)
    messages.success(request, f"Run {run_id} selected. {submitted_message(submission)}")
    return redirect("team")


@login_required
@require_GET
def run_detail(request, run_id):
    run = run_reads.run_for_viewer(run_id, request.user)
    if run is None:
        raise Http404("no run of your team with this number")
    phase = run.submission.phase
    hidden = not may_see_scores(request.user, phase)
    shown = run_logs.log_for(request.user, run)
    context = {
        "run": run,
        "submission": run.submission,
        "attempt_words": run_reads.attempt_words(run.submission),
        "phase": phase,
        "scores_hidden": hidden,
        "scores": [] if hidden else run_reads.scores_by_task(run),
        "log_tail": shown.text[-LOG_TAIL_CHARS:],
        "log_truncated": len(shown.text) > LOG_TAIL_CHARS,
        "log_note": shown.note,
        "failure_reason": run_logs.reason_for(request.user, run),
        "is_organiser": is_organiser(request.user),
        "worker_check": run_reads.worker_check_for(run),
        "timing_goal": settings.PODIUM_TIMING_GOAL_CV_PERCENT,
        "history": run_reads.run_history(run),
        "given_back": run_reads.given_back_reason(
            run.submission, run.submission.runs.order_by("-created_at", "-pk").first()
        ),
        "check_progress": run_reads.check_progress(run.submission, run),
        "zone": phase.competition.timezone,
    }
    return render(request, "competitions/run.html", context)


@login_required
@require_POST
def cancel_run(request, run_id):
    run = run_reads.run_for_viewer(run_id, request.user)
    if run is None:
        raise Http404("no run of your team with this number")
    try:
        run_service.cancel_run(run, by_organiser=False, user=request.user)
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
    if not submission.code_archive or not may_download_code(request.user, submission):
        raise Http404("no code archive you may download here")
    name = submission.code_archive.name
    suffix = name.rsplit("/", 1)[-1].split(".", 1)[-1] if "." in name else "zip"
    filename = f"{submission.team.slug}-attempt{submission.attempt_number}-code.{suffix}"
    return FileResponse(
        submission.code_archive.storage.open(name, "rb"), as_attachment=True, filename=filename
    )
