"""Tickets created at the same moment on one queue: the queue row lock keeps the rule's memory
(round-robin position, loads) consistent, so they go to different people."""

import time

import pytest

from andon.queues import services as queue_services
from andon.queues.models import Queue
from tests import factories
from tests.tickets.test_claim_race import run_together

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def slow_candidates(monkeypatch):
    """Widen the window between reading the queue's state and writing it back."""
    real = queue_services.dispatch_roster

    def slow(queue, **kwargs):
        time.sleep(0.3)
        return real(queue, **kwargs)

    monkeypatch.setattr(queue_services, "dispatch_roster", slow)


def _create_together(entry, requester, count):
    from django.contrib.auth import get_user_model

    def create(n):
        user = get_user_model().objects.get(pk=requester.pk)
        ticket = factories.make_ticket(actor=user, entry=entry, title=f"并发工单 {n}")
        return ticket.assignee_id

    return run_together(*[lambda n=n: create(n) for n in range(count)])


@pytest.mark.parametrize("rule", ["round_robin", "least_loaded"])
def test_simultaneous_tickets_go_to_different_members(slow_candidates, rule):
    factories.ensure_builtin_roles()
    queue = factories.QueueFactory(dispatch_rule=rule)
    people = [factories.handler() for _ in range(3)]
    factories.add_members(queue, *people)
    entry = factories.catalog_leaf(queue)
    requester = factories.requester()

    results = _create_together(entry, requester, 2)

    assert all(isinstance(r, int) for r in results), results
    assert len(set(results)) == 2
    assert set(results) == {people[0].pk, people[1].pk}
    assert Queue.objects.get(pk=queue.pk).last_assigned_id in results


def test_three_simultaneous_tickets_cover_the_whole_rotation():
    factories.ensure_builtin_roles()
    queue = factories.QueueFactory(dispatch_rule="round_robin")
    people = [factories.handler() for _ in range(3)]
    factories.add_members(queue, *people)
    entry = factories.catalog_leaf(queue)

    results = _create_together(entry, factories.requester(), 3)

    assert sorted(results) == sorted(p.pk for p in people), results
