"""The Docker engine for management commands: a client, or a CommandError that says what to do."""

from django.core.management.base import CommandError


def docker_client_or_error(timeout: int = 120):
    import docker

    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except Exception as error:
        message = f"Docker is not reachable ({error}); start Docker and try again"
        raise CommandError(message) from None
    return client
