"""API views for scripts and the client: the competitions, my team's submissions, cancel a run."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from competitions.api import catalogue as c
from competitions.api import serializers as s
from competitions.api.permissions import submission_for
from competitions.api.views import SLUG, SLUG_PATTERN, SUBMISSION_ID, Conflict, _error
from competitions.permissions import team_of
from competitions.services import runs as run_service


def _site(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


class CompetitionListView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="competitions",
        summary="Every competition with its tasks, limits, efficiency rule and phases",
        responses={200: c.CompetitionSerializer(many=True)},
    )
    def get(self, request):
        payload = [c.competition_payload(comp, _site(request)) for comp in c.competitions()]
        return Response(c.CompetitionSerializer(payload, many=True).data)


class CompetitionDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="competition",
        summary="One competition: tasks, limits, efficiency rule and phases",
        parameters=[SLUG],
        responses={200: c.CompetitionSerializer, 404: _error("No such competition.")},
    )
    def get(self, request, slug: str):
        comp = c.competitions().filter(slug=slug).first()
        if comp is None:
            raise NotFound(f"no competition {slug!r}")
        return Response(c.CompetitionSerializer(c.competition_payload(comp, _site(request))).data)


class MySubmissionsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="my_submissions",
        summary="My team's submissions (newest first) and the attempts left in each phase",
        parameters=[
            OpenApiParameter("competition", str, required=False, pattern=SLUG_PATTERN),
            OpenApiParameter("phase", str, required=False, pattern=SLUG_PATTERN),
        ],
        responses={
            200: c.MySubmissionsSerializer,
            401: _error("Not authenticated: create a token on your team page (/team/)."),
            403: _error("You are not in a team."),
        },
    )
    def get(self, request):
        team = team_of(request.user)
        if team is None:
            raise PermissionDenied("you are not in a team; ask the organisers to add you")
        payload = c.my_submissions_payload(
            team,
            request.user,
            competition=request.query_params.get("competition", ""),
            phase=request.query_params.get("phase", ""),
        )
        return Response(c.MySubmissionsSerializer(payload).data)


class CancelView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="cancel_submission",
        summary="Cancel a submission's queued run; the attempt is given back",
        parameters=[SUBMISSION_ID],
        request=None,
        responses={
            200: s.SubmissionSerializer,
            401: _error("Not authenticated."),
            404: _error("No such submission, or not your team's."),
            409: _error("The run is no longer queued (running or done): it cannot be cancelled."),
        },
    )
    def post(self, request, submission_id: int):
        submission = submission_for(request.user, submission_id)
        run = submission.runs.order_by("-created_at").first()
        if run is None:
            raise Conflict(f"submission {submission_id} has no run to cancel")
        try:
            # Whether it may be cancelled is the service's to decide (teams: a queued run).
            run_service.cancel_run(run, by_organiser=False)
        except run_service.RunStateError as error:
            raise Conflict(str(error)) from error
        submission.refresh_from_db()
        return Response(s.SubmissionSerializer(s.submission_payload(submission, request.user)).data)
