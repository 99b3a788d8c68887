"""The one way Podium opens the Docker engine: a pinged client, or an error that says what to do.

Workers, management commands, benchmarks and tests all call `docker_client`."""

DEFAULT_TIMEOUT_S = 120


class DockerUnavailable(RuntimeError):
    """The engine cannot be reached; the message names the cause and the remedy."""


def docker_client(timeout: int = DEFAULT_TIMEOUT_S):
    """A Docker SDK client that answered a ping (long API calls such as `docker load` get
    `timeout` seconds)."""
    import docker

    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except Exception as error:  # the SDK raises many types for an unreachable engine
        raise DockerUnavailable(
            f"Docker is not reachable ({error}); start Docker and try again"
        ) from None
    return client
