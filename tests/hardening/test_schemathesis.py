"""schemathesis against the API's own OpenAPI schema (/api/v1/schema/), with token auth.

Every operation gets generated requests (valid and not); no answer may be a 5xx, and every
answer must match the schema (status codes, content types, bodies). Runs in-process on the
WSGI app, against the test database, so a crash shows its traceback here.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from podium.wsgi import application

# The checks named in the brief: no server error, and answers that conform to the schema.
# (Negative-data checks such as "a malformed request must be refused" are left out: the API
# legitimately accepts some inputs the schema's format hints would call malformed.)
CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def api_schema(db):
    # As Django's test client does: a request must not close the test's database connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/v1/schema/", application)
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


OPERATIONS = [
    "GET /api/v1/competitions/",
    "GET /api/v1/competitions/{slug}/",
    "GET /api/v1/me/submissions/",
    "POST /api/v1/submissions/{submission_id}/cancel/",
    "GET /api/v1/competitions/{slug}/leaderboard/",
    "POST /api/v1/competitions/{slug}/phases/{key}/submissions/",
    "POST /api/v1/competitions/{slug}/phases/{key}/select-for-final/",
    "GET /api/v1/submissions/{submission_id}/",
    "POST /api/v1/competitions/{slug}/debug-runs/",
    "GET /api/v1/debug-runs/{debug_run_id}/",
]


@pytest.fixture
def token(competition, member, artifact_store, token_for):
    return token_for(member)


def test_the_schema_lists_every_api_operation(api_schema):
    labels = sorted(result.ok().label for result in api_schema.get_all_operations())
    assert labels == sorted(OPERATIONS), "add the new operation to OPERATIONS"


# schemathesis' own pytest plugin does not run on pytest 9 (4.32.5): drive its strategies here.
@pytest.mark.parametrize("label", OPERATIONS)
def test_api_answers_within_its_schema_and_never_5xx(label, api_schema, token):
    operation = next(r.ok() for r in api_schema.get_all_operations() if r.ok().label == label)
    headers = {"Authorization": f"Token {token}"}

    @settings(max_examples=25, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(case=operation.as_strategy())
    def exercise(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    exercise()
