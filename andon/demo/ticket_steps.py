"""The demo's one door into the ticket services: every ticket step of the history runs here, as of
the moment passed in as `now=`.

A ticket step is more than its own rows: dispatch, OLA timers (due dates in business time), the
notifications and the urge rate limit all derive from the step's moment, so its rows cannot be
re-dated afterwards the way the set-up rows are (`andon.demo.clock`). The ticket services take
that moment as `now=` and hand it on: to dispatch, to the `TicketEvent` they record, and through
the event to its subscribers (OLA timers and notifications take the event's `created_at`). The
OLA steps take `now=` too. Nothing patches the clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from andon.ola import engine as ola_engine
from andon.ola.models import OlaTimer
from andon.tickets import services
from andon.tickets.models import Ticket


def file_ticket(*, now: datetime, **fields) -> Ticket:
    return services.create_ticket(now=now, **fields)


def take_step(call: Callable[..., object], *, now: datetime, **arguments) -> object:
    """One ticket service call (`services.claim_ticket`, `add_comment`, a channel's filing door …)
    as of `now`; every such call takes `now=`."""
    return call(now=now, **arguments)


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
        # The steps the sweeper would hand out at `due`, run here and now rather than queued.
        steps = list(
            OlaTimer.objects.filter(next_action_at__lte=due)
            .order_by("next_action_at", "id")
            .values_list("pk", "token")
        )
        ola_engine.run_steps(steps=steps, now=due)
