"""Pages anyone may see: the competitions, and each phase's live leaderboard."""

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from competitions.countdown import phase_countdown
from competitions.exports import board_rows, csv_response
from competitions.models import Competition
from competitions.pareto import pareto_chart
from competitions.permissions import board_view, team_of
from competitions.presenters import board_state, chart_data, contract_html
from competitions.reads import boards, data_section
from competitions.reads.board_version import cached_by_version
from competitions.reads.editions import edition_place
from competitions.reads.faq import faq_for
from competitions.reads.hardware import measured_hardware
from competitions.reads.rewards import stage_rewards
from competitions.services import starter_kit as kit
from evaluator import efficiency_rule


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
    now = timezone.now()
    phases = [(p, board_state(p, now)) for p in comp.phases.all()]
    return render(
        request,
        "competitions/competition.html",
        {
            "competition": comp,
            "rule_words": efficiency_rule.describe(boards.rule_of(comp)),
            "phases": phases,
            "countdowns": [(p, c) for p, _ in phases if (c := phase_countdown(p, now))],
            "task_data": data_section.task_data(comp),
            "training": data_section.training_source(comp),
            "split_sizes": data_section.split_sizes(comp),
            "faq": faq_for(comp),
            "edition": edition_place(comp),
        },
    )


@require_GET
def leaderboard(request, slug, phase_key):
    phase = boards.phase_for(slug, phase_key)
    if phase is None:
        raise Http404(f"competition {slug} has no phase {phase_key}")
    with_languages = request.GET.get("languages") == "1"
    own = team_of(request.user) if request.user.is_authenticated else None
    state = board_state(phase, timezone.now())
    # Every viewer polls every 3 s: the board is rendered once per change, not per request (per
    # team too: a viewer's own row is marked).
    version = boards.board_version(phase, board_view(request.user, phase))
    key = f"board-html:{version}:{state.key}:{int(with_languages)}:{own and own.pk}:{request.path}"

    def build() -> tuple[str, bool]:
        board = boards.leaderboard(phase, viewer=request.user, with_languages=with_languages)
        history = boards.attempt_history(phase, viewer=request.user)
        fragment = {
            "phase": phase,
            "board": board,
            "charts": chart_data(board, history),
            "pareto": pareto_chart(board),
            "with_languages": with_languages,
            "path": request.path,
            "own_team": own.name if own else "",
            # A stage closes the phase (a new state, so a new key) when it is given.
            "rewards": stage_rewards(phase, request.user),
            "state": state,
            "zone": phase.competition.timezone,
        }
        return (render_to_string("competitions/_board.html", fragment), board.scores_hidden)

    board_html, scores_hidden = cached_by_version(key, build)
    context = {
        "phase": phase,
        "competition": phase.competition,
        "phases": phase.competition.phases.all(),
        "board_html": mark_safe(board_html),  # noqa: S308 - rendered by our own template
        "scores_hidden": scores_hidden,
        "zone": phase.competition.timezone,
    }
    return render(request, "competitions/leaderboard.html", context)


@require_GET
def leaderboard_csv(request, slug, phase_key):
    """The board as this viewer may see it, as CSV (the same rows and numbers as the page)."""
    phase = boards.phase_for(slug, phase_key)
    if phase is None:
        raise Http404(f"competition {slug} has no phase {phase_key}")
    board = boards.leaderboard(phase, viewer=request.user)
    return csv_response(board_rows(board), f"{slug}-{phase_key}-leaderboard.csv")


@require_GET
def how_to_submit(request, slug):
    """From zero to a scored run: the contract, the limits, the downloads and the commands."""
    comp = get_object_or_404(Competition.objects.prefetch_related("phases", "tasks"), slug=slug)
    site = request.build_absolute_uri("/").rstrip("/")
    open_phases = [p for p in comp.phases.all() if p.is_open]
    context = {
        "competition": comp,
        "example_phase": (open_phases or list(comp.phases.all()) or [None])[0],
        "hardware": measured_hardware(comp),
        "site": site,
        "contract_html": contract_html(),
        "rule_words": efficiency_rule.describe(boards.rule_of(comp)),
        "docker_workers": settings.PODIUM_DOCKER_WORKERS,
    }
    return render(request, "competitions/how_to_submit.html", context)


def _download(name: str, filename: str) -> FileResponse:
    return FileResponse(default_storage.open(name, "rb"), as_attachment=True, filename=filename)


@require_GET
def starter_kit(request, slug):
    comp = get_object_or_404(Competition, slug=slug)
    return _download(kit.starter_kit(comp), f"podium-starter-{comp.slug}.tar.gz")


@require_GET
def sample_input(request, slug):
    comp = get_object_or_404(Competition, slug=slug)
    return _download(kit.sample_input(comp), f"podium-sample-{comp.slug}.tar.gz")
