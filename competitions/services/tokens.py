"""A person's API token: create (shown once), revoke. One token per person (DRF authtoken)."""

from rest_framework.authtoken.models import Token


def issue_token(user) -> str:
    """A new token for `user`, replacing any earlier one; the caller shows the key once."""
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user).key


def revoke_token(user) -> bool:
    """True if a token was revoked (requests with it are refused from now on)."""
    deleted, _ = Token.objects.filter(user=user).delete()
    return bool(deleted)


def token_created_at(user):
    """When the person's token was created (None: no token); its key is never shown again."""
    return Token.objects.filter(user=user).values_list("created", flat=True).first()
