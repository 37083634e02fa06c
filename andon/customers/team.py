"""Who reads a customer's tickets: the team that serves the customer.

The rule (shown on the sidebar and the customer pages): someone who may read the customer
directory (`customers.view`) reads every ticket filed for a customer, contact or group chat that
they or a colleague of their frontline group (their main department) serve. To serve is to own
the customer, contact or chat in Andon, to have the contact as a WeCom customer (a follow user),
or to be a member of the customer group chat. Everyone else reads only the tickets they could
read anyway (their own, their queues'). Registered into `andon.tickets.visibility`, so the
ticket pages, lists and API agree with the sidebar."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q

from andon.accounts.permissions import has_perm
from andon.customers.models import Contact, ContactFollower, Customer, CustomerGroupChat

User = get_user_model()


def team_of(user):
    """The user and the active colleagues of their main department, as a subquery of ids."""
    if getattr(user, "main_department_id", None):
        return User.objects.filter(
            Q(pk=user.pk) | Q(main_department_id=user.main_department_id, is_active=True)
        ).values("pk")
    return User.objects.filter(pk=user.pk).values("pk")


def served_scope(user) -> Q | None:
    """The tickets of the customers `user`'s team serves (see the module docstring)."""
    if not getattr(user, "is_active", False) or not has_perm(user, "customers.view"):
        return None
    team = team_of(user)
    contacts = Contact.objects.filter(
        Q(owner_id__in=team)
        | Q(pk__in=ContactFollower.objects.filter(user_id__in=team).values("contact_id"))
    ).values("pk")
    chats = CustomerGroupChat.objects.filter(Q(owner_id__in=team) | Q(agents__in=team)).values("pk")
    customers = Customer.objects.filter(
        Q(owner_id__in=team) | Q(contacts__in=contacts) | Q(group_chats__in=chats)
    ).values("pk")
    return (
        Q(origin__customer_id__in=customers)
        | Q(origin__contact_id__in=contacts)
        | Q(origin__group_chat_id__in=chats)
    )


def register() -> None:
    from andon.tickets.visibility import register_scope

    register_scope("customers.served_by_team", served_scope)
