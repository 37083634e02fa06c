"""Bulk actions on tickets (批量操作). A job validates its parameters once, then runs each ticket
through the same service a single click would call — so the workflow table, the permission
checks, the activity log and the notifications are exactly those of one ticket. Each ticket
changes in its own transaction together with its outcome row: it is never half-changed, and a
runner that dies leaves a job the next runner resumes without redoing a ticket.

Small jobs (up to `INLINE_MAX` tickets) run in the request; larger ones in the worker, with the
job row as the progress the page polls."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from andon.accounts.permissions import has_perm
from andon.bulk.models import BulkAction, BulkJob, BulkJobItem, JobState
from andon.core.errors import PermissionDenied, ServiceError, ValidationFailed
from andon.core.validation import parse_id
from andon.queues.models import Queue
from andon.tags import services as tag_services
from andon.tickets import services as ticket_services
from andon.tickets.models import Priority, format_number

log = logging.getLogger(__name__)
User = get_user_model()

INLINE_MAX = 50
MAX_TICKETS = 5000
NOTE_MAX = 2000
# How often a runner writes its counts and heartbeat, and how stale a heartbeat must be before
# the sweeper assumes its runner died.
PROGRESS_EVERY = 20
STALE_AFTER = timedelta(minutes=2)

_scheduler: Callable[[int], None] | None = None


def set_job_scheduler(schedule: Callable[[int], None] | None) -> None:
    """The port to the worker: `schedule(job_id)` queues a runner. Set by this app's ready()."""
    global _scheduler
    _scheduler = schedule


def may_bulk(user) -> bool:
    """Bulk actions are a handler's tool; what each ticket allows is checked per ticket."""
    return bool(getattr(user, "is_active", False)) and (
        has_perm(user, "tickets.handle") or has_perm(user, "tickets.manage")
    )


# --- parameters ---------------------------------------------------------------------------------


def _note(params: dict) -> str:
    note = params.get("note") or ""
    if not isinstance(note, str):
        raise ValidationFailed(_("说明应为文本"), errors={"note": [_("应为文本")]})
    note = note.strip()
    if len(note) > NOTE_MAX:
        message = _("说明不能超过 %s 个字符") % NOTE_MAX
        raise ValidationFailed(message, errors={"note": [message]})
    return note


def clean_params(action: str, params: dict) -> dict:
    """The action's parameters, checked once for the whole job (a bad one is a 400 before any
    ticket changes). The services check them again per ticket."""
    if action not in BulkAction.values:
        raise ValidationFailed(
            _("不支持的批量操作"), errors={"action": [_("可选：%s") % ", ".join(BulkAction.values)]}
        )
    params = params or {}
    if action == BulkAction.CLAIM:
        return {}
    if action == BulkAction.PRIORITY:
        priority = params.get("priority")
        if priority not in Priority.values:
            raise ValidationFailed(
                _("请选择优先级"), errors={"priority": [_("应为 L1、L2、L3 或 L4")]}
            )
        return {"priority": priority}
    if action == BulkAction.TAG:
        return {"tags": tag_services.normalize_names(params.get("tags") or [])}
    if action == BulkAction.TRANSFER:
        queue_id = parse_id(params.get("queue")) if params.get("queue") not in (None, "") else None
        assignee_id = (
            parse_id(params.get("assignee")) if params.get("assignee") not in (None, "") else None
        )
        if params.get("queue") not in (None, "") and queue_id is None:
            raise ValidationFailed(_("队列不存在"), errors={"queue": [_("队列不存在")]})
        if params.get("assignee") not in (None, "") and assignee_id is None:
            raise ValidationFailed(_("处理人不存在"), errors={"assignee": [_("处理人不存在")]})
        if queue_id is None and assignee_id is None:
            raise ValidationFailed(
                _("请选择要转给的队列或处理人"), errors={"queue": [_("队列或处理人至少选一个")]}
            )
        if queue_id is not None and not Queue.objects.filter(pk=queue_id, is_enabled=True).exists():
            raise ValidationFailed(
                _("队列不存在或已停用"), errors={"queue": [_("队列不存在或已停用")]}
            )
        if (
            assignee_id is not None
            and not User.objects.filter(pk=assignee_id, is_active=True).exists()
        ):
            raise ValidationFailed(
                _("处理人不存在或已停用"), errors={"assignee": [_("处理人不存在或已停用")]}
            )
        return {"queue": queue_id, "assignee": assignee_id, "note": _note(params)}
    return {"note": _note(params)}  # close, cancel


def clean_ticket_ids(values) -> list[int]:
    if not isinstance(values, list | tuple):
        raise ValidationFailed(_("请选择工单"), errors={"tickets": [_("应为工单 id 列表")]})
    ids = [parse_id(value) for value in values]
    if any(pk is None for pk in ids):
        raise ValidationFailed(_("工单 id 格式不正确"), errors={"tickets": [_("应为正整数")]})
    ids = list(dict.fromkeys(ids))
    if not ids:
        raise ValidationFailed(_("请至少选择一个工单"), errors={"tickets": [_("此项必填")]})
    if len(ids) > MAX_TICKETS:
        message = _("一次最多批量处理 %s 个工单") % MAX_TICKETS
        raise ValidationFailed(message, errors={"tickets": [message]})
    return ids


# --- one ticket -----------------------------------------------------------------------------


def _apply(action: str, params: dict, *, ticket_id: int, actor) -> None:
    if action == BulkAction.CLAIM:
        ticket_services.claim_ticket(ticket_id=ticket_id, actor=actor)
    elif action == BulkAction.TRANSFER:
        ticket_services.transfer_ticket(
            ticket_id=ticket_id,
            actor=actor,
            queue_id=params.get("queue"),
            assignee_id=params.get("assignee"),
            note=params.get("note", ""),
        )
    elif action == BulkAction.PRIORITY:
        ticket_services.update_ticket(ticket_id=ticket_id, actor=actor, priority=params["priority"])
    elif action == BulkAction.TAG:
        tag_services.add_tags(ticket_id=ticket_id, actor=actor, names=params["tags"])
    elif action == BulkAction.CLOSE:
        ticket_services.close_ticket(ticket_id=ticket_id, actor=actor, note=params.get("note", ""))
    elif action == BulkAction.CANCEL:
        ticket_services.cancel_ticket(
            ticket_id=ticket_id, actor=actor, reason=params.get("note", "")
        )
    else:  # clean_params let it through: a programming error, refused per ticket
        raise ValidationFailed(_("不支持的批量操作"))


def _run_one(job: BulkJob, ticket_id: int, actor) -> bool:
    try:
        with transaction.atomic():
            _apply(job.action, job.params, ticket_id=ticket_id, actor=actor)
            BulkJobItem.objects.create(job=job, ticket_id=ticket_id, ok=True)
        return True
    except ServiceError as exc:
        reason = exc.detail
    except Exception:
        log.exception("bulk job %s: ticket %s failed", job.pk, ticket_id)
        reason = _("处理时出错，工单未修改")
    BulkJobItem.objects.get_or_create(
        job=job, ticket_id=ticket_id, defaults={"ok": False, "reason": reason[:500]}
    )
    return False


# --- jobs -----------------------------------------------------------------------------------


def start_job(*, actor, action: str, ticket_ids, params: dict | None = None) -> BulkJob:
    """Validate and create the job; run it here when it is small, else queue it for the worker
    (after this transaction commits)."""
    if not may_bulk(actor):
        raise PermissionDenied(_("没有批量处理工单的权限"))
    cleaned = clean_params(action, params or {})
    ids = clean_ticket_ids(ticket_ids)
    job = BulkJob.objects.create(
        actor=actor,
        action=action,
        params=cleaned,
        ticket_ids=ids,
        total=len(ids),
        created_at=timezone.now(),
    )
    if len(ids) <= INLINE_MAX:
        run_job(job_id=job.pk)
        job.refresh_from_db()
    else:
        job_id = job.pk
        transaction.on_commit(lambda: _schedule(job_id))
    return job


def _schedule(job_id: int) -> None:
    if _scheduler is None:
        return  # the sweeper starts it
    try:
        _scheduler(job_id)
    except Exception:  # the queue being down must not fail a request that committed
        log.exception("could not queue bulk job %s; the sweeper will", job_id)


def _take(job_id: int, now) -> BulkJob | None:
    """Mark the job as ours to run, unless it is finished or another runner is alive."""
    with transaction.atomic():
        job = BulkJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.state == JobState.FINISHED:
            return None
        if (
            job.state == JobState.RUNNING
            and job.heartbeat_at is not None
            and now - job.heartbeat_at < STALE_AFTER
        ):
            return None
        job.state = JobState.RUNNING
        job.started_at = job.started_at or now
        job.heartbeat_at = now
        job.save(update_fields=["state", "started_at", "heartbeat_at"])
        return job


def _write_counts(job: BulkJob, *, finished: bool = False) -> None:
    now = timezone.now()
    done = BulkJobItem.objects.filter(job=job, ok=True).count()
    refused = BulkJobItem.objects.filter(job=job, ok=False).count()
    changes = {"done_count": done, "refused_count": refused, "heartbeat_at": now}
    if finished:
        changes.update(state=JobState.FINISHED, finished_at=now)
    BulkJob.objects.filter(pk=job.pk).update(**changes)


def run_job(*, job_id: int) -> None:
    """Run (or resume) a job: each ticket not yet processed, in the order chosen."""
    job = _take(job_id, timezone.now())
    if job is None:
        return
    actor = User.objects.filter(pk=job.actor_id).first()
    processed = set(BulkJobItem.objects.filter(job=job).values_list("ticket_id", flat=True))
    since_write = 0
    for ticket_id in job.ticket_ids:
        if ticket_id in processed:
            continue
        if actor is None or not may_bulk(actor):
            # The person was deactivated or lost the right while the job ran.
            BulkJobItem.objects.get_or_create(
                job=job,
                ticket_id=ticket_id,
                defaults={"ok": False, "reason": _("没有批量处理工单的权限")},
            )
        else:
            _run_one(job, ticket_id, actor)
        since_write += 1
        if since_write >= PROGRESS_EVERY:
            _write_counts(job)
            since_write = 0
    _write_counts(job, finished=True)


def resume_stale_jobs(*, now=None) -> int:
    """Queue again the jobs whose runner never started or died; returns how many."""
    cutoff = (now or timezone.now()) - STALE_AFTER
    stale = list(
        BulkJob.objects.filter(state__in=(JobState.QUEUED, JobState.RUNNING))
        .filter(created_at__lte=cutoff)
        .exclude(heartbeat_at__gt=cutoff)
        .values_list("pk", flat=True)[:50]
    )
    for job_id in stale:
        _schedule(job_id)
    return len(stale)


def outcome_rows(job: BulkJob) -> list[dict]:
    """The job's outcomes with ticket numbers, refused first (what needs a look)."""
    items = job.items.order_by("ok", "id")
    return [
        {
            "ticket": item.ticket_id,
            "number": format_number(item.ticket_id),
            "ok": item.ok,
            "reason": item.reason,
        }
        for item in items
    ]
