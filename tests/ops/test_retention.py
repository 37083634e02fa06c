"""Daily retention: each table pruned by its own setting, logged with counts; what must stay
(outbox rows, callback dedupe keys, unread notifications, running jobs) stays."""

import logging
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from andon.accounts.models import ImportJob
from andon.customers.models import Contact
from andon.notifications.models import DeliveryAttempt, Notification, OutboxMessage
from andon.ops import retention, services
from andon.ops.models import WorkerHeartbeat
from andon.portal.models import MagicLink
from andon.wecom.models import CallbackEvent
from tests import factories

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def ago(days: float):
    return NOW - timedelta(days=days)


@pytest.fixture
def desk():
    user = factories.UserFactory()
    message = OutboxMessage.objects.create(
        key="k1",
        channel="email",
        recipient=user,
        subject="s",
        next_attempt_at=ago(200),
        created_at=ago(200),
        state=OutboxMessage.State.SENT,
    )
    for days in (200, 91, 89, 1):
        DeliveryAttempt.objects.create(message=message, at=ago(days), ok=True)
    for n, (state, processed) in enumerate(
        [("done", 40), ("ignored", 31), ("done", 29), ("dead", 60), ("pending", None)]
    ):
        CallbackEvent.objects.create(
            received_at=ago(100),
            payload={"Event": "change_contact", "n": n},
            dedupe_key=f"d{n}",
            state=state,
            processed_at=ago(processed) if processed is not None else None,
        )
    for read in (400, 181, 179, None):
        Notification.objects.create(
            recipient=user,
            kind="k",
            title="t",
            created_at=ago(500),
            read_at=ago(read) if read is not None else None,
        )
    for state, finished, created in (
        ("done", 31, 40),
        ("failed", 45, 50),
        ("done", 2, 3),
        ("running", None, 90),
        ("preview", None, 31),
        ("preview", None, 1),
    ):
        ImportJob.objects.create(
            kind="people",
            state=state,
            file_name="p.csv",
            created_by=user,
            created_at=ago(created),
            finished_at=ago(finished) if finished else None,
        )
    contact = Contact.objects.create(
        name="客户", email="c@example.cn", created_at=NOW, updated_at=NOW
    )
    for n, expired in enumerate((30, 8, 6, -1)):
        MagicLink.objects.create(
            token_hash=f"h{n}",
            contact=contact,
            email=contact.email,
            created_at=ago(expired + 1),
            expires_at=ago(expired),
        )
    services.record_heartbeat(
        name="gone:1", hostname="gone", pid=1, periodic=True, started_at=ago(5), now=ago(2)
    )
    services.record_heartbeat(
        name="here:2", hostname="here", pid=2, periodic=True, started_at=ago(1), now=NOW
    )
    return user


def test_each_table_is_pruned_by_its_setting_and_logged(desk, caplog):
    caplog.set_level(logging.INFO, logger="andon.ops.retention")
    counts = retention.prune(now=NOW)
    assert counts == {
        "delivery_attempts": 2,
        "callback_payloads": 2,
        "read_notifications": 2,
        "finished_import_jobs": 3,
        "expired_portal_links": 2,
        "lost_worker_heartbeats": 1,
    }
    assert DeliveryAttempt.objects.count() == 2
    assert OutboxMessage.objects.count() == 1  # its key keeps a retried step from re-sending
    # Callback rows all stay (dedupe keys); only processed ones past 30 days lose the payload.
    assert CallbackEvent.objects.count() == 5
    assert set(CallbackEvent.objects.filter(payload={}).values_list("dedupe_key", flat=True)) == {
        "d0",
        "d1",
    }
    assert Notification.objects.filter(read_at__isnull=True).count() == 1
    assert Notification.objects.count() == 2
    assert sorted(ImportJob.objects.values_list("state", flat=True)) == [
        "done",
        "preview",
        "running",
    ]
    assert MagicLink.objects.count() == 2
    assert list(WorkerHeartbeat.objects.values_list("name", flat=True)) == ["here:2"]
    lines = [r.getMessage() for r in caplog.records if r.name == "andon.ops.retention"]
    assert "retention: pruned 2 delivery_attempts older than 90 days" in lines
    assert "retention: pruned 3 finished_import_jobs older than 30 days" in lines
    assert len(lines) == 6
    # A second run finds nothing more.
    assert set(retention.prune(now=NOW).values()) == {0}


def test_zero_keeps_a_table_forever_and_dry_run_changes_nothing(desk, settings):
    settings.ANDON_RETENTION_DAYS = {**settings.ANDON_RETENTION_DAYS, "delivery_attempts": 0}
    counts = retention.prune(now=NOW, dry_run=True)
    assert "delivery_attempts" not in counts
    assert counts["read_notifications"] == 2
    assert Notification.objects.count() == 4 and DeliveryAttempt.objects.count() == 4
    retention.prune(now=NOW)
    assert DeliveryAttempt.objects.count() == 4


def test_batches_delete_everything_past_its_time(desk, monkeypatch):
    monkeypatch.setattr(retention, "BATCH", 1)
    assert retention.prune(now=NOW)["finished_import_jobs"] == 3


def test_the_prune_command(desk, capsys):
    call_command("prune", "--dry-run")
    out = capsys.readouterr().out
    assert "would prune 2 read_notifications" in out
    call_command("prune")
    assert "pruned 2 read_notifications" in capsys.readouterr().out
    assert Notification.objects.count() == 2


def test_the_daily_job_is_registered():
    from huey.contrib.djhuey import HUEY

    from andon.ops.tasks import retention_task

    assert retention_task.task_class in HUEY._registry._periodic_tasks
