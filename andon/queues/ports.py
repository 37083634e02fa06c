"""What the queue pages and dispatch need from the apps above queues (DESIGN.md §4 "Layers").
Dispatch weighs members by their unfinished tickets, and disabling a queue warns about the
catalog entries that dispatch to it; tickets and catalog sit above queues, so each registers a
queryset factory here from its `AppConfig.ready()` and queues imports neither."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import QuerySet

_unfinished_tickets: Callable[[], QuerySet] | None = None
_dispatching_entries: Callable[[], QuerySet] | None = None


def register_unfinished_tickets(factory: Callable[[], QuerySet]) -> None:
    """`factory()` returns every unfinished ticket (rows with `queue`, `assignee`); tickets."""
    global _unfinished_tickets
    _unfinished_tickets = factory


def register_dispatching_entries(factory: Callable[[], QuerySet]) -> None:
    """`factory()` returns the live catalog entries that file tickets into a `queue`, in tree
    order; catalog."""
    global _dispatching_entries
    _dispatching_entries = factory


def unfinished_tickets() -> QuerySet:
    if _unfinished_tickets is None:
        raise LookupError("no app registered the unfinished tickets (andon.tickets not ready)")
    return _unfinished_tickets()


def dispatching_entries() -> QuerySet:
    if _dispatching_entries is None:
        raise LookupError("no app registered the dispatching entries (andon.catalog not ready)")
    return _dispatching_entries()
