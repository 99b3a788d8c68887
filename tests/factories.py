"""Shared builders for the tests, by what they build: tests/builders/world.py (competitions, teams,
submissions, finished runs), processes.py (workers, Redis, proxies), http.py (clients, Chromium)
and services.py (the machine's services, ports, waits). Tests import from here, never from a
conftest module."""

from tests.builders.http import *  # noqa: F403
from tests.builders.processes import *  # noqa: F403
from tests.builders.services import *  # noqa: F403
from tests.builders.world import *  # noqa: F403
