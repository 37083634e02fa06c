"""The `chat` origin of a ticket (filed from a WeCom chat sidebar): which customer, contact and
group chat it came from. Registered with `andon.tickets.origins` by this app; `create_ticket`
checks it with the ticket's other fields and writes the `TicketOrigin` row before the ticket's
`created` event."""

from __future__ import annotations

from django.utils.translation import gettext as _

from andon.core.errors import PermissionDenied
from andon.customers import selectors
from andon.customers.models import Contact, Customer, CustomerGroupChat, TicketOrigin
from andon.tickets import origins

FIELDS = {"customer", "contact", "group_chat", "external_userid", "chat_id"}


def clean_chat(actor, details: dict) -> tuple[dict, dict]:
    # Late import: services imports tickets' services, which import this registry's users.
    from andon.customers.services import _collect, _object, _text

    if not selectors.can_read(actor):
        raise PermissionDenied(_("没有管理客户的权限"))
    refs = _collect(
        {
            "customer": lambda: _object(
                Customer, details.get("customer"), "customer", label=_("客户")
            ),
            "contact": lambda: _object(
                Contact, details.get("contact"), "contact", label=_("联系人")
            ),
            "group_chat": lambda: _object(
                CustomerGroupChat, details.get("group_chat"), "group_chat", label=_("客户群")
            ),
            "external_userid": lambda: _text(
                details.get("external_userid"),
                "external_userid",
                label=_("外部联系人 ID"),
                max_length=64,
            ),
            "chat_id": lambda: _text(
                details.get("chat_id"), "chat_id", label=_("客户群 ID"), max_length=64
            ),
        }
    )
    contact, chat = refs["contact"], refs["group_chat"]
    customer = (
        refs["customer"]
        or (contact.customer if contact else None)
        or (chat.customer if chat else None)
    )
    state = {
        "customer": customer,
        "contact": contact,
        "group_chat": chat,
        "external_userid": refs["external_userid"] or (contact and contact.external_userid) or "",
        "chat_id": refs["chat_id"] or (chat.chat_id if chat else ""),
    }
    summary = {
        key: ({"id": value.pk, "name": value.name} if value else None)
        for key, value in (("customer", customer), ("contact", contact), ("group_chat", chat))
    }
    summary.update(external_userid=state["external_userid"], chat_id=state["chat_id"])
    return summary, state


def record_chat(ticket, state: dict) -> None:
    customer, contact, chat = state["customer"], state["contact"], state["group_chat"]
    TicketOrigin.objects.create(
        ticket=ticket,
        customer=customer,
        contact=contact,
        group_chat=chat,
        external_userid=state["external_userid"],
        chat_id=state["chat_id"],
        details={
            "customer": customer.name if customer else "",
            "contact": contact.name if contact else "",
            "group_chat": chat.name if chat else "",
        },
    )


def register() -> None:
    origins.register("chat", origins.Handler(clean=clean_chat, record=record_chat))
