"""The chat sidebar (侧边栏) and the handover page. Thin: reads through selectors, writes through
services."""

from __future__ import annotations

import contextlib
import json
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from andon.accounts.permissions import has_perm
from andon.core.errors import ServiceError
from andon.customers import handover as handover_service
from andon.customers import lookups, selectors, services
from andon.customers.forms import HandoverForm, SidebarTicketForm
from andon.knowledge.search import search_articles
from andon.tickets.forms import apply_service_errors, catalog_tree
from andon.tickets.models import Channel

User = get_user_model()

SIDEBAR_TICKETS = 20


SESSION_CONTEXT = "sidebar_context"
# The JS-SDK's entries (getContext) that carry a customer, and the channel a ticket filed there has.
ENTRY_CHANNELS = {
    "single_chat_tools": Channel.SINGLE_CHAT,
    "group_chat_tools": Channel.EXTERNAL_GROUP,
    "single_kf_tools": Channel.WECHAT_KF,
}


def _context_params(request) -> dict:
    """Which chat the sidebar is about: what the WeCom client said (kept in the session by
    `sidebar_context`), or — the development fallback, for people who may read the customer
    directory anyway — ?external_userid= / ?chat_id= in the URL."""
    source = request.POST if request.method == "POST" else request.GET
    params = {
        key: source.get(key, "").strip()[:64]
        for key in ("external_userid", "chat_id", "channel")
        if source.get(key, "").strip()
    }
    if not params.get("external_userid") and not params.get("chat_id"):
        stored = request.session.get(SESSION_CONTEXT) or {}
        params.update({key: str(value)[:64] for key, value in stored.items() if value})
    return params


def _from_session(request) -> bool:
    source = request.POST if request.method == "POST" else request.GET
    return bool(request.session.get(SESSION_CONTEXT)) and not (
        source.get("external_userid", "").strip() or source.get("chat_id", "").strip()
    )


def _sidebar_url(params: dict) -> str:
    url = reverse("customers:sidebar")
    return f"{url}?{urlencode(params)}" if params else url


def _chat_context(params: dict) -> tuple[dict, str]:
    """The sidebar's contact / chat / customer; one WeCom has but Andon does not yet is fetched
    and registered on the spot. Returns it and a notice when the lookup found nothing."""
    keys = {
        "external_userid": params.get("external_userid", ""),
        "chat_id": params.get("chat_id", ""),
    }
    ctx = selectors.chat_context(**keys)
    notices = []
    fetched = False
    try:
        if ctx["external_userid"] and ctx["contact"] is None:
            if lookups.fetch_contact(ctx["external_userid"]) is None:
                notices.append(_("企业微信里没有这位外部联系人（可能已被删除）。"))
            else:
                fetched = True
        if ctx["chat_id"] and ctx["group_chat"] is None:
            if lookups.fetch_chat(ctx["chat_id"]) is None:
                notices.append(_("企业微信里没有这个客户群（可能已解散）。"))
            else:
                fetched = True
    except lookups.LookupUnavailable as exc:
        notices.append(_("暂时无法从企业微信读取客户资料：%s") % exc)
    if fetched:
        ctx = selectors.chat_context(**keys)
    return ctx, " ".join(notices)


@login_required
@require_http_methods(["GET", "POST"])
def sidebar(request):
    if not selectors.can_read(request.user):
        raise PermissionDenied
    params = _context_params(request)
    from_wecom = _from_session(request)
    # What the form posts back and the URL after filing: nothing when the session knows the chat.
    url_params = {} if from_wecom else params
    ctx, lookup_notice = _chat_context(params)
    channel = selectors.channel_for_context(
        external_userid=ctx["external_userid"],
        chat_id=ctx["chat_id"],
        channel=params.get("channel"),
    )
    may_file = has_perm(request.user, "tickets.create")
    form = SidebarTicketForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not may_file:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                ticket = services.file_ticket(
                    actor=request.user,
                    title=data["title"],
                    catalog_entry_id=data["catalog_entry"] or None,
                    description=data["description"],
                    priority=data["priority"] or None,
                    channel=channel,
                    customer_id=ctx["customer"].pk if ctx["customer"] else None,
                    contact_id=ctx["contact"].pk if ctx["contact"] else None,
                    group_chat_id=ctx["group_chat"].pk if ctx["group_chat"] else None,
                    external_userid=ctx["external_userid"],
                    chat_id=ctx["chat_id"],
                )
            except ServiceError as exc:
                apply_service_errors(form, exc)
                status = exc.status_code
            else:
                messages.success(request, _("工单 %s 已提交") % ticket.number)
                return redirect(_sidebar_url(url_params))
        else:
            status = 400
    tickets = list(
        selectors.with_active_timers(
            selectors.origin_tickets(
                request.user,
                customer=ctx["customer"],
                contact=ctx["contact"],
                group_chat=ctx["group_chat"],
                external_userid=ctx["external_userid"],
            )
        )[:SIDEBAR_TICKETS]
    )
    rows = [{"ticket": t, "ola": selectors.ola_state(t)} for t in tickets]
    context = {
        **ctx,
        "params": url_params,
        "channel": channel,
        "channel_label": Channel(channel).label,
        "rows": rows,
        "form": form,
        "may_file": may_file,
        "catalog": catalog_tree() if may_file else [],
        "selected_parent": form["catalog_parent"].value() or "",
        "selected_entry": form["catalog_entry"].value() or "",
        "form_open": request.method == "POST",
        "lookup_notice": lookup_notice,
        "from_wecom": from_wecom,
    }
    return render(request, "customers/sidebar.html", context, status=status)


@login_required
@require_GET
def sidebar_search(request):
    """Knowledge search results for the sidebar (an htmx fragment)."""
    if not selectors.can_read(request.user):
        raise PermissionDenied
    q = request.GET.get("q", "").strip()[:200]
    results = search_articles(request.user, q, limit=8) if q else []
    return render(request, "customers/_search_results.html", {"q": q, "results": results})


@login_required
@require_http_methods(["GET", "POST"])
def handover_page(request):
    if not handover_service.may_hand_over(request.user):
        raise PermissionDenied
    form = HandoverForm(request.POST or None)
    summary = None
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            summary = handover_service.hand_over(
                actor=request.user,
                from_user=form.cleaned_data["from_user"],
                to_user=form.cleaned_data["to_user"],
                note=form.cleaned_data["note"],
            )
        except ServiceError as exc:
            apply_service_errors(form, exc)
            status = exc.status_code
    people = User.objects.filter(portal_account__isnull=True).order_by("-is_active", "username")
    return render(
        request,
        "customers/handover.html",
        {"form": form, "summary": summary, "people": people},
        status=status,
    )


def _context_error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"detail": message}, status=status)


def _related(user, entry: str, contact, chat) -> bool:
    if entry == "group_chat_tools":
        return selectors.in_chat(user, chat)
    if entry == "single_chat_tools":
        return selectors.serves_contact(user, contact)
    return True  # 微信客服: whoever the conversation is routed to serves it


@login_required
@require_POST
def sidebar_context(request):
    """The WeCom client's answer to getContext + getCurExternalContact / getCurExternalChat,
    posted by the sidebar's script. The chat must exist in WeCom and the viewer must be in it
    (a follow user of the contact, a member of the group chat); then the sidebar shows it."""
    if not selectors.can_read(request.user):
        raise PermissionDenied
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        return _context_error(_("请求格式不正确"), 400)
    if not isinstance(data, dict):
        return _context_error(_("请求格式不正确"), 400)
    entry = str(data.get("entry") or "")
    if entry not in ENTRY_CHANNELS:
        return _context_error(_("侧边栏不是从客户聊天打开的（入口：%s）") % (entry or "-"), 400)
    key = "chat_id" if entry == "group_chat_tools" else "external_userid"
    value = str(data.get(key) or "").strip()
    if not value or len(value) > 64:
        return _context_error(_("企业微信没有给出当前聊天"), 400)
    ctx, notice = _chat_context({key: value})
    record = ctx["group_chat"] if key == "chat_id" else ctx["contact"]
    if record is None:
        return _context_error(notice or _("这个聊天还没有登记"), 404)
    if not _related(request.user, entry, ctx["contact"], ctx["group_chat"]):
        # WeCom may know about a join Andon has not heard of yet: ask again before refusing.
        refetch = lookups.fetch_chat if key == "chat_id" else lookups.fetch_contact
        with contextlib.suppress(lookups.LookupUnavailable):
            refetch(value)
        ctx, _notice = _chat_context({key: value})
        if not _related(request.user, entry, ctx["contact"], ctx["group_chat"]):
            message = _("你不在这个客户群里") if key == "chat_id" else _("你不是这位客户的跟进人")
            return _context_error(message, 403)
    request.session[SESSION_CONTEXT] = {key: value, "channel": ENTRY_CHANNELS[entry]}
    return JsonResponse({"url": reverse("customers:sidebar")})
