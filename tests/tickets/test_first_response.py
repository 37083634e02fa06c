"""first_response_at: the first thing the handling side does that the requester can see."""

import datetime as dt

import pytest
import time_machine

from andon.tickets import services
from andon.tickets.models import Status
from tests import factories

T0 = dt.datetime(2025, 6, 2, 9, 0, tzinfo=dt.UTC)
T1 = T0 + dt.timedelta(minutes=5)
T2 = T0 + dt.timedelta(minutes=9)


def _at(moment, call):
    with time_machine.travel(moment, tick=False):
        call()


@pytest.mark.parametrize(
    "action",
    [
        lambda t, h: services.claim_ticket(ticket_id=t.pk, actor=h),
        lambda t, h: services.add_comment(ticket_id=t.pk, actor=h, body="我来看看"),
        lambda t, h: services.request_info(ticket_id=t.pk, actor=h, note="哪台打印机？"),
        lambda t, h: services.resolve_ticket(ticket_id=t.pk, actor=h, resolution="已重启"),
    ],
    ids=["claim", "public-comment", "need-info", "resolve"],
)
def test_first_handling_action_sets_first_response(ticket, handlers, action):
    assert ticket.first_response_at is None
    _at(T1, lambda: action(ticket, handlers[0]))
    ticket.refresh_from_db()
    assert ticket.first_response_at == T1


def test_a_colleague_commenting_publicly_is_a_response(ticket, handlers):
    _at(T1, lambda: services.add_comment(ticket_id=ticket.pk, actor=handlers[1], body="在排查"))
    ticket.refresh_from_db()
    assert ticket.first_response_at == T1


def test_later_actions_do_not_move_it(ticket, handlers):
    _at(T1, lambda: services.claim_ticket(ticket_id=ticket.pk, actor=handlers[0]))
    _at(T2, lambda: services.add_comment(ticket_id=ticket.pk, actor=handlers[0], body="进展"))
    _at(
        T2, lambda: services.resolve_ticket(ticket_id=ticket.pk, actor=handlers[0], resolution="ok")
    )
    ticket.refresh_from_db()
    assert ticket.first_response_at == T1


def test_requester_actions_never_count(ticket, requester, handlers):
    _at(T1, lambda: services.add_comment(ticket_id=ticket.pk, actor=requester, body="还没好吗"))
    _at(T1, lambda: services.urge_ticket(ticket_id=ticket.pk, actor=requester))
    _at(T1, lambda: services.update_ticket(ticket_id=ticket.pk, actor=requester, priority="L1"))
    _at(
        T1,
        lambda: services.add_attachment(
            ticket_id=ticket.pk, actor=requester, upload=factories.upload()
        ),
    )
    ticket.refresh_from_db()
    assert ticket.first_response_at is None
    _at(T2, lambda: services.claim_ticket(ticket_id=ticket.pk, actor=handlers[0]))
    ticket.refresh_from_db()
    assert ticket.first_response_at == T2


def test_an_internal_comment_does_not_count(ticket, handlers):
    _at(
        T1,
        lambda: services.add_comment(
            ticket_id=ticket.pk, actor=handlers[0], body="可能是驱动问题", is_internal=True
        ),
    )
    ticket.refresh_from_db()
    assert ticket.first_response_at is None


def test_urging_or_transferring_is_not_a_response(ticket, handlers):
    _at(T1, lambda: services.urge_ticket(ticket_id=ticket.pk, actor=handlers[1]))
    _at(
        T1,
        lambda: services.transfer_ticket(
            ticket_id=ticket.pk, actor=handlers[0], assignee_id=handlers[2].pk
        ),
    )
    ticket.refresh_from_db()
    assert ticket.first_response_at is None


def test_a_handler_who_filed_for_a_customer_still_responds_by_claiming(handlers, entry, requester):
    ticket = factories.make_ticket(actor=handlers[0], entry=entry, requester=requester)
    assert ticket.assignee == handlers[0]
    _at(T1, lambda: services.claim_ticket(ticket_id=ticket.pk, actor=handlers[0]))
    ticket.refresh_from_db()
    assert ticket.first_response_at == T1
    assert ticket.status == Status.PROCESSING


@pytest.mark.parametrize(
    "who, action",
    [
        ("handler", lambda t, u: services.claim_ticket(ticket_id=t.pk, actor=u)),
        ("handler", lambda t, u: services.add_comment(ticket_id=t.pk, actor=u, body="看看")),
        (
            "handler",
            lambda t, u: services.add_comment(ticket_id=t.pk, actor=u, body="内", is_internal=True),
        ),
        ("requester", lambda t, u: services.add_comment(ticket_id=t.pk, actor=u, body="急")),
        ("manager", lambda t, u: services.request_info(ticket_id=t.pk, actor=u, note="?")),
        (
            "filing-manager",
            lambda t, u: services.resolve_ticket(ticket_id=t.pk, actor=u, resolution="好"),
        ),
        ("filing-manager", lambda t, u: services.add_comment(ticket_id=t.pk, actor=u, body="自己")),
    ],
)
def test_one_response_rule_for_the_ticket_and_ola(handlers, entry, requester, who, action):
    """`first_response_at` and OLA's response timer read the same rule off the same action."""
    from andon.tickets import workflow
    from andon.tickets.models import EventKind

    manager = factories.admin()
    people = {
        "handler": handlers[0],
        "requester": requester,
        "manager": manager,
        "filing-manager": manager,
    }
    filer = manager if who == "filing-manager" else requester
    ticket = factories.make_ticket(actor=filer, entry=entry)
    user = people[who]
    action(ticket, user)
    ticket.refresh_from_db()
    event = ticket.events.exclude(kind__in=[EventKind.CREATED, EventKind.DISPATCHED]).last()
    assert (ticket.first_response_at is not None) == workflow.is_response_event(event, ticket)
    expected = who in ("handler", "manager") and "内" not in (event.note or "")
    assert (ticket.first_response_at is not None) == expected
