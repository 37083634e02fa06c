"""The demo's one door into the ticket services: every ticket step of the history runs here, as of
the moment passed in as `now=`.

A ticket step is more than its own rows: dispatch, OLA timers (due dates in business time), the
notifications and the urge rate limit all derive from the step's moment, so its rows cannot be
re-dated afterwards the way the set-up rows are (`andon.demo.clock`). The ticket services take
that moment from `timezone.now()` today (only `create_ticket` takes `created_at=`), so this module
holds the clock at `now` for exactly one call and restores it even on errors; it is the only place
in Andon that sets the clock, and only while the demo loads. When the ticket services take `now=`
themselves, `ticket_services_at` passes it through instead and nothing else in the demo changes.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime

from django.utils import timezone

from andon.ola import engine as ola_engine
from andon.ola.models import OlaTimer
from andon.tickets import services
from andon.tickets.models import Ticket


@contextmanager
def ticket_services_at(now: datetime):
    """The ticket services (and the OLA engine and notifications they reach) see `now` as the
    current moment for the duration of the block."""
    real_now = timezone.now
    timezone.now = lambda: now
    try:
        yield
    finally:
        timezone.now = real_now


def file_ticket(*, now: datetime, **fields) -> Ticket:
    with ticket_services_at(now):
        return services.create_ticket(created_at=now, **fields)


def take_step(call: Callable[..., object], *, now: datetime, **arguments) -> object:
    """One ticket service call (`services.claim_ticket`, `add_comment`, a channel's filing door …)
    as of `now`."""
    with ticket_services_at(now):
        return call(**arguments)


def run_ola_until(now: datetime) -> None:
    """Run the OLA steps (warnings, breaches, escalations) that fell due before `now`, each at its
    own moment, as the worker would have."""
    for _ in range(100_000):
        due = (
            OlaTimer.objects.filter(next_action_at__lte=now)
            .order_by("next_action_at")
            .values_list("next_action_at", flat=True)
            .first()
        )
        if due is None:
            return
        with ticket_services_at(due):
            if not ola_engine.sweep(now=due):
                return
