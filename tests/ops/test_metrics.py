"""/metrics: off without a token, 401 without the right bearer token, and the desk's numbers."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from andon.notifications.models import OutboxMessage
from andon.ola.models import OlaTimer
from andon.ops import services
from andon.tickets import services as ticket_services
from andon.wecom.models import CallbackEvent
from tests import factories

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-for-tests-0123456789"


def scrape(**headers):
    return Client().get("/metrics", **headers)


def samples(response) -> dict:
    found = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_off_without_a_token_and_closed_without_the_right_one(settings):
    settings.ANDON_METRICS_TOKEN = ""
    assert scrape().status_code == 404
    settings.ANDON_METRICS_TOKEN = TOKEN
    assert scrape().status_code == 401
    assert scrape(HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert scrape(HTTP_AUTHORIZATION=f"Token {TOKEN}").status_code == 401
    assert scrape(HTTP_AUTHORIZATION=f"Bearer {TOKEN}", HTTP_HOST="10.0.0.9").status_code == 200
    assert Client().post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 405


def test_the_desks_numbers(settings, queue, entry, requester, handlers):
    settings.ANDON_METRICS_TOKEN = TOKEN
    tickets = [factories.make_ticket(actor=requester, entry=entry) for _ in range(3)]
    handler = handlers[0]
    ticket = tickets[0]
    if ticket.assignee_id != handler.pk:
        ticket_services.claim_ticket(ticket_id=ticket.pk, actor=handler)
    ticket_services.resolve_ticket(ticket_id=ticket.pk, actor=handler, resolution="重启解决")
    now = timezone.now()
    OutboxMessage.objects.all().delete()
    for n, (channel, state) in enumerate(
        [("email", "pending"), ("email", "pending"), ("webhook", "dead"), ("wecom", "sent")]
    ):
        OutboxMessage.objects.create(
            key=f"m{n}",
            channel=channel,
            subject="s",
            state=state,
            next_attempt_at=now,
            created_at=now,
        )
    for n, state in enumerate(["pending", "dead", "dead", "done"]):
        CallbackEvent.objects.create(received_at=now, dedupe_key=f"e{n}", state=state)
    OlaTimer.objects.create(
        ticket=ticket,
        queue=queue,
        metric="response",
        policy={},
        target_seconds=60,
        started_at=now,
        next_action_at=now - timedelta(seconds=5),
        created_at=now,
    )
    OlaTimer.objects.create(
        ticket=ticket,
        queue=queue,
        metric="resolution",
        policy={},
        target_seconds=60,
        started_at=now,
        next_action_at=now - timedelta(minutes=5),
        created_at=now,
    )
    services.record_heartbeat(
        name="w:1",
        hostname="w",
        pid=1,
        periodic=True,
        started_at=now,
        now=now - timedelta(seconds=7),
    )
    Client().get("/tickets/")  # one request to time (a redirect to the login page)
    found = samples(scrape(HTTP_AUTHORIZATION=f"Bearer {TOKEN}"))
    assert found[("andon_tickets_created_total", ())] == 3
    assert found[("andon_tickets_resolved_total", ())] == 1
    assert found[("andon_tickets_open", ())] == 3  # resolved = 待确认, not finished yet
    assert found[("andon_outbox_messages", (("channel", "email"), ("state", "pending")))] == 2
    assert found[("andon_outbox_messages", (("channel", "webhook"), ("state", "dead")))] == 1
    assert found[("andon_outbox_messages", (("channel", "wecom"), ("state", "pending")))] == 0
    assert found[("andon_wecom_callback_events", (("state", "dead"),))] == 2
    assert found[("andon_wecom_callback_events", (("state", "pending"),))] == 1
    assert found[("andon_ola_steps_due", ())] == 2
    assert found[("andon_ola_steps_late", ())] == 1
    assert 6 < found[("andon_worker_heartbeat_age_seconds", ())] < 60
    assert found[("andon_workers_alive", ())] == 1
    latency = [
        key
        for key in found
        if key[0] == "andon_http_request_duration_seconds_count"
        and ("view", "tickets:list") in key[1]
    ]
    assert latency, [k for k in found if k[0].startswith("andon_http")]
