"""The one notification writer. `on_ticket_event` is subscribed to the ticket event pipeline
(`andon.tickets.events`) in the change's transaction and writes the in-app rows and their outbox
copies there, one row per recipient per event (a unique key), so a retried service call can
never notify twice. Alerts (OLA) name their recipients in the event (`notify_alert`); for ticket
changes the rules below decide (`notify_for_event`).

Who hears what on a ticket change:
- the assignee: work arriving (dispatch, transfer to them), pressure (urge), and anything the
  other side does (comments, files, edits, resume, confirm, reopen, close, cancel);
- the queue's members, while the ticket sits in the pool with nobody assigned: the ticket
  arriving, urges, comments and files;
- the requester: every status change and every public comment;
- the previous handler when someone takes the ticket over;
- a person pulled in (卷入) when added, and then what the assignee hears; a queue pulled in
  hears of being added and of comments; copied people (抄送) what the requester hears (public
  updates only), e-mail-only copies by e-mail; watchers what the assignee and the requester
  hear, internal comments only if they are on the staff side, and nothing once they can no
  longer see the ticket;
- never the person who acted, never a deactivated account.
Each person's channel preferences choose the external copies (`outbox.reachable_channels`).
"""

import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from andon.core import choices, config_cache
from andon.notifications import outbox
from andon.notifications.models import (
    Channel,
    ChannelPreference,
    Notification,
    OutboxMessage,
    Webhook,
)
from andon.notifications.recipients import reachable_ids
from andon.notifications.selectors import active_webhooks
from andon.queues.models import QueueMembership
from andon.tickets import policies
from andon.tickets.models import EventKind, Ticket, TicketEvent

_ASSIGNEE_KINDS = frozenset(
    {
        EventKind.DISPATCHED,
        EventKind.TRANSFERRED,
        EventKind.URGED,
        EventKind.COMMENTED,
        EventKind.ATTACHED,
        EventKind.UPDATED,
        EventKind.RESUMED,
        EventKind.CONFIRMED,
        EventKind.REOPENED,
        EventKind.CLOSED,
        EventKind.CANCELLED,
    }
)
# A queue transfer is followed by its own dispatched/undispatched event, which tells the pool.
_POOL_KINDS = frozenset(
    {EventKind.UNDISPATCHED, EventKind.URGED, EventKind.COMMENTED, EventKind.ATTACHED}
)
# Status changes the requester hears about.
_REQUESTER_KINDS = frozenset(
    {
        EventKind.CLAIMED,
        EventKind.NEED_INFO,
        EventKind.RESUMED,
        EventKind.RESOLVED,
        EventKind.CONFIRMED,
        EventKind.REOPENED,
        EventKind.CLOSED,
        EventKind.CANCELLED,
    }
)


_COLLABORATOR_KINDS = _ASSIGNEE_KINDS | _REQUESTER_KINDS | {EventKind.TAKEN_OVER}
_WATCHER_KINDS = _COLLABORATOR_KINDS


def _members(queue_ids) -> set[int]:
    if not queue_ids:
        return set()
    return set(
        QueueMembership.objects.filter(queue_id__in=queue_ids).values_list("user_id", flat=True)
    )


def _around(event: TicketEvent, ticket: Ticket, ids: set[int]) -> None:
    """Add the people around the ticket (collaborators, copies, watchers) this event concerns."""
    kind = event.kind
    internal = bool(event.after.get("internal"))
    public = kind in _REQUESTER_KINDS or (kind == EventKind.COMMENTED and not internal)
    if kind == EventKind.TAKEN_OVER:
        previous = (event.before.get("assignee") or {}).get("id")
        if previous:
            ids.add(previous)
    if kind == EventKind.COLLABORATOR_ADDED:
        added = event.after.get("collaborator") or {}
        if added.get("user"):
            ids.add(added["user"]["id"])
        elif added.get("queue"):
            ids.update(_members([added["queue"]["id"]]))
    if kind == EventKind.CC_ADDED and (event.after.get("cc") or {}).get("user"):
        ids.add(event.after["cc"]["user"]["id"])
    if kind in (EventKind.CREATED, EventKind.DISPATCHED, EventKind.UNDISPATCHED):
        return  # nobody is around a ticket that is only now arriving
    people = policies.people_of(ticket)
    if kind in _COLLABORATOR_KINDS:
        ids.update(people.collaborator_user_ids)
    if kind == EventKind.COMMENTED:
        ids.update(_members(people.collaborator_queue_ids))
    if public:
        ids.update(people.cc_user_ids)
    if kind in _WATCHER_KINDS and people.watcher_ids:
        ids.update(_watchers_who_may_hear(ticket, people.watcher_ids - ids, internal=internal))


def _watchers_who_may_hear(ticket: Ticket, watcher_ids, *, internal: bool) -> set[int]:
    """Watching grants nothing: a watcher hears only what they could read on the ticket now."""
    if not watcher_ids:
        return set()
    hear = set()
    for user in get_user_model().objects.filter(pk__in=watcher_ids, is_active=True):
        if policies.can_view(user, ticket) and (
            not internal or policies.is_staff_side(user, ticket)
        ):
            hear.add(user.pk)
    return hear


def _email_copies(event: TicketEvent, ticket: Ticket) -> list[tuple[int, str]]:
    """E-mail-only copies (a customer contact's address) hear of public updates."""
    if event.kind in (EventKind.CREATED, EventKind.DISPATCHED, EventKind.UNDISPATCHED):
        return []
    internal = bool(event.after.get("internal"))
    if event.kind in _REQUESTER_KINDS or (event.kind == EventKind.COMMENTED and not internal):
        return list(policies.people_of(ticket).cc_emails)
    return []


def recipients_for(event: TicketEvent, ticket: Ticket) -> set[int]:
    ids = _wanted(event, ticket)
    return reachable_ids(ids) if ids else ids


def _wanted(event: TicketEvent, ticket: Ticket) -> set[int]:
    """Who the rules above name for this event, before the reachability filter."""
    ids: set[int] = set()
    kind = event.kind
    internal = bool(event.after.get("internal"))
    if kind in _ASSIGNEE_KINDS and ticket.assignee_id:
        ids.add(ticket.assignee_id)
    if kind in _POOL_KINDS and ticket.assignee_id is None and ticket.queue_id:
        ids.update(
            QueueMembership.objects.filter(queue_id=ticket.queue_id).values_list(
                "user_id", flat=True
            )
        )
    if kind in _REQUESTER_KINDS or (kind == EventKind.COMMENTED and not internal):
        ids.add(ticket.requester_id)
    _around(event, ticket, ids)
    ids.discard(event.actor_id)
    return ids


def notify_for_event(*, event: TicketEvent, ticket: Ticket) -> list[Notification]:
    """A ticket change: its recipients follow from the rules above."""
    webhooks_for_event(event=event, ticket=ticket)
    wanted = _wanted(event, ticket)
    # Reachability and channels in one query (recipients_for and the outbox would take three).
    channels = outbox.reachable_channels(wanted) if wanted else {}
    recipients = set(channels)
    copies = _email_copies(event, ticket)
    if not recipients and not copies:
        return []
    actor_name = event.actor.name if event.actor_id else "系统"
    kind = choices.label(EventKind, event.kind)  # get_kind_display(), without its cost
    title = f"{ticket.number} {kind}：{ticket.title}"[:200]
    body = f"{actor_name} {kind}"
    if event.note:
        body = f"{body}：{event.note[:500]}"
    if copies:
        outbox.enqueue_email_copies(
            copies, key_prefix=f"event:{event.pk}", ticket=ticket, subject=title, body=body
        )
    if not recipients:
        return []
    now = timezone.now()
    rows = [
        Notification(
            recipient_id=user_id,
            ticket=ticket,
            event=event,
            kind=event.kind,
            title=title,
            body=body,
            created_at=now,
        )
        for user_id in sorted(recipients)
    ]
    created = Notification.objects.bulk_create(rows, ignore_conflicts=True)
    # External copies (e-mail, WeCom) and webhooks go through the outbox in this transaction;
    # their keys are per event, so a retried call never sends twice.
    outbox.enqueue_for_notifications(created, channels=channels)
    return created


def notify_alert(*, event: TicketEvent, ticket: Ticket) -> list[Notification]:
    """An alert (an OLA warning, breach or escalation) names its recipients in
    `event.after["recipients"]` and its delivery key in `event.after["alert"]`: exactly those
    people are told, in-app and on their channels, and the outbox keys "<key>:<recipient>:
    <channel>" make a repeated alert (a retried step) a no-op. Webhooks receive it as
    "<area>.<what>" (e.g. "ola.breached") once per key."""
    return notify_alerts(items=[(ticket, event)])


def notify_alerts(*, items) -> list[Notification]:
    """`notify_alert` for many (ticket, event) alerts at once, as the OLA catch-up writes them:
    the same rows, a fixed number of queries for the whole batch."""
    wanted = {r["id"] for _, event in items for r in event.after.get("recipients", [])}
    # The engine named reachable people only; someone deactivated meanwhile is skipped here.
    channels = outbox.reachable_channels(wanted) if wanted else {}
    rows, prefixes, hooks = [], {}, []
    hooked = bool(active_webhooks())
    usernames = (
        dict(get_user_model().objects.filter(pk__in=channels).values_list("pk", "username"))
        if hooked and channels
        else {}
    )
    for ticket, event in items:
        key = event.after["alert"]
        prefixes[event.pk] = key
        recipient_ids = sorted(
            {r["id"] for r in event.after.get("recipients", []) if r["id"] in channels}
        )
        rows.extend(
            Notification(
                recipient_id=user_id,
                ticket=ticket,
                event=event,
                kind=event.kind,
                title=f"{ticket.number} {event.note}"[:200],
                body=ticket.title,
                created_at=event.created_at,
            )
            for user_id in recipient_ids
        )
        if hooked:
            details = {k: v for k, v in event.after.items() if k not in ("recipients", "alert")}
            hooks.extend(
                outbox.webhook_messages(
                    kind=event.kind.replace("_", ".", 1),
                    key=key,
                    payload={
                        "ticket": {"id": ticket.pk, "number": ticket.number, "title": ticket.title},
                        **details,
                        "recipients": [usernames[pk] for pk in recipient_ids if pk in usernames],
                    },
                    ticket=ticket,
                )
            )
    created = Notification.objects.bulk_create(rows, ignore_conflicts=True)
    outbox.enqueue_for_notifications(created, key_prefixes=prefixes, channels=channels)
    outbox.enqueue(hooks)
    return created


def on_ticket_event(*, ticket: Ticket, event: TicketEvent) -> None:
    """The one notification writer, subscribed to the ticket event pipeline in the change's
    transaction: an event that names its recipients is an alert, any other is a ticket change."""
    if event.after.get("alert"):
        notify_alert(event=event, ticket=ticket)
    else:
        notify_for_event(event=event, ticket=ticket)


def on_ticket_events(*, items) -> None:
    """`on_ticket_event` for a batch of events (`tickets.events.record_events`): the alerts in
    it are written together."""
    alerts = [(t, e) for t, e in items if e.after.get("alert")]
    if alerts:
        notify_alerts(items=alerts)
    for ticket, event in items:
        if not event.after.get("alert"):
            notify_for_event(event=event, ticket=ticket)


def ticket_summary(ticket: Ticket) -> dict:
    """The ticket as webhooks receive it."""
    return {
        "id": ticket.pk,
        "number": ticket.number,
        "title": ticket.title,
        "status": ticket.status,
        "priority": ticket.priority,
        "queue": ticket.queue_id,
        "assignee": ticket.assignee_id,
        "requester": ticket.requester_id,
        "url": outbox.ticket_url(ticket),
    }


def webhooks_for_event(*, event: TicketEvent, ticket: Ticket) -> None:
    outbox.enqueue_webhooks(
        kind=event.kind,
        key=f"event:{event.pk}",
        payload={
            "event": {
                "id": event.pk,
                "kind": event.kind,
                "actor": event.actor_id,
                "note": event.note[:1000],
                "created_at": event.created_at.isoformat(),
            },
            "ticket": ticket_summary(ticket),
        },
        ticket=ticket,
    )


def mark_read(*, user, notification_ids=None) -> int:
    """Mark the user's unread notifications (all, or those ids) read; returns how many changed.
    Ids of other people's notifications are silently ignored."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        wanted = [int(v) for v in notification_ids if str(v).strip().isdigit()]
        qs = qs.filter(pk__in=wanted)
    return qs.update(read_at=timezone.now())


# --- channel preferences -------------------------------------------------------------------------


def save_preferences(*, user, data: dict) -> dict[str, bool]:
    """Set the person's external channels ({"email": bool, "wecom": bool}); in-app is always on
    and cannot be turned off. Returns the effective choices."""
    from andon.core.errors import ValidationFailed

    if not isinstance(data, dict):
        raise ValidationFailed(_("数据格式不正确"))
    errors = {}
    allowed = {Channel.EMAIL, Channel.WECOM}
    for key, value in data.items():
        if key == "in_app":
            if value is not True:
                errors[key] = [_("站内通知始终开启，不能关闭")]
        elif key not in allowed:
            errors[key] = [_("未知的通知渠道")]
        elif not isinstance(value, bool):
            errors[key] = [_("应为是或否")]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
    with transaction.atomic():
        for key, value in data.items():
            if key in allowed:
                outbox.set_preference(user=user, channel=key, enabled=value)
    return preferences_of(user)


def preferences_of(user) -> dict:
    chosen = dict(ChannelPreference.objects.filter(user=user).values_list("channel", "enabled"))
    return {
        "in_app": True,
        "email": chosen.get(Channel.EMAIL, True),
        "wecom": chosen.get(Channel.WECOM, True),
    }


# --- webhooks (admins, `integrations.manage`) ----------------------------------------------------

WEBHOOK_NAME_MAX = 100
WEBHOOK_EVENT_MAX = 50


def _require_integrations(actor) -> None:
    from andon.accounts.permissions import has_perm
    from andon.core.errors import PermissionDenied

    if not has_perm(actor, "integrations.manage"):
        raise PermissionDenied(_("没有管理集成的权限"))


def _clean_webhook(data, instance: Webhook | None) -> dict:
    from django.conf import settings
    from django.core.exceptions import ValidationError
    from django.core.validators import URLValidator

    from andon.core.errors import ValidationFailed
    from andon.core.net import UnsafeTarget, refuse_private
    from andon.core.validation import line_error

    if not isinstance(data, dict):
        raise ValidationFailed(_("数据格式不正确"))
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}
    creating = instance is None
    if creating or "name" in data:
        name = data.get("name")
        name = name.strip() if isinstance(name, str) else name
        if not isinstance(name, str) or not name:
            errors["name"] = [_("请填写名称")]
        elif len(name) > WEBHOOK_NAME_MAX:
            errors["name"] = [_("名称最多 %s 个字符") % WEBHOOK_NAME_MAX]
        elif problem := line_error(name, _("名称")):
            errors["name"] = [problem]
        else:
            cleaned["name"] = name
    if creating or "url" in data:
        url = data.get("url")
        url = url.strip() if isinstance(url, str) else url
        try:
            if not isinstance(url, str) or len(url) > 500:
                raise ValidationError("bad")
            URLValidator(schemes=["http", "https"])(url)
            refuse_private(
                url, allow_private=settings.ANDON_WEBHOOK_ALLOW_PRIVATE, unresolvable_ok=True
            )
            cleaned["url"] = url
        except ValidationError:
            errors["url"] = [_("请填写 http:// 或 https:// 开头的有效地址")]
        except UnsafeTarget as exc:
            errors["url"] = [str(exc)]
    if "events" in data:
        events = data.get("events")
        if events is None:
            events = []
        if (
            not isinstance(events, list)
            or len(events) > WEBHOOK_EVENT_MAX
            or not all(isinstance(e, str) and 0 < len(e.strip()) <= 40 for e in events)
        ):
            errors["events"] = [
                _('应为事件类型列表，例如 ["created", "ola.breached"]；留空表示全部')
            ]
        else:
            cleaned["events"] = sorted({e.strip() for e in events})
    if "is_active" in data:
        if not isinstance(data["is_active"], bool):
            errors["is_active"] = [_("应为是或否")]
        else:
            cleaned["is_active"] = data["is_active"]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
    return cleaned


def _webhook_snapshot(hook: Webhook) -> dict:
    # The secret itself never goes to the audit log; only that it changed.
    return {
        "name": hook.name,
        "url": hook.url,
        "events": list(hook.events),
        "is_active": hook.is_active,
        "secret": f"…{hook.secret[-4:]}" if hook.secret else "",
    }


def new_secret() -> str:
    return secrets.token_urlsafe(32)


@transaction.atomic
def create_webhook(*, actor, data: dict) -> Webhook:
    """A new webhook with a fresh signing secret (shown to the admin once)."""
    from andon.audit.services import diff, record_audit

    _require_integrations(actor)
    cleaned = _clean_webhook(data, None)
    hook = Webhook.objects.create(secret=new_secret(), **cleaned)
    config_cache.bump(config_cache.WEBHOOKS)
    record_audit(actor=actor, action="create", obj=hook, changes=diff({}, _webhook_snapshot(hook)))
    return hook


def _locked_webhook(webhook_id) -> Webhook:
    from andon.core.errors import NotFound

    hook = Webhook.objects.select_for_update().filter(pk=webhook_id).first()
    if hook is None:
        raise NotFound(_("Webhook 不存在"))
    return hook


@transaction.atomic
def update_webhook(*, actor, webhook_id: int, data: dict, rotate_secret: bool = False) -> Webhook:
    from andon.audit.services import diff, record_audit

    _require_integrations(actor)
    hook = _locked_webhook(webhook_id)
    before = _webhook_snapshot(hook)
    for key, value in _clean_webhook(data, hook).items():
        setattr(hook, key, value)
    if rotate_secret:
        hook.secret = new_secret()
    hook.save()
    changes = diff(before, _webhook_snapshot(hook))
    if changes:
        config_cache.bump(config_cache.WEBHOOKS)
        record_audit(actor=actor, action="update", obj=hook, changes=changes)
    return hook


@transaction.atomic
def delete_webhook(*, actor, webhook_id: int) -> None:
    from andon.audit.services import diff, record_audit

    _require_integrations(actor)
    hook = _locked_webhook(webhook_id)
    snapshot, name, pk = _webhook_snapshot(hook), hook.name, hook.pk
    hook.delete()
    config_cache.bump(config_cache.WEBHOOKS)
    record_audit(
        actor=actor,
        action="delete",
        object_type="notifications.webhook",
        object_repr=f"{name} (#{pk})",
        changes=diff(snapshot, {}),
    )


def retry_message(*, actor, message_id: int) -> OutboxMessage:
    """Admin action: send a waiting or given-up message again now."""
    from andon.core.errors import Conflict, NotFound

    _require_integrations(actor)
    message = OutboxMessage.objects.filter(pk=message_id).first()
    if message is None:
        raise NotFound(_("消息不存在"))
    if message.state == OutboxMessage.State.SENT:
        raise Conflict(_("该消息已发送成功，无需重试"))
    outbox.retry_now(message_id=message.pk)
    message.refresh_from_db()
    return message
