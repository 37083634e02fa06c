"""Two people act on the same ticket at the same moment, on real threads and connections. On
PostgreSQL the ticket row lock serialises them; on SQLite the IMMEDIATE transactions do."""

import threading
import time

import pytest
from django.db import connection

from andon.core.errors import Conflict
from andon.tickets import policies, services
from andon.tickets.models import EventKind, Ticket, TicketEvent
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(*jobs):
    """Start every job at the same instant on its own thread and connection; return results
    (a value or the exception raised) in order."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def runner(index, job):
        try:
            barrier.wait(timeout=10)
            results[index] = job()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results


@pytest.fixture
def slow_claim_decision(monkeypatch):
    """Hold the lock a little longer once it is taken, so the other claim is sure to arrive
    while the first is still undecided (without the lock both would see an unclaimed ticket)."""
    real = policies.can_claim

    def slow(user, ticket):
        time.sleep(0.3)
        return real(user, ticket)

    monkeypatch.setattr(policies, "can_claim", slow)


def test_two_simultaneous_claims_have_exactly_one_winner(slow_claim_decision):
    factories.ensure_builtin_roles()
    queue = factories.QueueFactory(dispatch_rule="manual")
    first, second = factories.handler(), factories.handler()
    factories.add_members(queue, first, second)
    requester = factories.requester()
    ticket = factories.make_ticket(actor=requester, entry=factories.catalog_leaf(queue))
    assert ticket.assignee is None

    def claim_as(user_pk):
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.get(pk=user_pk)
        return services.claim_ticket(ticket_id=ticket.pk, actor=user).assignee_id

    results = run_together(lambda: claim_as(first.pk), lambda: claim_as(second.pk))

    winners = [r for r in results if isinstance(r, int)]
    losers = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1, results
    assert len(losers) == 1, results
    assert losers[0].code == "already_claimed"
    ticket.refresh_from_db()
    assert ticket.assignee_id == winners[0]
    claims = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.CLAIMED)
    assert list(claims.values_list("actor_id", flat=True)) == winners


def test_many_simultaneous_claims_still_have_one_winner():
    factories.ensure_builtin_roles()
    queue = factories.QueueFactory(dispatch_rule="manual")
    people = [factories.handler() for _ in range(5)]
    factories.add_members(queue, *people)
    ticket = factories.make_ticket(actor=factories.requester(), entry=factories.catalog_leaf(queue))

    def claim_as(user_pk):
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.get(pk=user_pk)
        return services.claim_ticket(ticket_id=ticket.pk, actor=user).assignee_id

    results = run_together(*[lambda pk=p.pk: claim_as(pk) for p in people])
    assert sum(isinstance(r, int) for r in results) == 1, results
    assert all(isinstance(r, int) or getattr(r, "code", "") == "already_claimed" for r in results)
    assert Ticket.objects.get(pk=ticket.pk).assignee_id in {p.pk for p in people}
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.CLAIMED).count() == 1


def test_a_double_clicked_urge_counts_once():
    factories.ensure_builtin_roles()
    queue = factories.QueueFactory()
    factories.add_members(queue, factories.handler())
    requester = factories.requester()
    ticket = factories.make_ticket(actor=requester, entry=factories.catalog_leaf(queue))

    def urge():
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.get(pk=requester.pk)
        return services.urge_ticket(ticket_id=ticket.pk, actor=user).urge_count

    results = run_together(urge, urge)
    assert sorted(type(r).__name__ for r in results) == ["RateLimited", "int"], results
    assert Ticket.objects.get(pk=ticket.pk).urge_count == 1
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.URGED).count() == 1
