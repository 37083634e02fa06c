"""API token authentication with the token's row cached across requests.

DRF's `TokenAuthentication` reads the token and its user on every request. Here the row (with its
user) lives in the configuration cache (`andon.core.config_cache`, area PEOPLE), so a request
that already reads the areas' version tokens (every API request does, for the permission codes)
authenticates without a query. A token's row can stop being valid in four ways, and each one
invalidates the cache at its commit, in every process:

- the token is revoked or rotated (DELETE /api/v1/auth/token/, a password change, deactivation):
  a Token row deleted or written;
- the person is deactivated, changed or deleted: a User row written;
- the WeCom org sync writes people in bulk (`bulk_update` sends no signal): it bumps the area;
- anything else (a raw UPDATE from a shell) is seen after `config_cache.MAX_AGE` at the latest.

The signals are connected in `AccountsConfig.ready`. Unknown keys are never cached, so guessing
keys cannot fill the cache; each guess costs the one query DRF's class costs.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from andon.core import config_cache


class _UnknownToken(Exception):
    """Raised out of the cache's loader so that a miss is not stored."""


def _load(key: str) -> Token:
    token = Token.objects.select_related("user").filter(key=key).first()
    if token is None:
        raise _UnknownToken
    return token


def people_changed(**kwargs) -> None:
    """A signal receiver: a token or a person was written."""
    config_cache.bump(config_cache.PEOPLE)


class CachedTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`, as DRF's class answers it (same errors, same checks)."""

    def authenticate_credentials(self, key):
        try:
            token = config_cache.get(config_cache.PEOPLE, ("token", key), lambda: _load(key))
        except _UnknownToken:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (token.user, token)
