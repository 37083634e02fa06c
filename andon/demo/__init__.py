"""Demo data: 星河科技, a mid-sized software company with an IT service desk.

`andon demo` (and `andon run` on an empty database) loads an org chart with leaders, about thirty
people in every role (`people`), queues with each dispatch rule, calendars and OLA policies
(`queues`), a two-level service catalog (`catalog`), knowledge articles, the customers the frontline
serves (`customers`) and about three hundred tickets over the last ninety days (`planning`,
`history`). Everything goes through the services, so the activity log, dispatch, OLA timers and
notifications are real. Time is passed in: the company is set up at one moment in the past
(`clock.backdate_since`), and each ticket step runs at its own planned moment
(`ticket_steps`).

Loading is idempotent: the demo company's root department is the marker.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from andon.accounts.models import Department
from andon.catalog.models import CatalogEntry
from andon.demo.catalog import build_catalog
from andon.demo.clock import backdate_since
from andon.demo.customers import CUSTOMER_TICKETS, build_customers, file_customer_tickets
from andon.demo.history import History
from andon.demo.people import ADMIN_USERNAME, COMPANY, LOGINS, build_people, fresh_users
from andon.demo.planning import HISTORY_DAYS
from andon.demo.queues import build_ola, build_queues
from andon.knowledge.demo_articles import load_demo_articles
from andon.queues.models import Queue
from andon.reports import rollup as report_rollup
from andon.tickets.models import Ticket, TicketEvent

__all__ = [
    "ADMIN_USERNAME",
    "COMPANY",
    "LOGINS",
    "TICKET_COUNT",
    "DemoRefused",
    "Summary",
    "demo_logins",
    "is_first_start",
    "is_loaded",
    "load_demo",
]

User = get_user_model()

TICKET_COUNT = 300
# The company was set up well before the ticket history starts.
SET_UP_DAYS_BEFORE_HISTORY = 30


def is_loaded() -> bool:
    return Department.objects.filter(name=COMPANY, parent__isnull=True).exists()


def is_first_start() -> bool:
    """`andon run` loads the demo only into a database nobody has used yet (no accounts at all);
    the database itself remembers that the first start happened."""
    return not User.objects.exists()


def demo_logins() -> list[tuple[str, str, str]]:
    if not is_loaded():
        return []
    present = set(
        User.objects.filter(username__in=[u for u, _, _ in LOGINS]).values_list(
            "username", flat=True
        )
    )
    return [row for row in LOGINS if row[0] in present]


class DemoRefused(Exception):
    pass


@dataclass
class Summary:
    created: bool
    users: int = 0
    queues: int = 0
    catalog_entries: int = 0
    tickets: int = 0
    events: int = 0
    # Planned steps a service refused (the plan did not foresee a rule); a handful at most.
    skipped_steps: int = 0

    def __str__(self) -> str:
        if not self.created:
            return "Demo data is already loaded; nothing to do."
        return (
            f"Demo company {COMPANY}: {self.users} people, {self.queues} queues, "
            f"{self.catalog_entries} catalog entries, {self.tickets} tickets, {self.events} events."
        )


def load_demo(
    *, tickets: int = TICKET_COUNT, seed: int = 20261124, now: datetime | None = None
) -> Summary:
    """Load the demo company once, with its history ending at `now`. Refuses a database that
    already holds queues, catalog entries or tickets of its own: demo accounts with published
    passwords must never land in real data."""
    if is_loaded():
        return Summary(created=False)
    if Queue.objects.exists() or CatalogEntry.objects.exists() or Ticket.objects.exists():
        raise DemoRefused(
            "This database already has queues, catalog entries or tickets; the demo company is "
            "only loaded into an empty Andon."
        )
    now = now or timezone.now()
    rng = random.Random(seed)
    with transaction.atomic():
        set_up_at = now - timedelta(days=HISTORY_DAYS + SET_UP_DAYS_BEFORE_HISTORY)
        started = timezone.now()
        users = build_people(rng=rng, now=set_up_at)
        admin = users[ADMIN_USERNAME]
        queues = build_queues(admin=admin, users=users)
        leaves = build_catalog(admin=admin, queues=queues)
        build_ola(admin=admin, queues=queues)
        users = fresh_users(users)
        load_demo_articles(users[ADMIN_USERNAME])
        build_customers(users=users)
        backdate_since(started, to=set_up_at)

        history = History(rng=rng, now=now, users=users, queues=queues, leaves=leaves)
        # The last few come from customer chats, so the sidebar has a history to show.
        from_chats = min(len(CUSTOMER_TICKETS), max(0, tickets - 1))
        history.replay(tickets - from_chats)
        file_customer_tickets(users=users, now=now, plans=CUSTOMER_TICKETS[:from_chats])
        # The history's days were marked as they happened; sum them now so 报表 has numbers
        # before the worker's first minute.
        report_rollup.rebuild()
        return Summary(
            created=True,
            users=len(users),
            queues=len(queues),
            catalog_entries=CatalogEntry.objects.count(),
            tickets=Ticket.objects.count(),
            events=TicketEvent.objects.count(),
            skipped_steps=history.skipped,
        )
