"""Shared helpers for the web tests."""


def login(client, user):
    client.force_login(user)
    return client


def htmx(client, url, data=None, **extra):
    return client.post(
        url, data or {}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="ticket-workspace", **extra
    )
