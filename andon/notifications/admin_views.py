"""Configuration pages of notifications (配置 › 通知渠道, `integrations.manage`): webhooks with
their signing secrets and delivery logs, and the outbox log with attempts, errors and retry."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from andon.accounts.permissions import has_perm
from andon.core.errors import ServiceError, ValidationFailed
from andon.notifications import selectors, services
from andon.notifications.models import Channel, OutboxMessage, Webhook

MANAGE = "integrations.manage"
OUTBOX_PAGE = 50
# The new secret is shown once, right after creation or rotation, through the session.
SECRET_SESSION_KEY = "andon_webhook_secret"


def _require(request) -> None:
    if not has_perm(request.user, MANAGE):
        raise DjangoPermissionDenied


def _hook_or_404(webhook_id) -> Webhook:
    hook = Webhook.objects.filter(pk=webhook_id).first()
    if hook is None:
        raise Http404(_("Webhook 不存在"))
    return hook


def _events_from_post(post) -> list[str]:
    raw = post.get("events", "")
    return [e for e in raw.replace("，", ",").replace("\n", ",").split(",") if e.strip()]


def _webhook_data(post) -> dict:
    return {
        "name": post.get("name", ""),
        "url": post.get("url", ""),
        "events": [e.strip() for e in _events_from_post(post)],
        "is_active": post.get("is_active") == "on",
    }


@login_required
def index(request):
    _require(request)
    errors, values = {}, {"is_active": True}
    if request.method == "POST":
        values = _webhook_data(request.POST)
        try:
            hook = services.create_webhook(actor=request.user, data=values)
        except ValidationFailed as exc:
            errors = exc.errors
            values["events"] = ", ".join(values["events"])
        else:
            request.session[SECRET_SESSION_KEY] = [hook.pk, hook.secret]
            messages.success(request, _("Webhook「%s」已创建") % hook.name)
            return redirect("config:notification-webhook", webhook_id=hook.pk)
    state = request.GET.get("state", "")
    state = state if state in OutboxMessage.State.values else ""
    channel = request.GET.get("channel", "")
    channel = channel if channel in Channel.values else ""
    qs = selectors.outbox_messages(state=state, channel=channel)
    try:
        before = int(request.GET.get("before", ""))
    except ValueError:
        before = None
    if before:
        qs = qs.filter(pk__lt=before)
    rows = list(selectors.with_attempts(qs)[: OUTBOX_PAGE + 1])
    older = rows[OUTBOX_PAGE - 1].pk if len(rows) > OUTBOX_PAGE else None
    return render(
        request,
        "config/notifications/index.html",
        {
            "webhooks": list(selectors.webhooks()),
            "messages_log": rows[:OUTBOX_PAGE],
            "older": older,
            "state": state,
            "channel": channel,
            "states": OutboxMessage.State.choices,
            "channels": Channel.choices,
            "errors": errors,
            "values": values,
        },
        status=400 if errors else 200,
    )


@login_required
def webhook(request, webhook_id: int):
    _require(request)
    hook = _hook_or_404(webhook_id)
    errors = {}
    values = {
        "name": hook.name,
        "url": hook.url,
        "events": ", ".join(hook.events),
        "is_active": hook.is_active,
    }
    if request.method == "POST":
        data = _webhook_data(request.POST)
        try:
            services.update_webhook(actor=request.user, webhook_id=hook.pk, data=data)
        except ValidationFailed as exc:
            errors = exc.errors
            values = {**data, "events": ", ".join(data["events"])}
        else:
            messages.success(request, _("Webhook 已保存"))
            return redirect("config:notification-webhook", webhook_id=hook.pk)
    shown = request.session.pop(SECRET_SESSION_KEY, None)
    secret = shown[1] if shown and shown[0] == hook.pk else ""
    return render(
        request,
        "config/notifications/webhook.html",
        {
            "hook": hook,
            "values": values,
            "errors": errors,
            "secret": secret,
            "deliveries": selectors.webhook_deliveries(hook),
        },
        status=400 if errors else 200,
    )


@login_required
@require_POST
def webhook_rotate(request, webhook_id: int):
    _require(request)
    hook = services.update_webhook(
        actor=request.user, webhook_id=_hook_or_404(webhook_id).pk, data={}, rotate_secret=True
    )
    request.session[SECRET_SESSION_KEY] = [hook.pk, hook.secret]
    messages.success(request, _("已生成新的签名密钥，旧密钥立即失效"))
    return redirect("config:notification-webhook", webhook_id=hook.pk)


@login_required
@require_POST
def webhook_delete(request, webhook_id: int):
    _require(request)
    hook = _hook_or_404(webhook_id)
    services.delete_webhook(actor=request.user, webhook_id=hook.pk)
    messages.success(request, _("Webhook「%s」已删除") % hook.name)
    return redirect("config:notifications")


@login_required
@require_POST
def outbox_retry(request, message_id: int):
    _require(request)
    try:
        services.retry_message(actor=request.user, message_id=message_id)
    except ServiceError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("已重新发送"))
    next_url = request.POST.get("next", "")
    if next_url.startswith("/config/notifications/"):
        return redirect(next_url)
    return redirect("config:notifications")
