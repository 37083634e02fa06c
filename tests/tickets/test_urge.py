import datetime as dt

import pytest
import time_machine

from andon.core.errors import PermissionDenied, RateLimited, ValidationFailed
from andon.tickets import services
from andon.tickets.models import EventKind, Status
from tests import factories

START = dt.datetime(2025, 6, 2, 9, 0, tzinfo=dt.UTC)


def _urge(ticket, actor, **kwargs):
    return services.urge_ticket(ticket_id=ticket.pk, actor=actor, **kwargs)


def test_urge_counts_and_logs(ticket, requester):
    with time_machine.travel(START, tick=False):
        _urge(ticket, requester, note="  很急，客户在等 ")
    ticket.refresh_from_db()
    assert ticket.urge_count == 1
    assert ticket.updated_at == START
    event = ticket.events.last()
    assert (event.kind, event.actor, event.before, event.after, event.note) == (
        EventKind.URGED,
        requester,
        {"urge_count": 0},
        {"urge_count": 1},
        "很急，客户在等",
    )


def test_urging_again_inside_the_window_is_rate_limited(ticket, requester, settings):
    settings.URGE_MIN_INTERVAL_SECONDS = 600
    with time_machine.travel(START, tick=False) as traveller:
        _urge(ticket, requester)
        traveller.shift(dt.timedelta(seconds=1))
        with pytest.raises(RateLimited) as exc:
            _urge(ticket, requester)
        assert exc.value.code == "urge_too_soon"
        assert exc.value.status_code == 429
        assert "10 分钟" in exc.value.detail

        traveller.shift(dt.timedelta(minutes=9, seconds=29))  # 30 s left
        with pytest.raises(RateLimited) as exc:
            _urge(ticket, requester)
        assert "1 分钟" in exc.value.detail

        traveller.shift(dt.timedelta(seconds=30))  # exactly the window
        _urge(ticket, requester)
    ticket.refresh_from_db()
    assert ticket.urge_count == 2
    assert ticket.events.filter(kind=EventKind.URGED).count() == 2


def test_the_window_comes_from_settings(ticket, requester, settings):
    settings.URGE_MIN_INTERVAL_SECONDS = 60
    with time_machine.travel(START, tick=False) as traveller:
        _urge(ticket, requester)
        traveller.shift(dt.timedelta(seconds=59))
        with pytest.raises(RateLimited):
            _urge(ticket, requester)
        traveller.shift(dt.timedelta(seconds=1))
        _urge(ticket, requester)


def test_the_limit_is_per_person(ticket, requester, handlers):
    with time_machine.travel(START, tick=False):
        _urge(ticket, requester)
        _urge(ticket, handlers[1])  # a colleague in the queue, not the assignee
    ticket.refresh_from_db()
    assert ticket.urge_count == 2


def test_the_limit_is_per_ticket(handlers, entry, requester):
    first = factories.make_ticket(actor=requester, entry=entry)
    second = factories.make_ticket(actor=requester, entry=entry)
    with time_machine.travel(START, tick=False):
        _urge(first, requester)
        _urge(second, requester)


def test_the_assignee_cannot_urge_their_own_ticket(ticket, handlers):
    with pytest.raises(PermissionDenied) as exc:
        _urge(ticket, handlers[0])
    assert "当前处理人" in exc.value.detail
    ticket.refresh_from_db()
    assert ticket.urge_count == 0


def test_a_pool_ticket_can_be_urged(pool_ticket, requester):
    _urge(pool_ticket, requester)
    pool_ticket.refresh_from_db()
    assert pool_ticket.urge_count == 1


def test_urge_note_is_limited(ticket, requester):
    with pytest.raises(ValidationFailed) as exc:
        _urge(ticket, requester, note="急" * 501)
    assert list(exc.value.errors) == ["note"]


def test_urging_a_resolved_ticket_is_refused(ticket_in, requester):
    from andon.core.errors import Conflict

    ticket = ticket_in(Status.TO_CONFIRM)
    with pytest.raises(Conflict) as exc:
        _urge(ticket, requester)
    assert "「待确认」" in exc.value.detail
