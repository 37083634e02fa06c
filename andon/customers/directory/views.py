"""Thin pages over andon.customers.selectors (reads, scoped by `customers.view`) and
andon.customers.services (edits: the owner or an admin)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from andon.core.errors import ServiceError
from andon.customers import selectors, services
from andon.customers.models import ContactFollower

PAGE_SIZE = 50
TICKETS = 50
TABS = ("customers", "contacts", "chats")


def _reader(request) -> None:
    if not selectors.can_read(request.user):
        raise PermissionDenied


def _rows(user, tickets_qs) -> list[dict]:
    tickets = list(selectors.with_active_timers(tickets_qs)[:TICKETS])
    return [{"ticket": t, "ola": selectors.ola_state(t)} for t in tickets]


@login_required
@require_GET
def directory(request):
    _reader(request)
    tab = request.GET.get("tab") if request.GET.get("tab") in TABS else "customers"
    q = request.GET.get("q", "").strip()[:100]
    if tab == "customers":
        qs = selectors.customer_list(user=request.user, q=q).annotate(
            contact_count=Count("contacts", distinct=True),
            chat_count=Count("group_chats", distinct=True),
        )
    elif tab == "contacts":
        qs = selectors.contact_list(user=request.user, q=q).prefetch_related(
            Prefetch("followers", queryset=ContactFollower.objects.select_related("user"))
        )
    else:
        qs = selectors.group_chat_list(user=request.user, q=q).annotate(
            member_count=Count("members", distinct=True)
        )
    page = Paginator(qs.order_by("name", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "customers/directory/list.html",
        {"tab": tab, "q": q, "page": page, "tabs": TABS},
    )


def _edit(request, obj, update, fields: tuple[str, ...]) -> tuple[dict, int]:
    """Apply a POSTed edit through the service; returns (errors, status)."""
    if not selectors.can_write(request.user, obj):
        raise PermissionDenied
    changes = {name: request.POST.get(name, "") for name in fields if name in request.POST}
    if "customer" in changes:
        name = changes.pop("customer").strip()
        found = selectors.customer_named(name)
        if name and found is None:
            return {"customer": [_("没有叫这个名字的客户")]}, 400
        changes["customer"] = found.pk if found else None
    try:
        update(changes)
    except ServiceError as exc:
        return {"__all__": [exc.detail], **(exc.errors or {})}, exc.status_code
    messages.success(request, _("已保存"))
    return {}, 0


@login_required
@require_http_methods(["GET", "POST"])
def customer_page(request, pk: int):
    _reader(request)
    customer = selectors.customer_list(user=request.user).filter(pk=pk).first()
    if customer is None:
        raise Http404
    errors, status = {}, 200
    if request.method == "POST":
        errors, status = _edit(
            request,
            customer,
            lambda c: services.update_customer(actor=request.user, customer_id=pk, **c),
            ("name", "note"),
        )
        if not errors:
            return redirect("directory:customer", pk=pk)
    contacts = selectors.contact_list(user=request.user, customer_id=pk).prefetch_related(
        Prefetch("followers", queryset=ContactFollower.objects.select_related("user"))
    )
    chats = selectors.group_chat_list(user=request.user, customer_id=pk)
    context = {
        "customer": customer,
        "contacts": contacts[:200],
        "chats": chats[:200],
        "rows": _rows(request.user, selectors.origin_tickets(request.user, customer=customer)),
        "may_edit": selectors.can_write(request.user, customer),
        "errors": errors,
        "data": request.POST if errors else None,
    }
    return render(request, "customers/directory/customer.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def contact_page(request, pk: int):
    _reader(request)
    contact = selectors.contact_list(user=request.user).filter(pk=pk).first()
    if contact is None:
        raise Http404
    errors, status = {}, 200
    if request.method == "POST":
        errors, status = _edit(
            request,
            contact,
            lambda c: services.update_contact(actor=request.user, contact_id=pk, **c),
            ("name", "phone", "email", "customer"),
        )
        if not errors:
            return redirect("directory:contact", pk=pk)
    memberships = selectors.chat_memberships(contact)
    context = {
        "contact": contact,
        "followers": contact.followers.select_related("user"),
        "memberships": memberships[:200],
        "rows": _rows(
            request.user,
            selectors.origin_tickets(
                request.user, contact=contact, external_userid=contact.external_userid or ""
            ),
        ),
        "may_edit": selectors.can_write(request.user, contact),
        "errors": errors,
        "data": request.POST if errors else None,
    }
    return render(request, "customers/directory/contact.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def chat_page(request, pk: int):
    _reader(request)
    chat = selectors.group_chat_list(user=request.user).filter(pk=pk).first()
    if chat is None:
        raise Http404
    errors, status = {}, 200
    if request.method == "POST":
        errors, status = _edit(
            request,
            chat,
            lambda c: services.update_group_chat(actor=request.user, group_chat_id=pk, **c),
            ("name", "customer"),
        )
        if not errors:
            return redirect("directory:chat", pk=pk)
    context = {
        "chat": chat,
        "members": chat.members.select_related("user", "contact")[:500],
        "rows": _rows(request.user, selectors.origin_tickets(request.user, group_chat=chat)),
        "may_edit": selectors.can_write(request.user, chat),
        "errors": errors,
        "data": request.POST if errors else None,
    }
    return render(request, "customers/directory/chat.html", context, status=status)
