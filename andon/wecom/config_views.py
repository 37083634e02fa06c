"""配置 › 企业微信 (/config/wecom/, `integrations.manage`): the settings, a connection test, the
org chart sync with its progress and diff, and the callback events the pipeline gave up on."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from andon.accounts.permissions import has_perm
from andon.wecom import config as wecom_config
from andon.wecom import diagnostics, orgsync, selectors, services
from andon.wecom.config import SecretsKeyMissing
from andon.wecom.forms import LABELS, WeComSettingsForm
from andon.wecom.models import CallbackEvent, SyncRun

MANAGE = "integrations.manage"


def _require(request) -> None:
    if not has_perm(request.user, MANAGE):
        raise PermissionDenied


def _page(request, *, form=None, checks=None, status=200):
    config = wecom_config.current()
    form = form or WeComSettingsForm(
        initial={
            "corp_id": config.corp_id,
            "agent_id": config.agent_id,
            "wecom_owns_org_chart": config.wecom_owns_org_chart,
        },
        config=config,
    )
    secrets = [
        {
            "name": name,
            "label": LABELS[name],
            "source": config.source(name),
            "field": form[name],
            "clear": form[f"clear_{name}"],
        }
        for name in wecom_config.SECRET_FIELDS
    ]
    context = {
        "form": form,
        "text_fields": [form["corp_id"], form["agent_id"]],
        "config": config,
        "secrets": secrets,
        "callback_url": wecom_config.callback_url(),
        "checks": checks,
        "runs": selectors.recent_sync_runs(),
        "dead_events": selectors.dead_callback_events(),
        "callback_counts": selectors.callback_counts(),
        "secrets_key_set": bool(settings.ANDON_SECRETS_KEY),
    }
    return render(request, "config/wecom/index.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def index(request):
    _require(request)
    if request.method != "POST":
        return _page(request)
    form = WeComSettingsForm(request.POST, config=wecom_config.current())
    if not form.is_valid():
        return _page(request, form=form, status=400)
    try:
        services.save_settings(actor=request.user, data=form.service_data())
    except SecretsKeyMissing:
        form.add_error(None, _("未设置环境变量 ANDON_SECRETS_KEY，不能在此保存 Secret"))
        return _page(request, form=form, status=400)
    messages.success(request, _("企业微信设置已保存"))
    return redirect("config:wecom")


@login_required
@require_POST
def connection_test(request):
    _require(request)
    return _page(request, checks=diagnostics.connection_test())


@login_required
@require_POST
def sync_start(request):
    _require(request)
    dry_run = request.POST.get("dry_run") == "1"
    run = orgsync.start_sync(requested_by=request.user, dry_run=dry_run)
    return redirect("config:wecom-sync", pk=run.pk)


@login_required
@require_GET
def sync_run(request, pk: int):
    """The run's page; htmx polls the progress card while it runs."""
    _require(request)
    run = get_object_or_404(SyncRun, pk=pk)
    template = (
        "config/wecom/_run.html" if request.headers.get("HX-Request") else "config/wecom/run.html"
    )
    return render(request, template, {"run": run})


@login_required
@require_POST
def callback_retry(request, pk: int):
    _require(request)
    event = get_object_or_404(CallbackEvent, pk=pk)
    services.retry_dead_callback(actor=request.user, event_id=event.pk)
    messages.success(request, _("已重新排队处理回调事件 #%s") % event.pk)
    return redirect("config:wecom")
