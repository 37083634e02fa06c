"""A port: apps above tickets may widen who *reads* a ticket (never who works it). Each registers
a scope — a function from the user to a Q over Ticket, or None — from its AppConfig.ready();
`selectors.visible_tickets` ORs them into the one permission-scoped queryset and
`policies.can_view` asks the same question for one ticket, so a list never shows a ticket its
page would refuse. The customers app registers "tickets of the customers my team serves"."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Q

from andon.tickets.models import Ticket

Scope = Callable[[object], Q | None]

_SCOPES: dict[str, Scope] = {}


def register_scope(name: str, scope: Scope) -> None:
    _SCOPES[name] = scope


def extra_scope(user) -> Q | None:
    found = None
    for scope in _SCOPES.values():
        condition = scope(user)
        if condition is not None:
            found = condition if found is None else found | condition
    return found


def allows(user, ticket: Ticket) -> bool:
    """Whether a registered scope lets `user` read `ticket` (one query, only when a scope
    applies to the user)."""
    condition = extra_scope(user)
    if condition is None or ticket.pk is None:
        return False
    return Ticket.objects.filter(condition, pk=ticket.pk).exists()
