"""A send never holds a transaction: while a webhook receiver or an SMTP server stalls in the
middle of a delivery, ticket writes go on (SQLite: no write lock is held; PostgreSQL: no
connection sits idle in a transaction), and every network operation has a timeout."""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from andon.notifications import outbox
from andon.notifications.models import Channel, OutboxMessage, Webhook
from andon.tickets import services
from tests import factories
from tests.tarpits import TarpitSmtp, TarpitWebhook

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def tarpit_webhook():
    server = TarpitWebhook().start()
    yield server
    server.stop()


@pytest.fixture
def tarpit_smtp(settings):
    server = TarpitSmtp().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield server
    server.stop()


class Worker(threading.Thread):
    """Runs `work` on its own database connection, as a worker thread or a web request would."""

    def __init__(self, work):
        super().__init__(daemon=True)
        self.work, self.result, self.error = work, None, None

    def run(self):
        try:
            self.result = self.work()
        except BaseException as exc:  # reported by the test
            self.error = exc
        finally:
            connection.close()


def _message(channel, *, webhook=None):
    recipient = factories.handler(email="far-away@example.com")
    return OutboxMessage.objects.create(
        key=f"test:{channel}",
        channel=channel,
        recipient=recipient if channel == Channel.EMAIL else None,
        webhook=webhook,
        subject="AD-1 已超时" if channel == Channel.EMAIL else "tarpit",
        body="请尽快处理",
        payload={"kind": "tarpit"},
        next_attempt_at=timezone.now(),
        created_at=timezone.now(),
    )


def _open_transactions_elsewhere() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT state, query FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%%'"
        )
        return [f"{state}: {query}" for state, query in cursor.fetchall()]


@pytest.mark.parametrize("channel", [Channel.WEBHOOK, Channel.EMAIL])
def test_ticket_writes_are_not_held_up_by_a_stalled_send(
    channel, settings, tarpit_webhook, tarpit_smtp
):
    settings.WECOM_CORP_ID = ""
    settings.ANDON_WEBHOOK_ALLOW_PRIVATE = True  # the tarpit is on loopback
    settings.EMAIL_TIMEOUT = settings.ANDON_WEBHOOK_TIMEOUT = 60  # the tarpit decides, not us
    tarpit = tarpit_webhook if channel == Channel.WEBHOOK else tarpit_smtp
    # Nobody on the ticket has an address and the webhook only wants "tarpit" events, so the
    # comment below adds no delivery of its own.
    hook = Webhook.objects.create(name="慢", url=tarpit_webhook.url, secret="k", events=["tarpit"])
    queue = factories.QueueFactory()
    handler = factories.handler(email="")
    factories.add_members(queue, handler)
    requester = factories.requester(email="")
    ticket = factories.make_ticket(actor=requester, entry=factories.catalog_leaf(queue))
    message = _message(channel, webhook=hook if channel == Channel.WEBHOOK else None)

    sender = Worker(lambda: outbox.deliver(message.pk))
    sender.start()
    try:
        assert tarpit.arrived.wait(15), "the send never reached the tarpit"
        writer = Worker(
            lambda: services.add_comment(ticket_id=ticket.pk, actor=requester, body="还在等")
        )
        writer.start()
        writer.join(timeout=40)
        assert not writer.is_alive(), "the comment is still waiting"
        assert writer.error is None, writer.error
        # The send was still in progress when the write finished.
        assert tarpit.holding
        assert ticket.events.filter(kind="commented").count() == 1
        if connection.vendor == "postgresql":
            assert _open_transactions_elsewhere() == []
    finally:
        tarpit.release.set()
        sender.join(timeout=30)
    assert sender.error is None, sender.error
    assert sender.result == OutboxMessage.State.SENT
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.SENT and message.attempts == 1


@pytest.mark.parametrize("channel", [Channel.WEBHOOK, Channel.EMAIL])
def test_a_stalled_far_end_times_out_and_is_retried_later(
    channel, settings, tarpit_webhook, tarpit_smtp
):
    settings.ANDON_WEBHOOK_ALLOW_PRIVATE = True
    settings.EMAIL_TIMEOUT = settings.ANDON_WEBHOOK_TIMEOUT = 1
    hook = Webhook.objects.create(name="慢", url=tarpit_webhook.url, secret="k")
    message = _message(channel, webhook=hook if channel == Channel.WEBHOOK else None)
    sender = Worker(lambda: outbox.deliver(message.pk))
    sender.start()
    sender.join(timeout=30)
    assert not sender.is_alive(), "the send has no timeout"
    assert sender.error is None, sender.error
    assert sender.result == OutboxMessage.State.PENDING
    message.refresh_from_db()
    assert message.attempts == 1 and "timed out" in message.last_error.lower()
    assert message.next_attempt_at > timezone.now()


def test_a_claimed_message_is_left_alone_until_its_lease_runs_out(db, settings):
    settings.ANDON_OUTBOX_LEASE_SECONDS = 120
    message = _message(Channel.EMAIL)
    claimed, outcome = outbox._claim(message.pk, timezone.now())
    assert outcome == "claimed" and claimed.attempts == 1
    # Another worker, or the sweeper, while the first one is still sending:
    assert outbox.deliver(message.pk) == "skipped"
    assert outbox.sweep_outbox() == 0
    # The first worker's result is recorded against its claim.
    assert (
        outbox._record(claimed, at=timezone.now(), ok=True, detail="sent", duration_ms=5)
        == OutboxMessage.State.SENT
    )
