"""The organisers' "start the next edition" button (staff only, confirmed)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from competitions.models import Competition
from competitions.permissions import organiser_required
from competitions.services.editions import EditionRefused, start_next_edition


@organiser_required
@require_POST
def organiser_next_edition(request, slug):
    competition = get_object_or_404(Competition, slug=slug)
    if request.POST.get("confirmed") != "yes":
        messages.error(
            request, "Next edition not started. Tick the box beside the button to confirm."
        )
        return redirect("organiser", slug=slug)
    try:
        new = start_next_edition(competition, by=request.user)
    except EditionRefused as refusal:
        messages.error(request, f"Next edition not started: {refusal}.")
        return redirect("organiser", slug=slug)
    messages.success(
        request,
        f"Edition {new.edition} started as {new.slug}: the same rules with a new hidden-split "
        "seed, every phase closed. Schedule its phases and prepare its splits before opening.",
    )
    return redirect("organiser", slug=new.slug)
