"""The API of debug runs: start one (archive, reference or one of the team's submissions), read
one (status, exit code, failure reason, sample scores, the whole log). Never an attempt."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from competitions.api.serializers import ImageRequestSerializer
from competitions.api.throttles import AnonThrottle, UploadThrottle, UserThrottle
from competitions.api.views import SLUG, PayloadTooLarge, _error, _summary
from competitions.models import Competition, DebugRun
from competitions.reads import debug_runs as reads
from competitions.services import debug_runs as service
from competitions.services.eligibility import ArchiveRefused, SubmissionRefused, answer
from competitions.services.uploads import oversized


class DebugRunRequestSerializer(ImageRequestSerializer):
    submission = serializers.IntegerField(
        required=False, min_value=1, help_text="Or the id of one of your team's submissions."
    )


class DebugRunSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    competition = serializers.CharField()
    submission = serializers.IntegerField(allow_null=True)
    status = serializers.ChoiceField(choices=DebugRun.Status.choices)
    failure_reason = serializers.CharField(allow_blank=True)
    fault = serializers.CharField(allow_blank=True)
    exit_code = serializers.IntegerField(allow_null=True)
    runtime_s = serializers.FloatField(allow_null=True)
    overall_score = serializers.FloatField(allow_null=True, help_text="On the public sample.")
    scores = serializers.DictField(
        child=serializers.FloatField(),
        help_text='Each task\'s primary metric on the sample, e.g. {"xnli": 33.3}.',
    )
    logs = serializers.CharField(allow_blank=True, help_text="The image's whole log (bounded).")
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    url = serializers.CharField()


def payload(debug_run: DebugRun) -> dict:
    return {
        "id": debug_run.pk,
        "competition": debug_run.competition.slug,
        "submission": debug_run.submission_id,
        "status": debug_run.status,
        "failure_reason": debug_run.failure_reason,
        "fault": debug_run.fault,
        "exit_code": debug_run.exit_code,
        "runtime_s": debug_run.runtime_s,
        "overall_score": debug_run.overall_score,
        "scores": {
            t.task: t.average for t in reads.debug_scores(debug_run) if t.average is not None
        },
        "logs": debug_run.logs,
        "created_at": debug_run.created_at,
        "finished_at": debug_run.finished_at,
        "url": f"/debug-runs/{debug_run.pk}/",
    }


DEBUG_RUN_ID = OpenApiParameter(
    "debug_run_id", {"type": "integer", "minimum": 0}, OpenApiParameter.PATH
)


class DebugRunsView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    throttle_classes = [AnonThrottle, UserThrottle, UploadThrottle]

    def initial(self, request, *args, **kwargs):
        if message := oversized(request.META):
            raise PayloadTooLarge(message)
        super().initial(request, *args, **kwargs)

    @extend_schema(
        operation_id="debug_run",
        summary="Start a debug run on the public sample (no attempt used, on no board)",
        parameters=[SLUG],
        request={"multipart/form-data": DebugRunRequestSerializer},
        responses={
            201: DebugRunSerializer,
            400: _error("Invalid input: the detail says which field and why."),
            401: _error("Not authenticated: send `Authorization: Token <key>`."),
            403: _error("Not in a team."),
            404: _error("No such competition."),
            413: _error("The upload is above the size limit."),
            429: _error("The team's debug-run limit: Retry-After says how many seconds to wait."),
        },
    )
    def post(self, request, slug: str):
        competition = Competition.objects.filter(slug=slug).first()
        if competition is None:
            raise NotFound(f"no competition {slug!r}")
        try:
            service.may_debug(request.user, competition)  # before the body is parsed
            form = DebugRunRequestSerializer(data=request.data)
            if not form.is_valid():
                return Response(
                    {"detail": _summary(form.errors), "errors": form.errors},
                    status=status.HTTP_400_BAD_REQUEST,
                )
            data = form.validated_data
            image = service.DebugImage(
                image_file=data.get("image"),
                image_ref=(data.get("image_ref") or "").strip(),
                submission_id=data.get("submission"),
            )
            debug_run = service.request_debug_run(request.user, competition, image)
        except SubmissionRefused as refusal:
            said = answer(refusal)  # the same status and words as the page's
            body = {"detail": said.message}
            if isinstance(refusal, ArchiveRefused):
                body["errors"] = {"image": [str(refusal)]}
            headers = {}
            if isinstance(refusal, service.DebugRunTooSoon):
                headers["Retry-After"] = str(refusal.retry_after_s)
            return Response(body, status=said.status, headers=headers)
        return Response(DebugRunSerializer(payload(debug_run)).data, status=201)


class DebugRunDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="debug_run_detail",
        summary="A debug run: status, exit code, failure reason, sample scores, whole log",
        parameters=[DEBUG_RUN_ID],
        responses={
            200: DebugRunSerializer,
            401: _error("Not authenticated."),
            404: _error("No such debug run, or not your team's."),
        },
    )
    def get(self, request, debug_run_id: int):
        debug_run = reads.debug_run_for_viewer(debug_run_id, request.user)
        if debug_run is None:
            raise NotFound("no debug run of your team with this number")
        return Response(DebugRunSerializer(payload(debug_run)).data)
