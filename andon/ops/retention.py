"""Retention: the tables that grow forever are pruned daily, each by its own setting (days; 0
keeps everything). Every run logs what it removed, table by table.

Kept on purpose: outbox messages (their unique keys stop a retried step from alerting twice),
ticket events and alerts (the ticket's history), and the dedupe keys of WeCom callbacks (their
payload goes, the row stays, so a very late re-delivery is still recognised)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from andon.accounts.models import ImportJob
from andon.notifications.models import DeliveryAttempt, Notification
from andon.ops.models import WorkerHeartbeat
from andon.portal.models import MagicLink
from andon.wecom.models import CallbackEvent
from andon.wecom.services import purge_processed_callbacks

log = logging.getLogger(__name__)

BATCH = 2000  # rows per delete statement: short transactions, no long table locks


@dataclass(frozen=True)
class Rule:
    name: str  # shown in logs and by `andon prune`
    setting: str  # days, from settings.ANDON_RETENTION_DAYS
    old: Callable[[datetime], models.QuerySet]  # what is past its time, given the cut-off
    purge: Callable[[datetime, datetime], int] | None = None  # instead of deleting rows


def _purge_callbacks(cutoff: datetime, now: datetime) -> int:
    return purge_processed_callbacks(older_than=now - cutoff, now=now)


RULES = (
    Rule(
        "delivery_attempts",
        "delivery_attempts",
        lambda cutoff: DeliveryAttempt.objects.filter(at__lt=cutoff),
    ),
    Rule(
        "callback_payloads",
        "callback_events",
        lambda cutoff: CallbackEvent.objects.filter(
            state__in=[CallbackEvent.State.DONE, CallbackEvent.State.IGNORED],
            processed_at__lt=cutoff,
            purged_at__isnull=True,
        ),
        purge=_purge_callbacks,
    ),
    Rule(
        "read_notifications",
        "read_notifications",
        lambda cutoff: Notification.objects.filter(read_at__lt=cutoff),
    ),
    Rule(
        "finished_import_jobs",
        "import_jobs",
        lambda cutoff: ImportJob.objects.filter(
            models.Q(
                state__in=[ImportJob.State.DONE, ImportJob.State.FAILED], finished_at__lt=cutoff
            )
            # A preview nobody confirmed is finished too (its rows hold people's data).
            | models.Q(state=ImportJob.State.PREVIEW, created_at__lt=cutoff)
        ),
    ),
    Rule(
        "expired_portal_links",
        "portal_links",
        lambda cutoff: MagicLink.objects.filter(expires_at__lt=cutoff),
    ),
    Rule(
        "lost_worker_heartbeats",
        "worker_heartbeats",
        lambda cutoff: WorkerHeartbeat.objects.filter(seen_at__lt=cutoff),
    ),
)


def _delete_in_batches(queryset: models.QuerySet) -> int:
    total = 0
    while True:
        with transaction.atomic():
            ids = list(queryset.values_list("pk", flat=True)[:BATCH])
            if not ids:
                return total
            queryset.model.objects.filter(pk__in=ids).delete()
        total += len(ids)


def prune(*, now: datetime | None = None, dry_run: bool = False) -> dict[str, int]:
    """Remove (or, for callbacks, empty) what is older than each table's retention; returns
    {rule: rows} and logs one line per rule."""
    now = now or timezone.now()
    counts: dict[str, int] = {}
    for rule in RULES:
        days = settings.ANDON_RETENTION_DAYS.get(rule.setting, 0)
        if not days:
            continue  # 0: keep forever
        cutoff = now - timedelta(days=days)
        if dry_run:
            count = rule.old(cutoff).count()
        elif rule.purge is not None:
            count = rule.purge(cutoff, now)
        else:
            count = _delete_in_batches(rule.old(cutoff))
        counts[rule.name] = count
        log.info(
            "retention: %s %d %s older than %d days",
            "would prune" if dry_run else "pruned",
            count,
            rule.name,
            days,
            extra={"table": rule.name, "count": count, "days": days, "dry_run": dry_run},
        )
    return counts
