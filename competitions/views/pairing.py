"""The organisers' pairing page: upload the people, see the proposed pairs and why, edit, lock,
re-solve, import as teams (staff only). The draft lives in the organiser's session."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from competitions.forms import (
    DraftTeamForm,
    ImportPairsForm,
    MovePersonForm,
    PeopleFileForm,
    SwapPeopleForm,
)
from competitions.models import Competition
from competitions.permissions import organiser_required
from competitions.services import pairing as pairing_service
from competitions.services.invitations import InvitationFailed
from competitions.services.pairing import PairingDraft, PairingRefused


def _session_key(slug: str) -> str:
    return f"pairing:{slug}"


def _draft(request, slug: str) -> PairingDraft | None:
    data = request.session.get(_session_key(slug))
    return PairingDraft.from_json(data) if data else None


def _keep(request, slug: str, draft: PairingDraft) -> None:
    request.session[_session_key(slug)] = draft.to_json()


def _page(request, comp: Competition, upload_form=None, status=200):
    draft = _draft(request, comp.slug)
    context = {"competition": comp, "upload_form": upload_form or PeopleFileForm(), "draft": draft}
    if draft is not None:
        proposal = draft.proposal()
        context.update(
            proposal=proposal,
            teams=list(zip(range(len(draft.teams)), proposal.teams, strict=True)),
            broken=sum(len(t.unmet) for t in proposal.teams),
            move_form=MovePersonForm(draft),
            swap_form=SwapPeopleForm(draft),
            import_form=ImportPairsForm(),
        )
    return render(request, "competitions/pairing.html", context, status=status)


@organiser_required
@require_GET
def pairing(request, slug):
    return _page(request, get_object_or_404(Competition, slug=slug))


EDITS = {
    # action: (form, what the service does with the draft and the form's data)
    "move": (MovePersonForm, lambda d, c: pairing_service.move(d, c["person"], c["team"])),
    "swap": (SwapPeopleForm, lambda d, c: pairing_service.swap(d, c["first"], c["second"])),
    "lock": (DraftTeamForm, lambda d, c: pairing_service.set_lock(d, c["team"], True)),
    "unlock": (DraftTeamForm, lambda d, c: pairing_service.set_lock(d, c["team"], False)),
}


@organiser_required
@require_POST
def pairing_action(request, slug, action):
    comp = get_object_or_404(Competition, slug=slug)
    if action == "upload":
        form = PeopleFileForm(request.POST, request.FILES)
        if not form.is_valid():
            return _page(request, comp, upload_form=form, status=400)
        try:
            draft = pairing_service.start(form.cleaned_data["people"])
        except PairingRefused as refusal:
            messages.error(request, str(refusal))
            return redirect("organiser-pairing", slug=slug)
        _keep(request, slug, draft)
        messages.success(request, f"{len(draft.people)} people read; the pairs are proposed below.")
        return redirect("organiser-pairing", slug=slug)
    draft = _draft(request, slug)
    if draft is None:
        messages.error(request, "No pairing draft: upload the people file first.")
        return redirect("organiser-pairing", slug=slug)
    if action == "discard":
        request.session.pop(_session_key(slug), None)
        messages.success(request, "Draft discarded.")
        return redirect("organiser-pairing", slug=slug)
    try:
        if action == "resolve":
            draft = pairing_service.resolve(draft)
            locked = sum(t.locked for t in draft.teams)
            messages.success(request, f"Re-solved; {locked} locked team{'s' * (locked != 1)} kept.")
        elif action == "import":
            return _import(request, comp, draft)
        elif action in EDITS:
            form_class, edit = EDITS[action]
            form = form_class(draft, request.POST)
            if not form.is_valid():
                messages.error(request, _errors(form))
                return redirect("organiser-pairing", slug=slug)
            draft = edit(draft, form.cleaned_data)
        else:
            raise Http404(f"no pairing action {action}")
    except PairingRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("organiser-pairing", slug=slug)
    _keep(request, slug, draft)
    return redirect("organiser-pairing", slug=slug)


def _import(request, comp: Competition, draft: PairingDraft):
    form = ImportPairsForm(request.POST)
    if not form.is_valid():
        messages.error(request, _errors(form))
        return redirect("organiser-pairing", slug=comp.slug)
    try:
        done = pairing_service.import_draft(draft, invite=form.cleaned_data["invite"])
    except (PairingRefused, InvitationFailed) as refusal:
        messages.error(request, str(refusal))
        return redirect("organiser-pairing", slug=comp.slug)
    request.session.pop(_session_key(comp.slug), None)
    report = done.report
    messages.success(
        request,
        f"{len(report.teams_created)} teams, {len(report.users_created)} accounts and "
        f"{len(report.memberships_created)} memberships created; {len(done.invited)} invitations "
        "sent. Each team is named after its members until it chooses a name on its team page "
        "(possible until its first submission).",
    )
    for warning in report.warnings:
        messages.warning(request, warning)
    return redirect("organiser-pairing", slug=comp.slug)


def _errors(form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)
