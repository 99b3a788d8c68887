"""Who is logging in from where: the login-lockout backend and the client address behind proxies."""

from axes.backends import AxesStandaloneBackend
from django.conf import settings


def forwarded_client(remote_addr: str, forwarded_for: str, trusted_hops: int) -> str:
    """The address of the client as seen by the outermost of `trusted_hops` proxies of ours.

    Each proxy appends the address it received the request from to X-Forwarded-For, so with one
    proxy the last entry is the client; anything to its left was written by the client itself
    and proves nothing. With no trusted proxy (or no header) it is the socket's address.
    """
    entries = [part.strip() for part in forwarded_for.split(",") if part.strip()]
    if trusted_hops <= 0 or not entries:
        return remote_addr
    return entries[-min(trusted_hops, len(entries))]


def client_ip(request) -> str:
    return forwarded_client(
        request.META.get("REMOTE_ADDR", ""),
        request.META.get("HTTP_X_FORWARDED_FOR", ""),
        int(settings.PODIUM_TRUSTED_PROXY_HOPS),
    )


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check, for logins that come with a request (the login page, admin).

    A call without a request (the test client's `login()`, the shell) has no client address to
    lock out; axes would raise for it, so it is passed on to the next backend unchecked.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)
