"""The Docker engine for management commands: a client, or a CommandError that says what to do."""

from django.core.management.base import CommandError

from evaluator.runner.engine import DEFAULT_TIMEOUT_S, DockerUnavailable, docker_client


def docker_client_or_error(timeout: int = DEFAULT_TIMEOUT_S):
    try:
        return docker_client(timeout)
    except DockerUnavailable as error:
        raise CommandError(str(error)) from None
