"""The site as users reach it: logged-in test clients, API clients with tokens, Chromium."""

import os
import shutil

from tests.builders.services import ROOT

SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def chromium_path() -> str | None:
    for candidate in (os.environ.get("PODIUM_CHROMIUM"), "/usr/bin/chromium", "chromium"):
        if candidate and shutil.which(candidate):
            return shutil.which(candidate)
    return None


def logged_in(user, csrf: bool = False):
    """A test client logged in as `user` (with CSRF checks when asked)."""
    from django.test import Client

    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def api_client(user):
    """A DRF test client that authenticates as `user` with their API token (made if missing)."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client
