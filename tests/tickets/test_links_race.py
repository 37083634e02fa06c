"""Two people merge a pair of tickets into each other at the same moment, and two people close a
parent loop from both ends: the locks let exactly one through, the other gets a clear refusal."""

import pytest

from andon.core.errors import Conflict
from andon.tickets.link_models import TicketLink
from andon.tickets.models import Status, Ticket
from andon.tickets.services import links
from tests import factories
from tests.tickets.test_claim_race import run_together

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def pair():
    queue = factories.QueueFactory()
    first, second = factories.handler(), factories.handler()
    factories.add_members(queue, first, second)
    requester = factories.requester()
    entry = factories.catalog_leaf(queue)
    a = factories.make_ticket(actor=requester, entry=entry)
    b = factories.make_ticket(actor=requester, entry=entry)
    return a, b, first, second


def test_crossed_merges_close_exactly_one(pair):
    a, b, first, second = pair
    results = run_together(
        lambda: links.merge_ticket(ticket_id=a.pk, actor=first, into=b.pk),
        lambda: links.merge_ticket(ticket_id=b.pk, actor=second, into=a.pk),
    )
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(refused) == 1, results
    statuses = sorted(Ticket.objects.filter(pk__in=(a.pk, b.pk)).values_list("status", flat=True))
    assert statuses == sorted([Status.CLOSED, Status.PENDING])
    assert TicketLink.objects.count() == 1


def test_crossed_parent_links_make_no_loop(pair):
    a, b, first, second = pair
    results = run_together(
        lambda: links.link_tickets(ticket_id=a.pk, actor=first, other=b.pk, relation="parent"),
        lambda: links.link_tickets(ticket_id=b.pk, actor=second, other=a.pk, relation="parent"),
    )
    assert sum(isinstance(r, Conflict) for r in results) == 1, results
    assert TicketLink.objects.count() == 1
