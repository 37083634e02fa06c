"""Two workers sweep the same due clock at the same moment, on real threads and connections:
the ticket row lock lets one confirm it; the other finds nothing left to do."""

from collections import Counter

import pytest

from andon.followup import services
from andon.followup.models import FollowUpClock
from andon.tickets.models import EventKind, Status, TicketEvent
from tests import factories
from tests.tickets.conftest import advance
from tests.tickets.test_claim_race import run_together

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_sweeps_confirm_once():
    queue = factories.QueueFactory()
    handler, requester = factories.handler(), factories.requester()
    factories.add_members(queue, handler)
    ticket = factories.make_ticket(actor=requester, entry=factories.catalog_leaf(queue))
    advance(ticket, Status.TO_CONFIRM, handler=handler, requester=requester)
    due = FollowUpClock.objects.get(ticket=ticket).due_at

    results = run_together(lambda: services.run_due(now=due), lambda: services.run_due(now=due))
    assert not any(isinstance(r, BaseException) for r in results), results
    assert sum(results, Counter())["confirmed"] == 1
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.CONFIRMED).count() == 1
    ticket.refresh_from_db()
    assert ticket.status == Status.DONE
