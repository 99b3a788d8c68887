"""API request rates: anonymous readers, signed-in users, and the stricter one for submissions.

Rates are read from settings at each request (PODIUM_API_*_RATE) rather than frozen into DRF's
class attribute at import, so an operator's change and a test's override both take effect.
Each client counts under one rate: anonymous readers under the anonymous rate only (DRF's user
throttle also counts them by address, at the user rate, so raising PODIUM_API_ANON_RATE alone
changed nothing past PODIUM_API_USER_RATE), signed-in users under theirs.
"""

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class AnonThrottle(AnonRateThrottle):
    def get_rate(self) -> str:
        return settings.PODIUM_API_ANON_RATE


class UserThrottle(UserRateThrottle):
    def get_rate(self) -> str:
        return settings.PODIUM_API_USER_RATE

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None  # AnonThrottle's to count
        return super().get_cache_key(request, view)


class UploadThrottle(UserRateThrottle):
    """Submissions per user: each one is a multi-GB upload, an archive check and a stored file."""

    scope = "uploads"

    def get_rate(self) -> str:
        return settings.PODIUM_API_UPLOAD_RATE
