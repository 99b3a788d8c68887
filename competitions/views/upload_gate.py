"""The proxy's question before it stores an upload's body (nginx `auth_request`, see
docker/nginx.conf.template): does this request come from a signed-in team member or the holder of
a team member's token? Cheap on purpose: headers only (session cookie, Authorization), no body."""

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from competitions.permissions import team_of


def _user(request):
    if request.user.is_authenticated:
        return request.user
    try:
        found = TokenAuthentication().authenticate(request)
    except AuthenticationFailed:  # a malformed, unknown or revoked token, or an inactive user
        return None
    return found[0] if found else None


# Any method: nginx asks with a GET of its own, whatever the upload's method; nothing changes here.
@csrf_exempt
def upload_allowed(request):
    """204: the body may be read; 401: nobody signed in; 403: signed in, but in no team. The
    submit views still decide everything else (phase, attempts, the archive) once it has come."""
    user = _user(request)
    if user is None:
        return HttpResponse(status=401)
    if team_of(user) is None:
        return HttpResponse(status=403)
    return HttpResponse(status=204)
