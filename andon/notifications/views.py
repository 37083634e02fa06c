"""In-app notifications: the bell's dropdown, the full list, opening one and marking read."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from andon.core.views import is_htmx
from andon.notifications import channels, selectors, services
from andon.notifications.models import Channel, Notification
from andon.notifications.services import mark_read

DROPDOWN_SIZE = 8
PAGE_SIZE = 30


def _unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


@login_required
@require_GET
def dropdown(request):
    if request.GET.get("badge") == "1":
        # The bell's poll: one COUNT query, a tiny fragment that replaces the badge (rendered
        # without the context processors, which would cost queries every 20 s per open page).
        return HttpResponse(
            render_to_string(
                "notifications/_badge.html", {"unread": selectors.unread_count(request.user)}
            )
        )
    items = list(
        Notification.objects.filter(recipient=request.user).order_by("-id")[:DROPDOWN_SIZE]
    )
    return render(
        request,
        "notifications/_dropdown.html",
        {"items": items, "unread": _unread_count(request.user)},
    )


@login_required
@require_GET
def notification_list(request):
    qs = Notification.objects.filter(recipient=request.user)
    only_unread = request.GET.get("unread") == "1"
    if only_unread:
        qs = qs.filter(read_at__isnull=True)
    try:
        after = int(request.GET.get("after", ""))
    except ValueError:
        after = None
    if after:
        qs = qs.filter(pk__lt=after)
    rows = list(qs.order_by("-id")[: PAGE_SIZE + 1])
    older = rows[PAGE_SIZE - 1].pk if len(rows) > PAGE_SIZE else None
    return render(
        request,
        "notifications/list.html",
        {
            "items": rows[:PAGE_SIZE],
            "older": older,
            "only_unread": only_unread,
            "unread": _unread_count(request.user),
        },
    )


@login_required
@require_GET
def notification_open(request, pk: int):
    """Mark one read and go to what it is about."""
    notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
    mark_read(user=request.user, notification_ids=[notification.pk])
    if notification.ticket_id:
        return redirect("tickets:detail", pk=notification.ticket_id)
    return redirect("notifications:list")


@login_required
@require_POST
def mark_all_read(request):
    mark_read(user=request.user)
    if is_htmx(request):
        items = list(
            Notification.objects.filter(recipient=request.user).order_by("-id")[:DROPDOWN_SIZE]
        )
        return render(
            request,
            "notifications/_dropdown.html",
            {"items": items, "unread": 0, "oob_badge": True},
        )
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = ""
    return redirect(next_url or "notifications:list")


@login_required
def preferences(request):
    """My channels: in-app always on, e-mail and WeCom switchable."""
    from django.contrib import messages
    from django.utils.translation import gettext as _

    if request.method == "POST":
        services.save_preferences(
            user=request.user,
            data={
                "email": request.POST.get("email") == "on",
                "wecom": request.POST.get("wecom") == "on",
            },
        )
        messages.success(request, _("通知设置已保存"))
        return redirect("config:notification-preferences")
    return render(
        request,
        "accounts/preferences.html",
        {
            "prefs": services.preferences_of(request.user),
            "wecom_configured": channels.available(Channel.WECOM),
        },
    )
