"""API views: thin — check who is asking, parse, call one service or selector, answer."""

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound, PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from competitions import whatif
from competitions.api import serializers as s
from competitions.api.permissions import submission_for
from competitions.api.throttles import AnonThrottle, UploadThrottle, UserThrottle
from competitions.models import Phase
from competitions.permissions import board_view, is_organiser
from competitions.reads import boards
from competitions.reads.board_version import cached_by_version
from competitions.services.eligibility import ArchiveRefused, SubmissionRefused, answer
from competitions.services.final_selection import select_for_final
from competitions.services.submissions import Artifact, may_submit, submit_as
from competitions.services.uploads import oversized


def phase_or_not_found(slug: str, key: str) -> Phase:
    """The competition's phase, or the API's 404 that names what was asked for."""
    phase = boards.phase_for(slug, key)
    if phase is None:
        raise NotFound(f"competition {slug!r} has no phase {key!r}")
    return phase


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def _summary(errors: dict) -> str:
    """Field errors as one sentence: `field: problem; other: problem`."""
    parts = []
    for field, problems in errors.items():
        label = "" if field == "non_field_errors" else f"{field}: "
        parts.append(label + " ".join(str(p) for p in problems))
    return "; ".join(parts)


# Path parameters as the URLconf routes them (<slug:...>, <int:...>): anything else is no URL.
SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"
SLUG = OpenApiParameter("slug", str, OpenApiParameter.PATH, pattern=SLUG_PATTERN)
KEY = OpenApiParameter("key", str, OpenApiParameter.PATH, pattern=SLUG_PATTERN)
SUBMISSION_ID = OpenApiParameter(
    "submission_id", {"type": "integer", "minimum": 0}, OpenApiParameter.PATH
)


WHAT_IF_PARAMETERS = [
    OpenApiParameter(
        "bonus_places",
        str,
        required=False,
        pattern=r"^[0-9, ]*$",
        description="Organisers only: try these bonus places (e.g. 2,1; 0 for none), unsaved.",
    ),
    OpenApiParameter(
        "max_score_gap",
        {"type": "number", "minimum": 0},
        required=False,
        description="Organisers only: try this maximum score gap (points), unsaved.",
    ),
    OpenApiParameter(
        "min_efficiency_gap",
        {"type": "number", "minimum": 0, "maximum": 1, "exclusiveMaximum": True},
        required=False,
        description="Organisers only: try this minimum efficiency gap (0.05 = 5%), unsaved.",
    ),
]


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(s.ErrorSerializer, description=description)


class SubmitView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]
    throttle_classes = [AnonThrottle, UserThrottle, UploadThrottle]

    def initial(self, request, *args, **kwargs):
        # Before authentication: the session CSRF check would parse (read) the whole body.
        message = oversized(request.META)
        if message:
            raise PayloadTooLarge(message)
        super().initial(request, *args, **kwargs)

    @extend_schema(
        operation_id="submit",
        summary="Submit a model for a phase (one attempt)",
        parameters=[SLUG, KEY],
        request={"multipart/form-data": s.SubmitRequestSerializer},
        responses={
            201: s.SubmissionSerializer,
            400: _error("Invalid input: the detail says which field and why."),
            401: _error("Not authenticated: send `Authorization: Token <key>`."),
            403: _error("Not in a team, or the phase is not accepting submissions."),
            404: _error("No such competition or phase."),
            409: _error("No attempt left in this phase."),
            413: _error("The upload is above the size limit."),
            429: _error("Too many submissions in a short time: the detail says when to retry."),
            503: _error("The artifact store cannot take the upload now; nothing was recorded."),
        },
    )
    def post(self, request, slug: str, key: str):
        phase = phase_or_not_found(slug, key)
        try:
            # Before the body is parsed: a refused team's upload is never read.
            may_submit(request.user, phase)
            form = s.SubmitRequestSerializer(data=request.data)
            if not form.is_valid():
                return Response(
                    {"detail": _summary(form.errors), "errors": form.errors},
                    status=status.HTTP_400_BAD_REQUEST,
                )
            data = form.validated_data
            submission = submit_as(
                request.user,
                phase,
                Artifact(
                    image_file=data.get("image"),
                    image_ref=(data.get("image_ref") or "").strip(),
                    code_file=data.get("code"),
                ),
                description=data.get("description", ""),
                training_gpu_hours=data.get("training_gpu_hours"),
                builds_on_shared_code=data.get("builds_on_shared_code", False),
            )
        except SubmissionRefused as refusal:
            said = answer(refusal)  # the same status and words as the web form's
            body = {"detail": said.message}
            if isinstance(refusal, ArchiveRefused):
                body["errors"] = {"image": [str(refusal)]}
            return Response(body, status=said.status)
        payload = s.submission_payload(submission, request.user)
        return Response(s.SubmissionSerializer(payload).data, status=status.HTTP_201_CREATED)


class SelectForFinalView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [AnonThrottle, UserThrottle]

    @extend_schema(
        operation_id="select_for_final",
        summary="Select one of your finished evaluation runs for the final (uses the attempt)",
        parameters=[SLUG, KEY],
        request=s.SelectForFinalRequestSerializer,
        responses={
            201: s.SubmissionSerializer,
            400: _error("Invalid input: the detail says which field and why."),
            401: _error("Not authenticated: send `Authorization: Token <key>`."),
            403: _error("Not in a team, the phase is closed, or it does not offer selection."),
            404: _error("No such competition or phase."),
            409: _error("Selected already, no attempt left, or not your finished evaluation run."),
        },
    )
    def post(self, request, slug: str, key: str):
        phase = phase_or_not_found(slug, key)
        form = s.SelectForFinalRequestSerializer(data=request.data)
        if not form.is_valid():
            return Response(
                {"detail": _summary(form.errors), "errors": form.errors},
                status=status.HTTP_400_BAD_REQUEST,
            )
        try:
            submission = select_for_final(request.user, phase, form.validated_data["run"])
        except SubmissionRefused as refusal:
            said = answer(refusal)  # the same status and words as the team page's
            return Response({"detail": said.message}, status=said.status)
        payload = s.submission_payload(submission, request.user)
        return Response(s.SubmissionSerializer(payload).data, status=status.HTTP_201_CREATED)


class SubmissionDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="submission_detail",
        summary="A submission's latest run: status, failure reason, scores, runtime",
        parameters=[SUBMISSION_ID],
        responses={
            200: s.SubmissionSerializer,
            401: _error("Not authenticated."),
            404: _error("No such submission, or not your team's."),
        },
    )
    def get(self, request, submission_id: int):
        submission = submission_for(request.user, submission_id)
        payload = s.submission_payload(submission, request.user)
        return Response(s.SubmissionSerializer(payload).data)


class LeaderboardView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="leaderboard",
        summary="A phase's leaderboard after the efficiency re-ranking",
        parameters=[
            SLUG,
            OpenApiParameter("phase", str, required=True, description="Phase key, e.g. eval."),
            OpenApiParameter(
                "languages", bool, required=False, description="Include per-language scores."
            ),
            *WHAT_IF_PARAMETERS,
        ],
        responses={
            200: s.LeaderboardSerializer,
            400: _error("The phase parameter is missing, or a what-if value is out of bounds."),
            403: _error("What-if values were given by someone who is not an organiser."),
            404: _error("No such competition or phase."),
        },
    )
    def get(self, request, slug: str):
        key = request.query_params.get("phase", "")
        if not key:
            return Response(
                {"detail": "give the phase key as ?phase=<key>"},
                status=status.HTTP_400_BAD_REQUEST,
            )
        phase = phase_or_not_found(slug, key)
        with_languages = request.query_params.get("languages", "") in {"1", "true", "yes"}
        if whatif.overrides_given(request.query_params):
            return self._what_if(request, phase, with_languages)
        # Polled like the page: built once per change of the board (the version says which).
        version = boards.board_version(phase, board_view(request.user, phase))
        key = f"board-json:{version}:{int(with_languages)}"

        def build() -> bytes:
            board = boards.leaderboard(phase, viewer=request.user, with_languages=with_languages)
            # The encoded bytes are kept, not the data: with every language that is ~30,000
            # numbers, and encoding them again for each poll was most of the request's time.
            return JSONRenderer().render(s.LeaderboardSerializer(s.board_payload(board)).data)

        body = cached_by_version(key, build)
        return HttpResponse(body, content_type="application/json")

    def _what_if(self, request, phase, with_languages: bool) -> Response:
        """The order other rule values would give on the current results: organisers only,
        never cached, nothing saved."""
        if not is_organiser(request.user):
            raise PermissionDenied(
                "only organisers may try other rule values (bonus_places, max_score_gap, "
                "min_efficiency_gap); ask without them for the board"
            )
        try:
            trial = whatif.rule_with_overrides(
                request.query_params, boards.rule_of(phase.competition)
            )
        except whatif.OverrideRefused as refusal:
            return Response({"detail": str(refusal)}, status=status.HTTP_400_BAD_REQUEST)
        board = boards.leaderboard(
            phase, viewer=request.user, with_languages=with_languages, rule=trial
        )
        payload = {**s.board_payload(board), "what_if": True}
        return Response(s.LeaderboardSerializer(payload).data)
