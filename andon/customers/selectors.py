"""Reads of customers, contacts and group chats, and of a customer's tickets.

Who may read: holders of `customers.view` (the built-in 一线客服 and 处理人 roles have it; plain
employees do not); every list here is scoped by it, for the API and the pages alike. Tickets
listed for a customer always start from `visible_tickets`, so a customer page never shows a
ticket its reader could not open."""

from __future__ import annotations

from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When

from andon.accounts.permissions import has_perm
from andon.customers.models import (
    Contact,
    ContactFollower,
    Customer,
    CustomerGroupChat,
    GroupChatMember,
)
from andon.ola.models import OlaTimer
from andon.tickets.models import UNFINISHED_STATUSES, Channel, Ticket
from andon.tickets.selectors import visible_tickets, with_list_relations


def can_read(user) -> bool:
    return has_perm(user, "customers.view")


def is_admin(user) -> bool:
    return has_perm(user, "people.manage")


def can_write(user, obj) -> bool:
    """Owners edit what they own; admins (`people.manage`) edit everything."""
    return is_admin(user) or (obj.owner_id is not None and obj.owner_id == user.pk)


def customer_list(*, user, q: str = "") -> QuerySet[Customer]:
    qs = Customer.objects.select_related("owner")
    if not can_read(user):
        return qs.none()
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(note__icontains=q))
    return qs


def contact_list(*, user, q: str = "", customer_id: int | None = None) -> QuerySet[Contact]:
    qs = Contact.objects.select_related("customer", "owner")
    if not can_read(user):
        return qs.none()
    q = (q or "").strip()
    if q:
        qs = qs.filter(
            Q(name__icontains=q)
            | Q(phone__icontains=q)
            | Q(email__icontains=q)
            | Q(external_userid=q)
            | Q(customer__name__icontains=q)
        )
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    return qs


def group_chat_list(
    *, user, q: str = "", customer_id: int | None = None
) -> QuerySet[CustomerGroupChat]:
    qs = CustomerGroupChat.objects.select_related("customer", "owner").prefetch_related("agents")
    if not can_read(user):
        return qs.none()
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(chat_id=q) | Q(customer__name__icontains=q))
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    return qs


def open_first(qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return qs.annotate(
        _finished=Case(
            When(status__in=UNFINISHED_STATUSES, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("_finished", "-id")


def with_active_timers(qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Each ticket's running/paused OLA timers as `active_timers`, in one extra query."""
    return qs.prefetch_related(
        Prefetch(
            "ola_timers",
            queryset=OlaTimer.objects.filter(active=True).order_by("due_at", "id"),
            to_attr="active_timers",
        )
    )


def origin_tickets(
    user, *, customer=None, contact=None, group_chat=None, external_userid: str = ""
) -> QuerySet[Ticket]:
    """Tickets the user can see that came from this customer / contact / chat, open first."""
    condition = Q()
    if customer is not None:
        condition |= Q(origin__customer=customer)
    if contact is not None:
        condition |= Q(origin__contact=contact)
    if group_chat is not None:
        condition |= Q(origin__group_chat=group_chat)
    if external_userid:
        condition |= Q(origin__external_userid=external_userid)
    if not condition:
        return Ticket.objects.none()
    return open_first(with_list_relations(visible_tickets(user)).filter(condition))


def channel_for_context(*, external_userid: str, chat_id: str, channel: str | None) -> str:
    if channel in Channel.values:
        return channel
    if chat_id:
        return Channel.EXTERNAL_GROUP
    if external_userid:
        return Channel.SINGLE_CHAT
    return Channel.WEB


def chat_context(*, external_userid: str = "", chat_id: str = "") -> dict:
    """The contact / group chat / customer a sidebar's URL parameters point at (any may be None)."""
    external_userid = (external_userid or "").strip()[:64]
    chat_id = (chat_id or "").strip()[:64]
    contact = group_chat = None
    if external_userid:
        contact = (
            Contact.objects.select_related("customer", "customer__owner", "owner")
            .filter(external_userid=external_userid)
            .first()
        )
    if chat_id:
        group_chat = (
            CustomerGroupChat.objects.select_related("customer", "customer__owner", "owner")
            .filter(chat_id=chat_id)
            .first()
        )
    customer = (contact and contact.customer) or (group_chat and group_chat.customer) or None
    return {
        "external_userid": external_userid,
        "chat_id": chat_id,
        "contact": contact,
        "group_chat": group_chat,
        "customer": customer,
    }


def ola_state(ticket: Ticket) -> dict | None:
    """Summary of the ticket's active timers for a list row: the most urgent one, and whether
    any has breached."""
    timers = getattr(ticket, "active_timers", None)
    if not timers:
        return None
    breached = [t for t in timers if t.state == "breached"]
    pending = [t for t in timers if t.due_at is not None]
    first = breached[0] if breached else (min(pending, key=lambda t: t.due_at) if pending else None)
    if first is None:
        return None
    return {"timer": first, "breached": bool(breached), "paused": first.state == "paused"}


def serves_contact(user, contact: Contact) -> bool:
    """Whether the user has this contact as a WeCom customer (one of its follow users)."""
    condition = Q(user=user)
    if getattr(user, "wecom_userid", None):
        condition |= Q(userid=user.wecom_userid)
    return ContactFollower.objects.filter(condition, contact=contact).exists()


def in_chat(user, chat: CustomerGroupChat) -> bool:
    """Whether the user is a corp member of this customer group chat."""
    condition = Q(user=user)
    if getattr(user, "wecom_userid", None):
        condition |= Q(member_id=user.wecom_userid)
    return GroupChatMember.objects.filter(
        condition, chat=chat, kind=GroupChatMember.Kind.MEMBER
    ).exists()


def customer_named(name: str) -> Customer | None:
    """The customer a person typed by name when linking a contact or chat (the oldest of equal
    names, so the choice is stable)."""
    return Customer.objects.filter(name__iexact=name).order_by("id").first() if name else None


def chat_memberships(contact: Contact) -> QuerySet:
    """The group chats a contact is in, with the chat."""
    return GroupChatMember.objects.filter(contact=contact).select_related("chat")
