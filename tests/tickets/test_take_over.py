"""Take-over (认领: make myself the current handler of a ticket someone else holds): who may, what
the log and the previous handler get, and the OLA rules. Concurrent take-overs are serialised by the
ticket's row lock (real threads and connections; PostgreSQL when DATABASE_URL points there)."""

import datetime as dt

import pytest
import time_machine

from andon.accounts.models import Role
from andon.core.errors import Conflict, PermissionDenied
from andon.notifications.models import Notification
from andon.ola.models import OlaPolicy, OlaTimer
from andon.tickets import services, workflow
from andon.tickets.models import EventKind, Status, Ticket, TicketEvent
from tests import factories
from tests.ola.test_engine import all_week_calendar
from tests.tickets.test_claim_race import run_together

T0 = dt.datetime(2030, 3, 4, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def held(db, queue, handlers, entry, requester):
    OlaPolicy.objects.create(
        queue=queue,
        calendar=all_week_calendar(),
        response_minutes={"L3": 60},
        resolution_minutes={"L3": 240},
    )
    with time_machine.travel(T0, tick=False):
        ticket = factories.make_ticket(actor=requester, entry=entry, priority="L3")
    return Ticket.objects.get(pk=ticket.pk)


def test_a_queue_member_takes_over_a_dispatched_ticket(held, handlers):
    first, second = held.assignee, next(h for h in handlers if h != held.assignee)
    assert workflow.available_actions(second, held, workflow.WEB).count("take-over") == 1
    assert "take-over" not in workflow.available_actions(first, held)  # already theirs
    with time_machine.travel(T0 + dt.timedelta(minutes=20), tick=False):
        services.take_over_ticket(ticket_id=held.pk, actor=second, note="我熟悉这台打印机")
    ticket = Ticket.objects.get(pk=held.pk)
    assert ticket.assignee == second and ticket.status == Status.PROCESSING
    event = ticket.events.get(kind=EventKind.TAKEN_OVER)
    assert event.before["assignee"]["id"] == first.pk
    assert event.after["assignee"]["id"] == second.pk and event.note == "我熟悉这台打印机"
    # the previous handler is told
    told = Notification.objects.get(recipient=first, kind=EventKind.TAKEN_OVER)
    assert "我熟悉这台打印机" in told.body
    # OLA: the response is met by the take-over; the resolution clock runs on, same queue
    response = OlaTimer.objects.get(ticket=ticket, metric="response")
    resolution = OlaTimer.objects.get(ticket=ticket, metric="resolution")
    assert response.state == "met" and response.elapsed_seconds == 20 * 60
    assert resolution.state == "running" and resolution.active
    assert ticket.first_response_at == T0 + dt.timedelta(minutes=20)


def test_a_take_over_while_waiting_on_the_requester_keeps_waiting(held, handlers, requester):
    first = held.assignee
    second = next(h for h in handlers if h != first)
    services.claim_ticket(ticket_id=held.pk, actor=first)
    services.request_info(ticket_id=held.pk, actor=first, note="请提供型号")
    services.take_over_ticket(ticket_id=held.pk, actor=second)
    ticket = Ticket.objects.get(pk=held.pk)
    assert ticket.status == Status.NEED_INFO and ticket.assignee == second
    # the clocks stay paused
    assert OlaTimer.objects.get(ticket=ticket, metric="resolution").state == "paused"


def test_who_may_take_over(held, handlers, requester):
    outsider = factories.handler()
    with pytest.raises(PermissionDenied):
        services.take_over_ticket(ticket_id=held.pk, actor=requester)
    # a collaborator with the handling permission may; one without it may not
    services.add_collaborator(ticket_id=held.pk, actor=held.assignee, user_id=outsider.pk)
    reader = factories.UserFactory()
    reader.roles.add(Role.objects.create(name="只提单", permissions=["tickets.create"]))
    services.add_collaborator(ticket_id=held.pk, actor=held.assignee, user_id=reader.pk)
    with pytest.raises(PermissionDenied):
        services.take_over_ticket(ticket_id=held.pk, actor=reader)
    services.take_over_ticket(ticket_id=held.pk, actor=outsider)
    ticket = Ticket.objects.get(pk=held.pk)
    assert ticket.assignee == outsider
    # the new owner is no longer listed as a collaborator of their own ticket
    assert not ticket.collaborators.filter(user=outsider).exists()
    # a manager may too
    admin = factories.admin()
    services.take_over_ticket(ticket_id=held.pk, actor=admin)
    assert Ticket.objects.get(pk=held.pk).assignee == admin


def test_a_ticket_in_the_pool_is_claimed_not_taken_over(db, handlers, requester):
    queue = factories.QueueFactory(dispatch_rule="manual")
    factories.add_members(queue, handlers[0])
    ticket = factories.make_ticket(actor=requester, entry=factories.catalog_leaf(queue))
    with pytest.raises(Conflict) as refused:
        services.take_over_ticket(ticket_id=ticket.pk, actor=handlers[0])
    assert refused.value.code == "not_assigned"
    # and a held ticket is still not claimable: the page offers take-over instead
    services.claim_ticket(ticket_id=ticket.pk, actor=handlers[0])
    factories.add_members(queue, handlers[1])
    with pytest.raises(Conflict) as taken:
        services.claim_ticket(ticket_id=ticket.pk, actor=handlers[1])
    assert taken.value.code == "already_claimed"
    assert workflow.allows("take-over", handlers[1], Ticket.objects.get(pk=ticket.pk))


@pytest.mark.django_db(transaction=True)
def test_simultaneous_take_overs_are_serialised():
    """Two members take over at the same instant: both succeed, one after the other, so the log
    reads first handler -> A -> B (or -> B -> A) and the ticket has exactly one owner, the
    last one; neither take-over is from the stale original holder."""
    queue = factories.QueueFactory()
    holder, a, b = factories.handler(), factories.handler(), factories.handler()
    factories.add_members(queue, holder)
    ticket = factories.make_ticket(actor=factories.requester(), entry=factories.catalog_leaf(queue))
    assert ticket.assignee_id == holder.pk
    factories.add_members(queue, a, b)

    def take_over_as(user_pk):
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.get(pk=user_pk)
        return services.take_over_ticket(ticket_id=ticket.pk, actor=user).assignee_id

    results = run_together(lambda: take_over_as(a.pk), lambda: take_over_as(b.pk))
    assert sorted(results) == sorted([a.pk, b.pk]), results
    events = list(
        TicketEvent.objects.filter(ticket=ticket, kind=EventKind.TAKEN_OVER).order_by("id")
    )
    assert len(events) == 2
    assert events[0].before["assignee"]["id"] == holder.pk
    assert events[1].before["assignee"]["id"] == events[0].actor_id
    assert Ticket.objects.get(pk=ticket.pk).assignee_id == events[1].actor_id
