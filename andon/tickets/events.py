"""Recording a ticket's activity-log event and fanning it out to the apps that react to it.

Every ticket change records one `TicketEvent` through `record_event`, in the change's transaction
(DESIGN.md §4 "Layers": tickets sits below the subscribers). The apps above — OLA, notifications,
the knowledge search index, the reports roll-up, and later the WeCom handlers — register a
subscriber with `subscribe()` from their `AppConfig.ready()`; this module imports none of them.
Subscribers run in registration order, which is `INSTALLED_APPS` order.

Two phases, decided by what a loss would cost:

``IN_TRANSACTION`` — what must not be lost runs inside the change's transaction, so it commits or
    rolls back with the change: OLA timers (a missed start or stop would lose or invent an
    alert) and notifications with their outbox rows (a lost row is an alert nobody gets). A
    subscriber that raises rolls the whole change back.

``AFTER_COMMIT`` — what can be rebuilt from the tickets themselves runs after commit in the
    worker: the search index of resolved tickets and the report roll-up's dirty days. The event
    row is the durable record: `record_event` sets `TicketEvent.fanout_pending` in the
    transaction and enqueues `fanout_task` on commit; the task runs the after-commit
    subscribers for the ticket's pending events and clears the flag. If the process dies
    between commit and enqueue, or the worker loses the task, `fanout_sweep_task` finds the
    pending events a minute later. Delivery is at least once, so these subscribers are
    idempotent: they re-read the ticket (under its row lock, so two workers apply one ticket's
    events in order) and write what it says now. A subscriber that raises leaves the ticket's
    events pending for the next sweep.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from andon.tickets.models import Ticket, TicketEvent

log = logging.getLogger(__name__)

IN_TRANSACTION = "in_transaction"
AFTER_COMMIT = "after_commit"
PHASES = (IN_TRANSACTION, AFTER_COMMIT)

# How long an enqueued fan-out task has before the sweeper assumes it was lost.
SWEEP_GRACE = timedelta(minutes=1)
SWEEP_LIMIT = 500


@dataclass(frozen=True)
class Subscriber:
    name: str
    phase: str
    handler: Callable  # handler(*, ticket, event)
    kinds: frozenset[str] | None  # None: every kind
    # batch_handler(*, items=[(ticket, event), ...]): the same work for many events at once
    # (see `record_events`); None: `handler` is called once per event.
    batch_handler: Callable | None = None

    def wants(self, kind: str) -> bool:
        return self.kinds is None or kind in self.kinds


_subscribers: list[Subscriber] = []
_scheduler: Callable[[int], None] | None = None
_batch_scheduler: Callable[[list[int]], None] | None = None


def subscribe(
    name: str,
    handler: Callable,
    *,
    phase: str,
    kinds: Iterable[str] | None = None,
    batch_handler: Callable | None = None,
) -> None:
    """Register `handler(*, ticket, event)` under `name`. Registering a name again replaces its
    handler in place (an app's ready() may run more than once in tests)."""
    if phase not in PHASES:
        raise ValueError(f"phase must be one of {PHASES}, not {phase!r}")
    subscriber = Subscriber(
        name, phase, handler, frozenset(kinds) if kinds is not None else None, batch_handler
    )
    for position, existing in enumerate(_subscribers):
        if existing.name == name:
            _subscribers[position] = subscriber
            return
    _subscribers.append(subscriber)


def unsubscribe(name: str) -> None:
    _subscribers[:] = [s for s in _subscribers if s.name != name]


def subscribers(phase: str | None = None) -> list[Subscriber]:
    return [s for s in _subscribers if phase is None or s.phase == phase]


def set_fanout_scheduler(
    schedule: Callable[[int], None] | None,
    schedule_many: Callable[[list[int]], None] | None = None,
) -> None:
    """The port to the worker: `schedule(ticket_id)` queues the after-commit fan-out, and
    `schedule_many(ticket_ids)` one task for a batch's tickets (`record_events`). Set by this
    app's ready() with its Huey tasks; without them the sweeper does the work."""
    global _scheduler, _batch_scheduler
    _scheduler, _batch_scheduler = schedule, schedule_many


def record_event(
    *,
    ticket: Ticket,
    kind: str,
    actor,
    before: dict | None = None,
    after: dict | None = None,
    note: str = "",
    at=None,
) -> TicketEvent:
    """Append one activity-log event in the caller's transaction, run the in-transaction
    subscribers and leave the after-commit ones a durable record."""
    pending = any(s.wants(kind) for s in subscribers(AFTER_COMMIT))
    event = TicketEvent.objects.create(
        ticket=ticket,
        kind=kind,
        actor=actor,
        before=before or {},
        after=after or {},
        note=note,
        created_at=at or timezone.now(),
        fanout_pending=pending,
    )
    for subscriber in subscribers(IN_TRANSACTION):
        if subscriber.wants(kind):
            subscriber.handler(ticket=ticket, event=event)
    if pending:
        ticket_id = ticket.pk
        transaction.on_commit(lambda: _schedule(ticket_id))
    return event


def record_events(entries: list[dict]) -> list[TicketEvent]:
    """`record_event` for many events in one transaction (the OLA catch-up writes a chunk of
    alerts at once): each entry holds `record_event`'s keyword arguments. One insert for all;
    a subscriber with a `batch_handler` sees them all in one call, any other one event at a
    time, in the entries' order."""
    if not entries:
        return []
    after_commit = subscribers(AFTER_COMMIT)
    now = timezone.now()
    events = TicketEvent.objects.bulk_create(
        [
            TicketEvent(
                ticket=e["ticket"],
                kind=e["kind"],
                actor=e.get("actor"),
                before=e.get("before") or {},
                after=e.get("after") or {},
                note=e.get("note", ""),
                created_at=e.get("at") or now,
                fanout_pending=any(s.wants(e["kind"]) for s in after_commit),
            )
            for e in entries
        ]
    )
    items = [(e["ticket"], event) for e, event in zip(entries, events, strict=True)]
    for subscriber in subscribers(IN_TRANSACTION):
        wanted = [(t, ev) for t, ev in items if subscriber.wants(ev.kind)]
        if not wanted:
            continue
        if subscriber.batch_handler is not None:
            subscriber.batch_handler(items=wanted)
        else:
            for ticket, event in wanted:
                subscriber.handler(ticket=ticket, event=event)
    ticket_ids = list(dict.fromkeys(t.pk for t, ev in items if ev.fanout_pending))
    if ticket_ids:
        # One task for the batch: a queue round trip per ticket was a large share of a chunk.
        transaction.on_commit(lambda: _schedule_many(ticket_ids))
    return events


def _schedule_many(ticket_ids: list[int]) -> None:
    if _batch_scheduler is None:
        for ticket_id in ticket_ids:
            _schedule(ticket_id)
        return
    try:
        _batch_scheduler(ticket_ids)
    except Exception:  # as in _schedule: the sweeper will
        log.exception(
            "could not queue the fan-out of %d tickets; the sweeper will", len(ticket_ids)
        )


def _schedule(ticket_id: int) -> None:
    if _scheduler is None:
        return  # the sweeper will find the pending events
    try:
        _scheduler(ticket_id)
    except Exception:  # a queue that is down must not fail a request that already committed
        log.exception("could not queue the fan-out of ticket %s; the sweeper will", ticket_id)


# --- the after-commit phase (run by the worker) -------------------------------------------------


def fan_out(*, ticket_id: int) -> int:
    """Run the after-commit subscribers for the ticket's pending events, oldest first; returns
    how many events were done (0 when a subscriber failed: they stay pending)."""
    try:
        with transaction.atomic():
            # The same lock ticket writers take: a change in flight finishes first, and two
            # workers fanning out one ticket run one after the other.
            if not Ticket.objects.select_for_update(no_key=True).filter(pk=ticket_id).exists():
                return 0  # deleted with its events
            events = list(
                TicketEvent.objects.filter(ticket_id=ticket_id, fanout_pending=True).order_by("id")
            )
            if not events:
                return 0
            ticket = Ticket.objects.get(pk=ticket_id)
            after_commit = subscribers(AFTER_COMMIT)
            for event in events:
                for subscriber in after_commit:
                    if subscriber.wants(event.kind):
                        subscriber.handler(ticket=ticket, event=event)
            TicketEvent.objects.filter(pk__in=[e.pk for e in events]).update(fanout_pending=False)
            return len(events)
    except Exception:
        log.exception("fan-out of ticket %s failed; its events stay pending", ticket_id)
        return 0


def sweep_fanout(*, now=None, grace: timedelta = SWEEP_GRACE, limit: int = SWEEP_LIMIT) -> int:
    """Fan out events whose task never ran (lost on the way to the queue, or by the worker);
    returns how many events were done."""
    cutoff = (now or timezone.now()) - grace
    ticket_ids = list(
        TicketEvent.objects.filter(fanout_pending=True, created_at__lte=cutoff)
        .order_by("ticket_id")
        .values_list("ticket_id", flat=True)
        .distinct()[:limit]
    )
    return sum(fan_out(ticket_id=ticket_id) for ticket_id in ticket_ids)
