"""A team's debug runs: start one (upload, reference or "debug this submission"), read its logs."""

import math

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from competitions.forms import DebugRunForm
from competitions.models import Competition
from competitions.permissions import is_organiser, team_of
from competitions.reads import debug_runs as reads
from competitions.services import debug_runs as service
from competitions.services.eligibility import SubmissionRefused, answer
from competitions.services.uploads import oversized
from competitions.views.team import _csrf_rejection


def _refused(request, competition, status: int, message: str, retry_after: int | None = None):
    """A refusal in the page's own words; scripts get the same status (429 with Retry-After)."""
    if request.headers.get("x-requested-with") == "XMLHttpRequest" or status == 413:
        response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    else:
        response = _page(request, competition, error=message, status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def _page(request, competition, *, error: str = "", status: int = 200):
    team = team_of(request.user)
    wait = service.wait_before_next(team, competition) if team else 0
    context = {
        "competition": competition,
        "team": team,
        "debug_runs": reads.team_debug_runs(team, competition) if team else [],
        "form": DebugRunForm(),
        "wait_s": wait,
        "wait_min": math.ceil(wait / 60),
        "error": error,
        "zone": competition.timezone,
    }
    return render(request, "competitions/debug_runs.html", context, status=status)


@login_required
@require_GET
def debug_runs(request, slug):
    return _page(request, get_object_or_404(Competition, slug=slug))


# Exempt from the middleware only so the size and sign-in checks come first (as submitting). The
# proxy lets large bodies through to this URL only (docker/nginx.conf.template), as to submit's.
@csrf_exempt
@require_POST
def debug_start(request, slug):
    competition = get_object_or_404(Competition, slug=slug)
    if message := oversized(request.META):
        return _refused(request, competition, 413, f"Upload refused: {message}.")
    if not request.user.is_authenticated:
        return redirect_to_login(request.path)
    if (rejection := _csrf_rejection(request)) is not None:
        return rejection
    form = DebugRunForm(request.POST, request.FILES)
    if not form.is_valid():
        errors = "; ".join(e for errs in form.errors.values() for e in errs)
        return _refused(request, competition, 400, errors)
    data = form.cleaned_data
    image = service.DebugImage(
        image_file=data["image"],
        image_ref=(data["image_ref"] or "").strip(),
        submission_id=data["submission"],
    )
    try:
        debug_run = service.request_debug_run(request.user, competition, image)
    except SubmissionRefused as refusal:
        said = answer(refusal)
        return _refused(
            request, competition, said.status, said.message, getattr(refusal, "retry_after_s", None)
        )
    messages.success(
        request,
        f"Debug run {debug_run.pk} requested: it runs on the public sample, uses no attempt "
        "and is on no board.",
    )
    return redirect("debug-run", debug_run.pk)


@login_required
@require_GET
def debug_run_detail(request, debug_run_id):
    debug_run = reads.debug_run_for_viewer(debug_run_id, request.user)
    if debug_run is None:
        raise Http404("no debug run of your team with this number")
    context = {
        "debug_run": debug_run,
        "competition": debug_run.competition,
        "scores": reads.debug_scores(debug_run),
        "is_organiser": is_organiser(request.user),
        "zone": debug_run.competition.timezone,
    }
    return render(request, "competitions/debug_run.html", context)
