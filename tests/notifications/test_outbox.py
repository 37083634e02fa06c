import hashlib
import hmac
import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from andon.notifications import outbox
from andon.notifications.channels import sign
from andon.notifications.models import (
    Channel,
    DeliveryAttempt,
    Notification,
    OutboxMessage,
    Webhook,
)
from tests import factories
from tests.http_receiver import Receiver


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


def email_message(user, key="event:1:1:email", **kwargs):
    return OutboxMessage(
        key=key,
        channel=Channel.EMAIL,
        recipient=user,
        subject="AD-1 催单：打印机无法连接",
        body="张三 催单",
        url="http://desk.example/tickets/1/",
        **kwargs,
    )


def test_email_is_delivered_over_real_smtp_once(
    db, mail_server, django_capture_on_commit_callbacks
):
    user = factories.handler(email="lisi@example.com", display_name="李四")
    with django_capture_on_commit_callbacks(execute=True):
        outbox.enqueue([email_message(user)])
        outbox.enqueue([email_message(user)])  # same key: ignored
    assert OutboxMessage.objects.count() == 1
    message = OutboxMessage.objects.get()
    assert message.state == OutboxMessage.State.SENT
    assert len(mail_server.messages) == 1
    mail = mail_server.messages[0]
    assert mail["To"] == "lisi@example.com"
    assert str(mail["Subject"]).strip() == "[Andon] AD-1 催单：打印机无法连接"
    text = mail.get_body(("plain",)).get_content()
    assert "李四，您好" in text and "http://desk.example/tickets/1/" in text
    assert outbox.deliver(message.pk) == "skipped"  # already sent: never twice
    assert len(mail_server.messages) == 1


def test_failed_send_backs_off_and_is_retried_by_the_sweeper(db, settings, mail_server):
    user = factories.handler(email="w@example.com")
    settings.EMAIL_PORT = 1  # nothing listens there: the first try fails
    outbox.enqueue([email_message(user)])
    message = OutboxMessage.objects.get()
    assert outbox.deliver(message.pk) == OutboxMessage.State.PENDING
    message.refresh_from_db()
    assert message.attempts == 1
    assert message.last_error.startswith("SMTP")
    assert message.next_attempt_at > timezone.now() + timedelta(seconds=25)
    assert outbox.sweep_outbox() == 0  # not due yet
    settings.EMAIL_PORT = mail_server.port
    with time_machine.travel(message.next_attempt_at + timedelta(seconds=1)):
        assert outbox.sweep_outbox() == 1
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.SENT
    assert list(DeliveryAttempt.objects.order_by("id").values_list("ok", flat=True)) == [
        False,
        True,
    ]
    assert len(mail_server.messages) == 1


def test_message_is_given_up_after_max_attempts(db, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1  # nothing listens there
    user = factories.handler(email="w@example.com")
    outbox.enqueue([email_message(user)])
    message = OutboxMessage.objects.get()
    moment = timezone.now()
    for _ in range(outbox.MAX_ATTEMPTS):
        with time_machine.travel(moment):
            outbox.deliver(message.pk)
        message.refresh_from_db()
        moment = message.next_attempt_at + timedelta(seconds=1)
    assert message.state == OutboxMessage.State.DEAD
    assert message.attempts == outbox.MAX_ATTEMPTS


def test_backoff_doubles_and_is_capped():
    assert [outbox.backoff(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert outbox.backoff(20).total_seconds() == outbox.BACKOFF_CAP_SECONDS


def test_webhook_is_signed_and_logged(db, receiver, settings, django_capture_on_commit_callbacks):
    settings.ANDON_WEBHOOK_ALLOW_PRIVATE = True  # the receiver is on loopback
    hook = Webhook.objects.create(name="运维平台", url=receiver.url, secret="s3cret", events=[])
    Webhook.objects.create(name="只要解决", url=receiver.url, secret="x", events=["resolved"])
    with django_capture_on_commit_callbacks(execute=True):
        outbox.enqueue_webhooks(kind="created", key="event:7", payload={"ticket": "AD-7"})
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    headers = {k.lower(): v for k, v in request["headers"].items()}
    expected = hmac.new(
        b"s3cret", headers["x-andon-timestamp"].encode() + b"." + request["body"], hashlib.sha256
    ).hexdigest()
    assert headers["x-andon-signature"] == f"sha256={expected}"
    assert headers["x-andon-signature"] == sign(
        "s3cret", headers["x-andon-timestamp"], request["body"]
    )
    assert json.loads(request["body"]) == {"kind": "created", "ticket": "AD-7"}
    message = OutboxMessage.objects.get(webhook=hook)
    assert message.state == OutboxMessage.State.SENT
    assert message.attempt_log.get().detail == "HTTP 200"


def test_webhook_error_status_is_retried(
    db, receiver, settings, django_capture_on_commit_callbacks
):
    settings.ANDON_WEBHOOK_ALLOW_PRIVATE = True  # the receiver is on loopback
    receiver.statuses = [500]
    Webhook.objects.create(name="h", url=receiver.url, secret="k")
    with django_capture_on_commit_callbacks(execute=True):
        outbox.enqueue_webhooks(kind="created", key="event:8", payload={})
    message = OutboxMessage.objects.get()
    assert message.state == OutboxMessage.State.PENDING
    assert message.last_error == "HTTP 500"  # the receiver's body ("boom") is not shown
    with time_machine.travel(message.next_attempt_at + timedelta(seconds=1)):
        outbox.sweep_outbox()
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.SENT
    assert len(receiver.requests) == 2


def test_channel_preferences_decide_external_copies(
    db, settings, django_capture_on_commit_callbacks
):
    settings.WECOM_CORP_ID = ""  # WeCom not configured: e-mail only
    keen = factories.handler(email="keen@example.com")
    quiet = factories.handler(email="quiet@example.com")
    outbox.set_preference(user=quiet, channel=Channel.EMAIL, enabled=False)
    no_mail = factories.handler(email="")
    entry = factories.catalog_leaf(factories.QueueFactory())
    ticket = factories.make_ticket(actor=factories.admin(), entry=entry)
    event = ticket.events.first()
    notifications = [
        Notification.objects.create(
            recipient=user,
            ticket=ticket,
            event=event,
            kind="urged",
            title="t",
            created_at=timezone.now(),
        )
        for user in (keen, quiet, no_mail)
    ]
    OutboxMessage.objects.all().delete()
    outbox.enqueue_for_notifications(notifications)
    assert list(OutboxMessage.objects.values_list("recipient_id", "channel")) == [
        (keen.pk, "email")
    ]
    assert OutboxMessage.objects.get().url.endswith(f"/tickets/{ticket.pk}/")
