"""The notifications API: my notifications, read marks, preferences; webhooks and the outbox."""

import pytest
from django.utils import timezone

from andon.audit.models import AuditEntry
from andon.notifications.models import ChannelPreference, Notification, OutboxMessage, Webhook
from tests import factories
from tests.api.conftest import assert_error, client_for


def note(user, title="n", read=False):
    return Notification.objects.create(
        recipient=user,
        kind="urged",
        title=title,
        created_at=timezone.now(),
        read_at=timezone.now() if read else None,
    )


def test_my_notifications_newest_first_and_unread_filter(db, django_assert_max_num_queries):
    me, other = factories.handler(), factories.handler()
    first, second = note(me, "一"), note(me, "二", read=True)
    note(other, "别人的")
    for _ in range(30):
        note(me, "更多")
    api = client_for(me)
    with django_assert_max_num_queries(6):
        response = api.get("/api/v1/notifications/")
    body = response.json()
    assert response["X-Unread-Count"] == "31"
    assert len(body["results"]) == 25 and body["next"]
    assert body["results"][0]["title"] == "更多"
    older = api.get(body["next"]).json()["results"]
    assert [n["id"] for n in older[-2:]] == [second.pk, first.pk]
    unread = api.get("/api/v1/notifications/?unread=1&page_size=100").json()["results"]
    assert second.pk not in [n["id"] for n in unread] and len(unread) == 31
    assert_error(api.get("/api/v1/notifications/?unread=maybe"), 400, field="unread")
    assert_error(api.get("/api/v1/notifications/?cursor=zzz"), 400)


def test_mark_read_one_and_all(db):
    me, other = factories.handler(), factories.handler()
    mine, theirs = note(me), note(other)
    api = client_for(me)
    r = api.post(f"/api/v1/notifications/{mine.pk}/read/")
    assert r.status_code == 200 and r.json()["is_read"] is True
    assert_error(api.post(f"/api/v1/notifications/{theirs.pk}/read/"), 404)
    note(me), note(me)
    assert api.post("/api/v1/notifications/read-all/").json() == {"updated": 2}
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_preferences(db):
    me = factories.handler(email="me@example.com")
    api = client_for(me)
    body = api.get("/api/v1/notifications/preferences/").json()
    assert body["in_app"] is True and body["email"] is True and body["wecom"] is True
    assert body["email_address"] == "me@example.com"
    r = api.put("/api/v1/notifications/preferences/", {"email": False}, format="json")
    assert r.status_code == 200 and r.json()["email"] is False
    assert ChannelPreference.objects.get(user=me, channel="email").enabled is False
    assert_error(
        api.put("/api/v1/notifications/preferences/", {"in_app": False}, format="json"),
        400,
        field="in_app",
    )
    assert_error(
        api.put("/api/v1/notifications/preferences/", {"sms": True}, format="json"),
        400,
        field="sms",
    )
    assert_error(
        api.put("/api/v1/notifications/preferences/", {"wecom": "yes"}, format="json"),
        400,
        field="wecom",
    )


@pytest.fixture
def admin(db):
    return factories.admin()


def test_webhook_crud_secret_shown_once(admin):
    api = client_for(admin)
    r = api.post(
        "/api/v1/webhooks/",
        {"name": "运维平台", "url": "https://ops.example/hook", "events": ["created"]},
        format="json",
    )
    assert r.status_code == 201
    created = r.json()
    hook = Webhook.objects.get()
    assert created["secret"] == hook.secret and len(hook.secret) >= 32
    detail = api.get(f"/api/v1/webhooks/{hook.pk}/").json()
    assert "secret" not in detail and detail["secret_hint"] == "…" + hook.secret[-4:]
    assert all("secret" not in h for h in api.get("/api/v1/webhooks/").json())
    r = api.patch(f"/api/v1/webhooks/{hook.pk}/", {"is_active": False}, format="json")
    assert r.json()["is_active"] is False and "secret" not in r.json()
    r = api.patch(f"/api/v1/webhooks/{hook.pk}/", {"rotate_secret": True}, format="json")
    assert r.json()["secret"] != created["secret"]
    assert api.delete(f"/api/v1/webhooks/{hook.pk}/").status_code == 204
    entries = AuditEntry.objects.filter(object_type="notifications.webhook")
    assert entries.count() == 4
    assert all(created["secret"] not in str(e.changes) for e in entries)


def test_webhook_validation(admin):
    api = client_for(admin)
    body = assert_error(
        api.post(
            "/api/v1/webhooks/", {"name": "", "url": "ftp://x", "events": "all"}, format="json"
        ),
        400,
    )
    assert {"name", "url", "events"} <= set(body["errors"])
    assert not Webhook.objects.exists()
    assert_error(api.get("/api/v1/webhooks/999/"), 404)
    assert_error(client_for(factories.handler()).get("/api/v1/webhooks/"), 403)


def _message(hook, state=OutboxMessage.State.DEAD, key="k1"):
    now = timezone.now()
    return OutboxMessage.objects.create(
        key=key,
        channel="webhook",
        webhook=hook,
        subject="created",
        state=state,
        attempts=8,
        next_attempt_at=now,
        created_at=now,
        last_error="HTTP 500: boom",
    )


def test_webhook_deliveries_and_outbox(admin, django_assert_max_num_queries):
    from andon.notifications.models import DeliveryAttempt

    hook = Webhook.objects.create(name="h", url="http://127.0.0.1:9/", secret="s")
    for i in range(5):
        m = _message(hook, key=f"k{i}")
        DeliveryAttempt.objects.create(message=m, at=timezone.now(), ok=False, detail="HTTP 500")
    api = client_for(admin)
    deliveries = api.get(f"/api/v1/webhooks/{hook.pk}/deliveries/").json()
    assert len(deliveries) == 5 and deliveries[0]["attempt_log"][0]["detail"] == "HTTP 500"
    with django_assert_max_num_queries(6):
        body = api.get("/api/v1/outbox/?state=dead").json()
    assert len(body["results"]) == 5 and body["results"][0]["last_error"] == "HTTP 500: boom"
    assert api.get("/api/v1/outbox/?state=sent").json()["results"] == []
    assert_error(api.get("/api/v1/outbox/?state=bogus"), 400, field="state")
    assert_error(api.get("/api/v1/outbox/?channel=sms"), 400, field="channel")


def test_outbox_retry(admin, settings, django_capture_on_commit_callbacks):
    from andon.notifications.models import DeliveryAttempt

    settings.ANDON_WEBHOOK_ALLOW_PRIVATE = True
    hook = Webhook.objects.create(name="h", url="http://127.0.0.1:9/", secret="s")
    message = _message(hook)
    DeliveryAttempt.objects.bulk_create(
        DeliveryAttempt(message=message, at=timezone.now(), ok=False, detail="HTTP 500")
        for _ in range(message.attempts)
    )
    api = client_for(admin)
    with django_capture_on_commit_callbacks(execute=True):
        r = api.post(f"/api/v1/outbox/{message.pk}/retry/")
    assert r.status_code == 200
    message.refresh_from_db()
    # Nothing listens on port 9: the retry ran once more, failed, and is given up again.
    assert message.attempts == 9 and message.state == OutboxMessage.State.DEAD
    assert message.attempt_log.count() == 9 and message.attempt_log.first().ok is False
    message.state = OutboxMessage.State.SENT
    message.save()
    assert_error(api.post(f"/api/v1/outbox/{message.pk}/retry/"), 409)
    assert_error(api.post("/api/v1/outbox/999999/retry/"), 404)
