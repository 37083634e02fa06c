"""Writes for the WeCom integration: the callback pipeline and the settings page."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from andon.audit.services import record_audit
from andon.wecom import config as wecom_config
from andon.wecom import handlers, worker
from andon.wecom.models import CallbackEvent, WeComSettings

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
BACKOFF_BASE_SECONDS = 10
BACKOFF_CAP_SECONDS = 3600


def _text(value: Any, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 3 ** (attempts - 1)))


# --- the callback pipeline ------------------------------------------------------------------------


def record_callback_event(*, message: dict[str, Any], raw_xml: str) -> tuple[CallbackEvent, bool]:
    """Store a verified, decrypted callback and have the worker process it (after commit); a
    re-delivery of the same message is stored once. Returns the event and whether it is new."""
    dedupe_key = hashlib.sha256(raw_xml.encode("utf-8")).hexdigest()
    with transaction.atomic():
        event, created = CallbackEvent.objects.get_or_create(
            dedupe_key=dedupe_key,
            defaults={
                "received_at": timezone.now(),
                "msg_type": _text(message.get("MsgType"), 64),
                "event": _text(message.get("Event"), 64),
                "change_type": _text(message.get("ChangeType"), 64),
                "from_user": _text(message.get("FromUserName"), 128),
                "agent_id": _text(message.get("AgentID"), 32),
                "payload": message,
                "object_key": handlers.object_key_for(message),
            },
        )
        if created:
            transaction.on_commit(lambda: _schedule(event.object_key))
    return event, created


def _schedule(object_key: str, eta: datetime | None = None) -> None:
    worker.queue_callbacks(object_key, eta)


def _head(object_key: str) -> CallbackEvent | None:
    """The oldest event about this object still to be processed (dead ones do not block)."""
    return (
        CallbackEvent.objects.filter(object_key=object_key, state=CallbackEvent.State.PENDING)
        .order_by("id")
        .first()
    )


def process_callbacks(*, object_key: str, now: datetime | None = None, limit: int = 100) -> int:
    """Process this object's pending events in arrival order, each exactly once. Stops at an
    event that is waiting for its retry (later ones wait behind it). Returns how many ran."""
    processed = 0
    while processed < limit:
        now_at = now or timezone.now()
        head = _head(object_key)
        if head is None or (head.next_attempt_at and head.next_attempt_at > now_at):
            return processed
        outcome = _process_one(head, now_at)
        if outcome != "done":
            return processed
        processed += 1
    return processed


def _process_one(head: CallbackEvent, now: datetime) -> str:
    handler = handlers.handler_for(head)
    attempts_before = head.attempts
    try:
        with transaction.atomic():
            rows = CallbackEvent.objects.filter(
                pk=head.pk, state=CallbackEvent.State.PENDING, attempts=attempts_before
            )
            if connection.features.has_select_for_update_skip_locked:
                rows = rows.select_for_update(skip_locked=True)
            # The claim: a second worker holding the same row read finds nothing to update.
            if not rows.update(attempts=F("attempts") + 1):
                return "busy"
            if handler is not None:
                head.refresh_from_db()
                handler(head)
            CallbackEvent.objects.filter(pk=head.pk).update(
                state=CallbackEvent.State.DONE if handler else CallbackEvent.State.IGNORED,
                processed_at=timezone.now(),
                next_attempt_at=None,
                last_error="",
            )
        return "done"
    except Exception as exc:  # any handler failure is retried; the writes rolled back
        attempts = attempts_before + 1
        dead = attempts >= MAX_ATTEMPTS
        retry_at = None if dead else now + backoff(attempts)
        CallbackEvent.objects.filter(pk=head.pk).update(
            attempts=attempts,
            state=CallbackEvent.State.DEAD if dead else CallbackEvent.State.PENDING,
            next_attempt_at=retry_at,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        log.warning(
            "WeCom callback %s (%s) failed, attempt %s%s: %s",
            head.pk,
            head.object_key,
            attempts,
            " — dead" if dead else "",
            exc,
        )
        if retry_at is not None:
            transaction.on_commit(lambda: _schedule(head.object_key, retry_at))
        return "failed"


def sweep_callbacks(*, now: datetime | None = None) -> int:
    """Process whatever a lost task left pending (the worker's periodic safety net)."""
    now = now or timezone.now()
    keys = (
        CallbackEvent.objects.filter(state=CallbackEvent.State.PENDING)
        .exclude(next_attempt_at__gt=now)
        .values_list("object_key", flat=True)
        .distinct()[:1000]
    )
    return sum(process_callbacks(object_key=key, now=now) for key in list(keys))


@transaction.atomic
def retry_dead_callback(*, actor, event_id: int) -> CallbackEvent:
    """A dead event goes back to the queue with fresh attempts (the retry button)."""
    event = CallbackEvent.objects.select_for_update().get(pk=event_id)
    if event.state == CallbackEvent.State.DEAD:
        event.state = CallbackEvent.State.PENDING
        event.attempts = 0
        event.next_attempt_at = None
        event.save(update_fields=["state", "attempts", "next_attempt_at"])
        record_audit(actor=actor, action="retry", obj=event, changes={"state": ["dead", "pending"]})
        transaction.on_commit(lambda: _schedule(event.object_key))
    return event


def purge_processed_callbacks(*, older_than: timedelta, now: datetime | None = None) -> int:
    """Empty the payload of events processed longer ago than `older_than`; their rows (and so
    their dedupe keys) stay, so a very late re-delivery is still recognised."""
    now = now or timezone.now()
    return CallbackEvent.objects.filter(
        state__in=[CallbackEvent.State.DONE, CallbackEvent.State.IGNORED],
        processed_at__lt=now - older_than,
        purged_at__isnull=True,
    ).update(payload={}, purged_at=now)


# --- the settings page ---------------------------------------------------------------------------


@transaction.atomic
def save_settings(*, actor, data: dict[str, Any]) -> WeComSettings:
    """Store what the page's form cleaned. Secrets: a non-empty value replaces the stored one,
    `clear_<name>` removes it; nothing secret goes into the audit log."""
    row = WeComSettings.objects.select_for_update().order_by("pk").first() or WeComSettings()
    changes: dict[str, list] = {}
    for name in ("corp_id", "agent_id", "wecom_owns_org_chart"):
        if name in data and getattr(row, name) != data[name]:
            changes[name] = [getattr(row, name), data[name]]
            setattr(row, name, data[name])
    for name in wecom_config.SECRET_FIELDS:
        field = f"{name}_encrypted"
        if data.get(f"clear_{name}"):
            if getattr(row, field):
                setattr(row, field, "")
                changes[name] = ["***", None]
        elif data.get(name):
            changes[name] = ["***" if getattr(row, field) else None, "***"]
            setattr(row, field, wecom_config.encrypt_secret(data[name]))
    row.save()
    if changes:
        record_audit(actor=actor, action="update", obj=row, changes=changes)
    return row
