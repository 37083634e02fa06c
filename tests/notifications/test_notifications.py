import datetime as dt

import pytest
import time_machine
from django.db import IntegrityError, transaction

from andon.notifications.models import Notification
from andon.notifications.services import mark_read, notify_for_event
from andon.queues.models import Queue
from andon.queues.services import pick_assignee
from andon.tickets import services
from andon.tickets.models import EventKind, Status
from tests import factories


@pytest.fixture
def team(queue):
    people = [factories.handler() for _ in range(3)]
    factories.add_members(queue, *people)
    return people


@pytest.fixture
def ticket(team, entry, requester):
    return factories.make_ticket(actor=requester, entry=entry)  # -> team[0]


def _last_event(ticket):
    return ticket.events.order_by("-id").first()


def recipients(event):
    return set(Notification.objects.filter(event=event).values_list("recipient_id", flat=True))


def test_dispatch_notifies_the_assignee(ticket, team):
    event = _last_event(ticket)
    assert event.kind == EventKind.DISPATCHED
    assert recipients(event) == {team[0].pk}
    note = Notification.objects.get(event=event)
    assert note.ticket == ticket
    assert note.kind == "dispatched"
    assert note.title == f"{ticket.number} 派单：{ticket.title}"
    assert note.read_at is None
    # Creating the ticket itself tells nobody: the dispatch does.
    assert recipients(ticket.events.first()) == set()


def test_a_pool_ticket_notifies_the_active_queue_members(queue, team, entry, requester):
    queue.dispatch_rule = "manual"
    queue.save()
    team[2].is_active = False
    team[2].save()
    ticket = factories.make_ticket(actor=requester, entry=entry)
    assert recipients(_last_event(ticket)) == {team[0].pk, team[1].pk}


def test_a_ticket_of_a_disabled_queue_tells_its_members_it_is_stuck(
    queue, team, entry, requester, monkeypatch
):
    # Filing under a disabled queue is refused up front; a ticket still lands on one when the
    # queue is disabled while the ticket is being filed (between the check and the dispatch).
    real_pick = pick_assignee

    def disabled_meanwhile(*, queue, exclude=(), now=None):
        Queue.objects.filter(pk=queue.pk).update(is_enabled=False)
        return real_pick(queue=queue, exclude=exclude, now=now)

    monkeypatch.setattr("andon.tickets.services.common.pick_assignee", disabled_meanwhile)
    ticket = factories.make_ticket(actor=requester, entry=entry)
    assert recipients(_last_event(ticket)) == {p.pk for p in team}


def test_urge_notifies_the_assignee_only(ticket, team, requester):
    services.urge_ticket(ticket_id=ticket.pk, actor=requester, note="快点")
    event = _last_event(ticket)
    assert recipients(event) == {team[0].pk}
    assert Notification.objects.get(event=event).body == f"{requester.name} 催单：快点"


def test_urging_a_pool_ticket_notifies_the_queue(queue, team, entry, requester):
    queue.dispatch_rule = "manual"
    queue.save()
    ticket = factories.make_ticket(actor=requester, entry=entry)
    services.urge_ticket(ticket_id=ticket.pk, actor=requester)
    assert recipients(_last_event(ticket)) == {p.pk for p in team}


def test_a_queue_member_urging_is_not_notified_themselves(queue, team, entry, requester):
    queue.dispatch_rule = "manual"
    queue.save()
    ticket = factories.make_ticket(actor=requester, entry=entry)
    services.urge_ticket(ticket_id=ticket.pk, actor=team[1])
    assert recipients(_last_event(ticket)) == {team[0].pk, team[2].pk}


def test_requester_comment_notifies_the_assignee(ticket, team, requester):
    services.add_comment(ticket_id=ticket.pk, actor=requester, body="补充信息")
    assert recipients(_last_event(ticket)) == {team[0].pk}


def test_requester_comment_on_a_pool_ticket_notifies_the_queue(queue, team, entry, requester):
    queue.dispatch_rule = "manual"
    queue.save()
    ticket = factories.make_ticket(actor=requester, entry=entry)
    services.add_comment(ticket_id=ticket.pk, actor=requester, body="有人吗")
    assert recipients(_last_event(ticket)) == {p.pk for p in team}


def test_public_comment_by_handling_side_notifies_the_requester(ticket, team, requester):
    services.add_comment(ticket_id=ticket.pk, actor=team[0], body="在看了")
    assert recipients(_last_event(ticket)) == {requester.pk}
    services.add_comment(ticket_id=ticket.pk, actor=team[1], body="我也来看看")
    assert recipients(_last_event(ticket)) == {requester.pk, team[0].pk}


def test_internal_comment_never_reaches_the_requester(ticket, team, requester):
    services.add_comment(ticket_id=ticket.pk, actor=team[1], body="内部讨论", is_internal=True)
    assert recipients(_last_event(ticket)) == {team[0].pk}
    services.add_comment(ticket_id=ticket.pk, actor=team[0], body="内部记录", is_internal=True)
    assert recipients(_last_event(ticket)) == set()
    assert not Notification.objects.filter(recipient=requester, kind="commented").exists()


@pytest.mark.parametrize(
    ("step", "kind"),
    [
        (lambda t, h, r: services.claim_ticket(ticket_id=t.pk, actor=h), EventKind.CLAIMED),
        (
            lambda t, h, r: services.request_info(ticket_id=t.pk, actor=h, note="型号？"),
            EventKind.NEED_INFO,
        ),
        (
            lambda t, h, r: services.resolve_ticket(ticket_id=t.pk, actor=h, resolution="ok"),
            EventKind.RESOLVED,
        ),
    ],
)
def test_status_changes_by_the_handler_notify_the_requester(ticket, team, requester, step, kind):
    step(ticket, team[0], requester)
    event = _last_event(ticket)
    assert event.kind == kind
    assert recipients(event) == {requester.pk}


def test_requester_moves_notify_the_assignee(ticket, team, requester):
    services.claim_ticket(ticket_id=ticket.pk, actor=team[0])
    services.request_info(ticket_id=ticket.pk, actor=team[0], note="型号？")
    services.resume_ticket(ticket_id=ticket.pk, actor=requester, note="HP 1020")
    assert recipients(_last_event(ticket)) == {team[0].pk}
    services.resolve_ticket(ticket_id=ticket.pk, actor=team[0], resolution="换硒鼓")
    services.reopen_ticket(ticket_id=ticket.pk, actor=requester, reason="还是不行")
    assert recipients(_last_event(ticket)) == {team[0].pk}
    services.resolve_ticket(ticket_id=ticket.pk, actor=team[0], resolution="换打印机")
    services.confirm_ticket(ticket_id=ticket.pk, actor=requester)
    assert recipients(_last_event(ticket)) == {team[0].pk}
    services.close_ticket(ticket_id=ticket.pk, actor=requester)
    assert recipients(_last_event(ticket)) == {team[0].pk}


def test_a_manager_cancelling_tells_both_sides(ticket, team, requester, admin_user):
    services.cancel_ticket(ticket_id=ticket.pk, actor=admin_user, reason="重复提交")
    event = _last_event(ticket)
    assert event.kind == EventKind.CANCELLED
    assert recipients(event) == {requester.pk, team[0].pk}


def test_the_handler_resuming_tells_the_requester(ticket, team, requester):
    services.claim_ticket(ticket_id=ticket.pk, actor=team[0])
    services.request_info(ticket_id=ticket.pk, actor=team[0], note="型号？")
    services.resume_ticket(ticket_id=ticket.pk, actor=team[0], note="已电话确认")
    assert recipients(_last_event(ticket)) == {requester.pk}


def test_transfer_to_a_person_tells_that_person(ticket, team):
    services.claim_ticket(ticket_id=ticket.pk, actor=team[0])
    services.transfer_ticket(ticket_id=ticket.pk, actor=team[0], assignee_id=team[2].pk)
    assert recipients(_last_event(ticket)) == {team[2].pk}


def test_a_deactivated_requester_is_not_notified(ticket, team, requester):
    requester.is_active = False
    requester.save()
    services.claim_ticket(ticket_id=ticket.pk, actor=team[0])
    assert recipients(_last_event(ticket)) == set()


def test_the_actor_is_never_notified(ticket, team, requester, admin_user):
    services.claim_ticket(ticket_id=ticket.pk, actor=team[0])
    services.add_comment(ticket_id=ticket.pk, actor=team[0], body="处理中")
    services.resolve_ticket(ticket_id=ticket.pk, actor=team[0], resolution="ok")
    services.confirm_ticket(ticket_id=ticket.pk, actor=requester)
    for event in ticket.events.all():
        if event.actor_id:
            assert event.actor_id not in recipients(event), event.kind


# --- idempotence and reading -------------------------------------------------------------------


def test_notifying_twice_for_one_event_writes_once(ticket, team):
    event = _last_event(ticket)
    assert Notification.objects.filter(event=event).count() == 1
    notify_for_event(event=event, ticket=ticket)
    notify_for_event(event=event, ticket=ticket)
    assert Notification.objects.filter(event=event).count() == 1


def test_the_database_refuses_a_duplicate(ticket, team):
    existing = Notification.objects.get(event=_last_event(ticket))
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(
            recipient=existing.recipient,
            ticket=ticket,
            event=existing.event,
            kind=existing.kind,
            title="again",
            created_at=existing.created_at,
        )


def test_mark_read(ticket, team, requester):
    services.add_comment(ticket_id=ticket.pk, actor=requester, body="一")
    services.add_comment(ticket_id=ticket.pk, actor=requester, body="二")
    mine = list(Notification.objects.filter(recipient=team[0]).order_by("id"))
    assert len(mine) == 3  # dispatched + two comments
    others = Notification.objects.create(
        recipient=requester, ticket=ticket, kind="x", title="x", created_at=mine[0].created_at
    )
    moment = dt.datetime(2025, 6, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(moment, tick=False):
        # Someone else's id and garbage are ignored.
        assert mark_read(user=team[0], notification_ids=[mine[0].pk, others.pk, "x"]) == 1
    mine[0].refresh_from_db()
    others.refresh_from_db()
    assert mine[0].read_at == moment
    assert others.read_at is None
    assert mark_read(user=team[0], notification_ids=[mine[0].pk]) == 0  # already read
    assert mark_read(user=team[0]) == 2
    assert not Notification.objects.filter(recipient=team[0], read_at__isnull=True).exists()
    assert mark_read(user=team[0]) == 0


def test_notifications_roll_back_with_the_action(ticket, team, requester, monkeypatch):
    before = Notification.objects.count()

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    from andon.tickets import events

    real = events.record_event

    def record_then_explode(**kwargs):
        real(**kwargs)
        explode()

    monkeypatch.setattr("andon.tickets.events.record_event", record_then_explode)
    with pytest.raises(RuntimeError):
        services.add_comment(ticket_id=ticket.pk, actor=requester, body="会回滚")
    assert Notification.objects.count() == before
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING
    assert not ticket.comments.exists()
