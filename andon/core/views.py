"""Pages that belong to no domain: the home redirect, error pages, and the htmx helpers the
other views share."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from andon.accounts.permissions import has_perm
from andon.core.notices import config_notices


def is_htmx(request) -> bool:
    """True for requests made by htmx (it sends `HX-Request: true`)."""
    return request.headers.get("HX-Request") == "true"


def htmx_target(request) -> str:
    return request.headers.get("HX-Target", "") if is_htmx(request) else ""


@login_required
def home(request):
    return redirect("tickets:list")


# The configuration sections: (url name, title, description, permission that opens it).
CONFIG_SECTIONS = (
    ("config:queues", _("队列"), _("处理人、接单规则、停用与启用"), "queues.manage"),
    ("config:catalog", _("服务目录"), _("两级目录与派单队列"), "catalog.manage"),
    ("config:fields", _("字段模板"), _("按服务目录提交的自定义字段"), "fields.manage"),
    ("config:ola", _("OLA 与工作日历"), _("响应、解决时长与逐级告警"), "queues.manage"),
    ("config:roles", _("角色与权限"), _("角色的权限位与成员"), "roles.manage"),
    ("config:people", _("人员与组织"), _("部门、负责人、直属上级、导入导出"), "people.manage"),
    ("config:notifications", _("通知渠道"), _("Webhook 与投递记录"), "integrations.manage"),
    ("config:wecom", _("企业微信"), _("应用、扫码登录、组织架构同步与回调"), "integrations.manage"),
    ("config:audit", _("审计日志"), _("谁在何时改了哪些配置"), "roles.manage"),
)


@login_required
def config_index(request):
    sections = []
    for url_name, title, description, code in CONFIG_SECTIONS:
        if not has_perm(request.user, code):
            continue
        sections.append({"url": reverse(url_name), "title": title, "description": description})
    if not sections:
        raise PermissionDenied
    return render(
        request,
        "config/index.html",
        {"sections": sections, "notices": config_notices(request)},
    )


def csrf_failure(request, reason=""):
    """A rejected form post (expired page, blocked cookie): a styled page with a way back
    instead of Django's bare 403."""
    referer = request.META.get("HTTP_REFERER", "")
    back = (
        referer
        if url_has_allowed_host_and_scheme(
            referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        else ""
    )
    return render(request, "403_csrf.html", {"back_url": back}, status=403)
