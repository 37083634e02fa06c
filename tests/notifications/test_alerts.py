"""Alerts: an event that names its recipients and a delivery key (what the OLA engine records)
is delivered by notifications, the one writer of notification and outbox rows."""

from andon.notifications.models import Notification, OutboxMessage, Webhook
from andon.tickets.events import record_event
from tests import factories


def alert(ticket, users, *, key="ola:7:1", kind="ola_breached"):
    return record_event(
        ticket=ticket,
        kind=kind,
        actor=None,
        after={
            "metric": "response",
            "level": 1,
            "recipients": [{"id": u.pk, "name": u.name} for u in users],
            "alert": key,
        },
        note="响应时长已超时",
    )


def test_an_alert_reaches_exactly_its_recipients_on_their_channels(entry, handlers, requester):
    # Written straight to the table, not through the service that invalidates the cached list of
    # active webhooks: so before the first event reads that list.
    Webhook.objects.create(name="监控", url="http://127.0.0.1:9/", secret="k", events=[])
    ticket = factories.make_ticket(actor=requester, entry=entry)
    boss = factories.handler(email="boss@example.com")
    before = set(Notification.objects.values_list("pk", flat=True))
    event = alert(ticket, [boss])
    fresh = Notification.objects.exclude(pk__in=before)
    assert [(n.recipient, n.kind, n.event) for n in fresh] == [(boss, "ola_breached", event)]
    assert fresh.get().title == f"{ticket.number} 响应时长已超时"
    keys = set(OutboxMessage.objects.filter(key__contains="ola:").values_list("key", flat=True))
    hook = Webhook.objects.get()
    assert keys == {f"ola:7:1:{boss.pk}:email", f"webhook:{hook.pk}:ola:7:1"}
    payload = OutboxMessage.objects.get(channel="webhook", key__contains="ola:").payload
    assert payload["kind"] == "ola.breached" and payload["recipients"] == [boss.username]
    assert payload["level"] == 1 and payload["metric"] == "response"
    # The requester and the assignee hear nothing from an alert naming someone else.
    assert not fresh.filter(recipient__in=[requester, ticket.assignee]).exists()


def test_a_repeated_alert_key_never_sends_twice(entry, handlers, requester):
    ticket = factories.make_ticket(actor=requester, entry=entry)
    boss = factories.handler(email="boss@example.com")
    alert(ticket, [boss])
    alert(ticket, [boss])  # a retried step records again under the same key
    assert OutboxMessage.objects.filter(key=f"ola:7:1:{boss.pk}:email").count() == 1
