"""Who may be notified at all. The one filter every notification and OLA alert recipient list
goes through: people outside the WeCom application's visible range (可见范围, synced into
`User.wecom_visible`) cannot open Andon from WeCom, so they are skipped. The flag is None where
WeCom is not configured or never synced, which filters nobody."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model


def is_reachable(user) -> bool:
    return bool(user.is_active) and user.wecom_visible is not False


def reachable(users: Iterable) -> list:
    return [user for user in users if is_reachable(user)]


def reachable_users(user_ids: Iterable[int]):
    """The queryset form of `is_reachable` over these ids."""
    return (
        get_user_model()
        .objects.filter(pk__in=set(user_ids), is_active=True)
        .exclude(wecom_visible=False)
    )


def reachable_ids(user_ids: Iterable[int]) -> set[int]:
    return set(reachable_users(user_ids).values_list("pk", flat=True))
