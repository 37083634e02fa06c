import pytest

from andon.queues.models import Queue, QueueMembership
from andon.queues.selectors import dispatch_candidates
from andon.queues.services import pick_assignee
from andon.tickets import services
from andon.tickets.models import EventKind, Status
from tests import factories


@pytest.fixture
def team(queue):
    people = [factories.handler(display_name=name) for name in ("甲", "乙", "丙")]
    factories.add_members(queue, *people)
    return people


@pytest.fixture
def file(entry, requester):
    def file_one():
        return factories.make_ticket(actor=requester, entry=entry)

    return file_one


def _set(user, **fields):
    for name, value in fields.items():
        setattr(user, name, value)
    user.save()


# --- round robin ---------------------------------------------------------------------------------


def test_round_robin_cycles_through_members_in_join_order(team, file, queue):
    assignees = [file().assignee for _ in range(7)]
    assert assignees == [team[0], team[1], team[2], team[0], team[1], team[2], team[0]]
    queue.refresh_from_db()
    assert queue.last_assigned == team[0]


def test_round_robin_remembers_its_place_across_calls(team, queue):
    assert pick_assignee(queue=Queue.objects.get(pk=queue.pk)) == team[0]
    # A fresh object each time: the place lives in the database, not in memory.
    assert pick_assignee(queue=Queue.objects.get(pk=queue.pk)) == team[1]
    assert Queue.objects.get(pk=queue.pk).last_assigned == team[1]


def test_round_robin_skips_an_unavailable_member(team, file):
    assert file().assignee == team[0]
    _set(team[1], is_available=False)
    assert file().assignee == team[2]
    assert file().assignee == team[0]


def test_round_robin_keeps_its_place_when_the_last_served_becomes_unavailable(team, file):
    assert file().assignee == team[0]
    assert file().assignee == team[1]
    _set(team[1], is_available=False)
    # After 乙 comes 丙, even though 乙 is no longer available.
    assert file().assignee == team[2]
    assert file().assignee == team[0]
    _set(team[1], is_available=True)
    assert file().assignee == team[1]


def test_round_robin_restarts_from_the_top_when_the_last_served_left(team, file, queue):
    assert file().assignee == team[0]
    assert file().assignee == team[1]
    QueueMembership.objects.filter(queue=queue, user=team[1]).delete()
    assert file().assignee == team[0]


def test_inactive_users_never_get_tickets(team, file):
    _set(team[0], is_active=False)
    _set(team[2], is_active=False)
    assert {file().assignee for _ in range(4)} == {team[1]}


def test_a_member_of_several_queues_is_counted_once(team, queue, file):
    other = factories.QueueFactory()
    factories.add_members(other, team[0])
    candidates = list(dispatch_candidates(queue))
    assert [u.pk for u in candidates] == [u.pk for u in team]
    assert [file().assignee for _ in range(3)] == team


# --- least loaded --------------------------------------------------------------------------------


def test_least_loaded_picks_the_member_with_fewest_unfinished_tickets(team, queue, file):
    queue.dispatch_rule = "least_loaded"
    queue.save()
    # 甲 holds two unfinished tickets, 乙 one, 丙 one finished one.
    elsewhere = factories.QueueFactory(dispatch_rule="manual")
    factories.add_members(elsewhere, *team)
    requester = factories.requester()
    entry = factories.catalog_leaf(elsewhere)

    def held_by(user, status):
        ticket = factories.make_ticket(actor=requester, entry=entry)
        services.claim_ticket(ticket_id=ticket.pk, actor=user)
        if status == Status.TO_CONFIRM:
            services.resolve_ticket(ticket_id=ticket.pk, actor=user, resolution="ok")
        if status == Status.CLOSED:
            services.close_ticket(ticket_id=ticket.pk, actor=factories.admin())

    held_by(team[0], Status.PROCESSING)
    held_by(team[0], Status.TO_CONFIRM)  # waiting for confirmation still counts
    held_by(team[1], Status.PROCESSING)
    held_by(team[2], Status.CLOSED)  # finished work does not

    assert file().assignee == team[2]  # 0 open
    # now 甲 2, 乙 1, 丙 1: a tie goes to the earlier member
    assert file().assignee == team[1]
    # 甲 2, 乙 2, 丙 1
    assert file().assignee == team[2]


def test_least_loaded_ignores_unavailable_and_inactive_members(team, queue, file):
    queue.dispatch_rule = "least_loaded"
    queue.save()
    _set(team[0], is_available=False)
    _set(team[1], is_active=False)
    assert {file().assignee for _ in range(3)} == {team[2]}


# --- the pool ------------------------------------------------------------------------------------


def test_manual_queue_leaves_the_ticket_in_the_pool_with_an_event(team, queue, file):
    queue.dispatch_rule = "manual"
    queue.save()
    ticket = file()
    assert ticket.assignee is None
    assert ticket.status == Status.PENDING
    event = ticket.events.last()
    assert event.kind == EventKind.UNDISPATCHED
    assert event.after == {"queue": {"id": queue.pk, "name": queue.name}, "reason": "manual"}
    assert queue.name in event.note
    assert "手动认领" in event.note
    assert Queue.objects.get(pk=queue.pk).last_assigned is None


def test_disabled_queue_leaves_the_ticket_in_the_pool_and_says_why(team, queue, file, monkeypatch):
    # Filing under a disabled queue is refused up front; a ticket still lands on one when the
    # queue is disabled while the ticket is being filed (between the check and the dispatch).
    real_pick = pick_assignee

    def disabled_meanwhile(*, queue, exclude=(), now=None):
        Queue.objects.filter(pk=queue.pk).update(is_enabled=False)
        return real_pick(queue=queue, exclude=exclude, now=now)

    monkeypatch.setattr("andon.tickets.services.common.pick_assignee", disabled_meanwhile)
    ticket = file()
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert ticket.status == Status.PENDING
    assert ticket.queue == queue
    event = ticket.events.last()
    assert event.kind == EventKind.UNDISPATCHED
    assert event.after["reason"] == "queue_disabled"
    assert event.note == f"队列「{queue.name}」已停用，工单留在待认领池"


def test_disabling_is_read_from_the_database_not_a_stale_object(team, queue):
    stale = Queue.objects.get(pk=queue.pk)
    Queue.objects.filter(pk=queue.pk).update(is_enabled=False)
    assert pick_assignee(queue=stale) is None
    assert stale.is_enabled is False


def test_nobody_available_leaves_the_ticket_in_the_pool_and_says_why(team, queue, file):
    for person in team:
        _set(person, is_available=False)
    ticket = file()
    assert ticket.assignee is None
    assert ticket.status == Status.PENDING
    event = ticket.events.last()
    assert event.kind == EventKind.UNDISPATCHED
    assert event.after["reason"] == "nobody_available"
    assert "没有可接单的成员" in event.note


def test_queue_without_members_leaves_the_ticket_in_the_pool(queue, file):
    ticket = file()
    assert ticket.assignee is None
    assert ticket.events.last().after["reason"] == "nobody_available"


def test_a_pool_ticket_is_claimed_by_a_member(team, queue, file):
    queue.dispatch_rule = "manual"
    queue.save()
    ticket = file()
    services.claim_ticket(ticket_id=ticket.pk, actor=team[2])
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.status) == (team[2], Status.PROCESSING)


def test_excluded_members_are_skipped_without_losing_the_place(team, queue):
    assert pick_assignee(queue=queue) == team[0]
    assert pick_assignee(queue=queue, exclude={team[1].pk}) == team[2]
    assert pick_assignee(queue=queue) == team[0]
    assert pick_assignee(queue=queue, exclude={p.pk for p in team}) is None
