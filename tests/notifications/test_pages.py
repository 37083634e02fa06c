"""Notification pages: the bell's poll, personal preferences, and the admin's webhooks and
outbox log."""

import pytest
from django.utils import timezone

from andon.notifications.models import (
    ChannelPreference,
    DeliveryAttempt,
    Notification,
    OutboxMessage,
    Webhook,
)
from tests import factories
from tests.web.helpers import login


def test_bell_poll_is_one_count_query(client, db, django_assert_max_num_queries):
    me = factories.handler()
    login(client, me)
    for _ in range(3):
        Notification.objects.create(
            recipient=me, kind="urged", title="t", created_at=timezone.now()
        )
    # session + user + the COUNT
    with django_assert_max_num_queries(3):
        response = client.get("/notifications/dropdown/?badge=1")
    html = response.content.decode()
    assert 'data-count="3">3</span>' in html
    assert 'hx-trigger="every 20s"' in html and "<div" not in html


def test_navbar_badge_polls_and_links_preferences(client, db, settings):
    settings.NOTIFICATION_POLL_SECONDS = 5
    login(client, factories.handler())
    html = client.get("/notifications/").content.decode()
    assert 'hx-get="/notifications/dropdown/?badge=1" hx-trigger="every 5s"' in html
    assert 'href="/config/notifications/preferences/"' in html


def test_preferences_page(client, db):
    me = factories.handler(email="me@example.com")
    login(client, me)
    html = client.get("/config/notifications/preferences/").content.decode()
    assert "me@example.com" in html and "始终开启" in html
    r = client.post("/config/notifications/preferences/", {"wecom": "on"})
    assert r.status_code == 302
    prefs = dict(ChannelPreference.objects.filter(user=me).values_list("channel", "enabled"))
    assert prefs == {"email": False, "wecom": True}


@pytest.fixture
def admin_client(client, db):
    return login(client, factories.admin())


def test_webhook_pages_show_secret_once(admin_client):
    r = admin_client.post(
        "/config/notifications/",
        {"name": "运维平台", "url": "https://ops.example/h", "is_active": "on"},
    )
    hook = Webhook.objects.get()
    assert r.status_code == 302
    first = admin_client.get(r["Location"]).content.decode()
    assert hook.secret in first
    again = admin_client.get(r["Location"]).content.decode()
    assert hook.secret not in again and hook.secret[-4:] in again
    bad = admin_client.post("/config/notifications/", {"name": "", "url": "nope"})
    assert bad.status_code == 400 and Webhook.objects.count() == 1
    old = hook.secret
    admin_client.post(f"/config/notifications/webhooks/{hook.pk}/rotate/")
    hook.refresh_from_db()
    assert hook.secret != old
    admin_client.post(f"/config/notifications/webhooks/{hook.pk}/delete/")
    assert not Webhook.objects.exists()


def test_outbox_log_shows_errors_and_retries(admin_client, django_assert_max_num_queries):
    hook = Webhook.objects.create(name="h", url="http://127.0.0.1:9/", secret="s")
    now = timezone.now()
    for i in range(10):
        m = OutboxMessage.objects.create(
            key=f"k{i}",
            channel="webhook",
            webhook=hook,
            subject="created",
            state="dead",
            attempts=8,
            next_attempt_at=now,
            created_at=now,
            last_error="HTTP 502: bad gateway",
        )
        DeliveryAttempt.objects.create(message=m, at=now, ok=False, detail="HTTP 502")
    with django_assert_max_num_queries(14):
        html = admin_client.get("/config/notifications/").content.decode()
    assert html.count('data-testid="outbox-row"') == 10
    assert "HTTP 502: bad gateway" in html
    html = admin_client.get(f"/config/notifications/webhooks/{hook.pk}/").content.decode()
    assert html.count('data-testid="outbox-row"') == 10
    r = admin_client.post(f"/config/notifications/outbox/{m.pk}/retry/")
    assert r.status_code == 302


def test_admin_pages_need_integrations_manage(client, db):
    login(client, factories.handler())
    assert client.get("/config/notifications/").status_code == 403
