"""Who may do what through the API: organisers are staff users; teams act on their own work."""

from rest_framework.permissions import BasePermission

from competitions.selectors import is_organiser


class IsOrganiser(BasePermission):
    message = "Only the organisers (staff users) may do this."

    def has_permission(self, request, view):
        return is_organiser(request.user)


def may_see_submission(user, submission) -> bool:
    """A submission's details (run, logs, scores) belong to its team and the organisers."""
    if not user.is_authenticated:
        return False
    return is_organiser(user) or submission.team.memberships.filter(user=user).exists()
