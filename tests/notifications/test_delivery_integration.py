"""End to end: ticket events and OLA alerts reach real servers through the outbox — e-mail to a
real SMTP server, a signed webhook to a local receiver, and WeCom text cards to the local
WeCom-protocol server (with token expiry 42001 and rate limit 45009)."""

import hashlib
import hmac
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from andon.notifications import outbox
from andon.notifications.models import OutboxMessage, Webhook
from andon.ola import engine
from andon.ola.models import BusinessCalendar, OlaPolicy
from andon.tickets import services
from tests import factories
from tests.http_receiver import Receiver
from tests.wecom_server import wecom_server  # noqa: F401 - the fixture

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


def test_comment_reaches_email_and_signed_webhook(
    db, mail_server, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WECOM_CORP_ID = ""
    settings.ANDON_WEBHOOK_ALLOW_PRIVATE = True  # the receiver is on loopback
    hook = Webhook.objects.create(name="运维平台", url=receiver.url, secret="s3cret")
    queue = factories.QueueFactory()
    handler = factories.handler(email="handler@example.com")
    factories.add_members(queue, handler)
    requester = factories.requester(email="req@example.com")
    ticket = factories.make_ticket(actor=requester, entry=factories.catalog_leaf(queue))
    receiver.requests.clear()
    mail_server.messages.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.add_comment(ticket_id=ticket.pk, actor=requester, body="打印机还是不行")
    # the assignee hears about the comment by e-mail, with a link to the ticket
    assert len(mail_server.messages) == 1
    mail = mail_server.messages[0]
    assert mail["To"] == "handler@example.com"
    text = mail.get_body(("plain",)).get_content()
    assert f"/tickets/{ticket.pk}/" in text and "打印机还是不行" in text
    # the webhook got the event, signed
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    headers = {k.lower(): v for k, v in request["headers"].items()}
    expected = hmac.new(
        b"s3cret", headers["x-andon-timestamp"].encode() + b"." + request["body"], hashlib.sha256
    ).hexdigest()
    assert headers["x-andon-signature"] == f"sha256={expected}"
    payload = json.loads(request["body"])
    assert payload["kind"] == "commented" and payload["ticket"]["number"] == ticket.number
    assert OutboxMessage.objects.filter(webhook=hook, state="sent").count() == 1
    # the same event enqueued again sends nothing new
    event = ticket.events.filter(kind="commented").get()
    with django_capture_on_commit_callbacks(execute=True):
        from andon.notifications.services import webhooks_for_event

        webhooks_for_event(event=event, ticket=ticket)
    assert len(receiver.requests) == 1


def _breaching_ticket(handler):
    calendar = BusinessCalendar.objects.create(
        name="全天",
        weekly_windows={d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
        follows_china_holidays=False,
    )
    queue = factories.QueueFactory()
    factories.add_members(queue, handler)
    OlaPolicy.objects.create(
        queue=queue, calendar=calendar, response_minutes={"L3": 10}, resolution_minutes={}
    )
    with time_machine.travel(T0, tick=False):
        return factories.make_ticket(
            actor=factories.requester(), entry=factories.catalog_leaf(queue), priority="L3"
        )


def test_ola_alert_reaches_wecom_after_token_expiry(
    db,
    wecom_server,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    handler = factories.handler(email="", wecom_userid="wangwu")
    ticket = _breaching_ticket(handler)
    OutboxMessage.objects.all().delete()  # the "dispatched to you" copy; OLA alerts only here
    wecom_server.reset()
    # a token is cached, then expires on WeCom's side: the client refreshes on 42001
    from andon.wecom.client import WeComClient

    WeComClient().access_token()
    wecom_server.expire_tokens()
    at = T0 + timedelta(minutes=11)
    with time_machine.travel(at, tick=False), django_capture_on_commit_callbacks(execute=True):
        engine.sweep(now=at)  # warning
        engine.sweep(now=at)  # breach
    cards = wecom_server.messages_to("wangwu")
    assert len(cards) == 2  # the warning and the breach, once each
    assert cards[-1]["textcard"]["url"].endswith(f"/tickets/{ticket.pk}/")
    assert "超时" in cards[-1]["textcard"]["title"]
    assert OutboxMessage.objects.filter(channel="wecom", state="sent").count() == 2
    # another sweep sends nothing new
    with time_machine.travel(at, tick=False), django_capture_on_commit_callbacks(execute=True):
        engine.sweep(now=at)
        outbox.sweep_outbox()
    assert len(wecom_server.messages_to("wangwu")) == 2


def test_ola_alert_is_retried_after_wecom_rate_limit(
    db,
    wecom_server,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    handler = factories.handler(email="", wecom_userid="wangwu")
    _breaching_ticket(handler)
    OutboxMessage.objects.all().delete()  # the "dispatched to you" copy; OLA alerts only here
    wecom_server.reset()
    wecom_server.rate_limit(times=1, errcode=45009)
    at = T0 + timedelta(minutes=8, seconds=30)
    with time_machine.travel(at, tick=False), django_capture_on_commit_callbacks(execute=True):
        engine.sweep(now=at)  # the warning only
    message = OutboxMessage.objects.get(channel="wecom")
    assert message.state == "pending" and "45009" in message.last_error
    assert wecom_server.messages_to("wangwu") == []
    with time_machine.travel(message.next_attempt_at + timedelta(seconds=1), tick=False):
        outbox.sweep_outbox()
    message.refresh_from_db()
    assert message.state == "sent" and message.attempts == 2
    assert list(message.attempt_log.order_by("id").values_list("ok", flat=True)) == [False, True]
    assert len(wecom_server.messages_to("wangwu")) == 1
