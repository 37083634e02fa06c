"""轻量交接: when someone leaves or changes jobs, an admin moves everything they hold to a successor
in one step — unfinished tickets they handle (one event each, through `reassign_ticket`), the
customers, contacts and group chats they own, and the group chats they serve."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from andon.accounts.permissions import has_perm
from andon.audit.services import record_audit
from andon.core.errors import PermissionDenied, ValidationFailed
from andon.core.validation import parse_id
from andon.customers.models import Contact, Customer, CustomerGroupChat
from andon.tickets.models import UNFINISHED_STATUSES, Ticket
from andon.tickets.services import reassign_ticket

User = get_user_model()


def may_hand_over(user) -> bool:
    return has_perm(user, "people.manage") and has_perm(user, "tickets.manage")


def _person(value, field: str, *, active: bool) -> User:
    pk = parse_id(value)
    user = User.objects.filter(pk=pk).first() if pk else None
    if user is None:
        raise ValidationFailed(_("人员不存在"), errors={field: [_("人员不存在")]})
    if active and not user.is_active:
        raise ValidationFailed(_("接手人已停用"), errors={field: [_("接手人已停用")]})
    return user


@transaction.atomic
def hand_over(*, actor, from_user, to_user, note: str = "") -> dict:
    """Move everything `from_user` holds to `to_user`; returns what moved."""
    if not may_hand_over(actor):
        raise PermissionDenied(_("只有管理员可以办理交接"))
    errors = {}
    people = {}
    for field, value, active in (("from_user", from_user, False), ("to_user", to_user, True)):
        try:
            people[field] = _person(value, field, active=active)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if not errors and people["from_user"].pk == people["to_user"].pk:
        errors["to_user"] = [_("接手人不能是交出人本人")]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
    leaving, successor = people["from_user"], people["to_user"]
    note = (note or "").strip()[:500] or _("交接：%(from)s → %(to)s") % {
        "from": leaving.name,
        "to": successor.name,
    }

    ticket_ids = list(
        Ticket.objects.filter(assignee=leaving, status__in=UNFINISHED_STATUSES)
        .order_by("id")
        .values_list("pk", flat=True)
    )
    moved_tickets = [
        reassign_ticket(ticket_id=pk, actor=actor, to_user=successor, note=note)
        for pk in ticket_ids
    ]
    now = timezone.now()
    customers = Customer.objects.filter(owner=leaving).update(owner=successor, updated_at=now)
    contacts = Contact.objects.filter(owner=leaving).update(owner=successor, updated_at=now)
    owned_chats = CustomerGroupChat.objects.filter(owner=leaving).update(
        owner=successor, updated_at=now
    )
    served = list(CustomerGroupChat.objects.filter(agents=leaving))
    for chat in served:
        chat.agents.remove(leaving)
        chat.agents.add(successor)
    summary = {
        "from_user": {"id": leaving.pk, "name": leaving.name},
        "to_user": {"id": successor.pk, "name": successor.name},
        "tickets": [{"id": t.pk, "number": t.number, "title": t.title} for t in moved_tickets],
        "customers": customers,
        "contacts": contacts,
        "group_chats_owned": owned_chats,
        "group_chats_served": len(served),
    }
    record_audit(
        actor=actor,
        action="handover",
        object_type="accounts.user",
        object_repr=f"{leaving.name} → {successor.name}",
        changes={
            "tickets": [len(moved_tickets)],
            "customers": [customers],
            "contacts": [contacts],
            "group_chats_owned": [owned_chats],
            "group_chats_served": [len(served)],
        },
    )
    return summary
