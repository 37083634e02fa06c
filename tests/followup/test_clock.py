"""Auto-confirm and auto-close: the clock follows the ticket, the worker's sweep reminds,
confirms and closes, once each, as system events."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from andon.core.errors import PermissionDenied, ValidationFailed
from andon.followup import selectors, services
from andon.followup.models import FollowUpClock, QueueFollowUp, Stage
from andon.notifications import outbox
from andon.notifications.models import Notification, OutboxMessage
from andon.ola.businesstime import build_spec, is_business_time, nth_working_day, spec_for
from andon.ola.models import BusinessCalendar, OlaPolicy, default_weekly_windows
from andon.tickets import services as ticket_services
from andon.tickets.models import EventKind, Status
from tests import factories
from tests.tickets.conftest import advance


@pytest.fixture
def office(queue):
    workday = [["09:00", "12:00"], ["13:00", "18:00"]]
    calendar = BusinessCalendar.objects.create(
        name="办公时间",
        time_zone="Asia/Shanghai",
        weekly_windows={
            **dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), workday),
            "sat": [],
            "sun": [],
        },
        follows_china_holidays=False,
    )
    OlaPolicy.objects.create(queue=queue, calendar=calendar)
    return calendar


@pytest.fixture
def resolved(office, handlers, entry, requester):
    ticket = factories.make_ticket(actor=requester, entry=entry)
    return advance(ticket, Status.TO_CONFIRM, handler=handlers[0], requester=requester)


def test_resolving_starts_the_confirm_clock_on_the_queues_calendar(resolved, office):
    clock = FollowUpClock.objects.get(ticket=resolved)
    start, end = nth_working_day(spec_for(office), resolved.resolved_at, 3)
    assert clock.stage == Stage.CONFIRM
    assert (clock.remind_at, clock.due_at) == (start, end)
    assert clock.due_at.astimezone(office_tz()).hour == 18


def office_tz():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Shanghai")


def test_the_queue_setting_changes_the_period(office, queue, handlers, entry, requester):
    QueueFollowUp.objects.create(queue=queue, confirm_after_working_days=1, close_after_days=2)
    ticket = factories.make_ticket(actor=requester, entry=entry)
    ticket = advance(ticket, Status.TO_CONFIRM, handler=handlers[0], requester=requester)
    clock = FollowUpClock.objects.get(ticket=ticket)
    assert clock.due_at == nth_working_day(spec_for(office), ticket.resolved_at, 1)[1]


def test_remind_then_confirm_then_close(resolved, requester, mail_server):
    requester.email = "requester@example.com"
    requester.save(update_fields=["email"])
    clock = FollowUpClock.objects.get(ticket=resolved)

    assert services.run_due(now=clock.remind_at - timedelta(seconds=1)) == {}
    assert services.run_due(now=clock.remind_at) == {"reminded": 1}
    # A second sweep (or a second worker) finds nothing more to do.
    assert services.run_due(now=clock.remind_at + timedelta(minutes=1)) == {}
    reminder = resolved.events.get(kind=EventKind.CONFIRM_REMINDER)
    assert reminder.actor is None
    assert Notification.objects.filter(event=reminder, recipient=requester).count() == 1
    mail = OutboxMessage.objects.get(
        recipient=requester, channel="email", ticket=resolved, key__startswith="followup:"
    )
    # The reminder's mail is due from the sweep's moment (the outbox takes the event's time,
    # not the wall clock), so the worker delivers it at that moment, as it would in real time.
    assert mail.next_attempt_at == clock.remind_at
    with time_machine.travel(clock.remind_at + timedelta(seconds=1)):
        assert outbox.deliver(mail.pk) == OutboxMessage.State.SENT  # what the worker does
    assert "/csat/r/" in mail.payload["action"]["url"]
    received = [m for m in mail_server.messages if "requester@example.com" in m["To"]]
    assert any("/csat/r/" in m.get_body(("plain",)).get_content() for m in received)

    assert services.run_due(now=clock.due_at) == {"confirmed": 1}
    resolved.refresh_from_db()
    assert resolved.status == Status.DONE
    confirmed = resolved.events.get(kind=EventKind.CONFIRMED)
    assert confirmed.actor is None and confirmed.after["auto"] is True
    close_clock = FollowUpClock.objects.get(ticket=resolved)
    assert close_clock.stage == Stage.CLOSE
    assert close_clock.due_at == clock.due_at + timedelta(days=7)

    assert services.run_due(now=close_clock.due_at) == {"closed": 1}
    resolved.refresh_from_db()
    assert resolved.status == Status.CLOSED and resolved.closed_at == close_clock.due_at
    assert resolved.events.get(kind=EventKind.CLOSED).after["auto"] is True
    assert not FollowUpClock.objects.filter(ticket=resolved).exists()
    assert services.run_due(now=close_clock.due_at + timedelta(days=1)) == {}


def test_a_step_that_runs_twice_does_nothing_the_second_time(resolved):
    clock = FollowUpClock.objects.get(ticket=resolved)
    assert services.step(clock_id=clock.pk, ticket_id=resolved.pk, now=clock.due_at) == "confirmed"
    assert services.step(clock_id=clock.pk, ticket_id=resolved.pk, now=clock.due_at) == "skipped"
    assert resolved.events.filter(kind=EventKind.CONFIRMED).count() == 1


def test_the_requester_confirming_first_stops_the_confirm_clock(resolved, requester):
    ticket_services.confirm_ticket(ticket_id=resolved.pk, actor=requester)
    assert FollowUpClock.objects.get(ticket=resolved).stage == Stage.CLOSE


def test_reopening_stops_the_clock(resolved, requester):
    ticket_services.reopen_ticket(ticket_id=resolved.pk, actor=requester, reason="还是不行")
    assert not FollowUpClock.objects.filter(ticket=resolved).exists()
    assert services.run_due(now=timezone.now() + timedelta(days=60)) == {}
    resolved.refresh_from_db()
    assert resolved.status == Status.PROCESSING


def test_zero_turns_the_step_off(office, queue, handlers, entry, requester):
    QueueFollowUp.objects.create(queue=queue, confirm_after_working_days=0, close_after_days=0)
    ticket = factories.make_ticket(actor=requester, entry=entry)
    advance(ticket, Status.DONE, handler=handlers[0], requester=requester)
    assert not FollowUpClock.objects.exists()


def test_a_queue_without_an_ola_policy_counts_office_days(handlers, entry, requester):
    ticket = factories.make_ticket(actor=requester, entry=entry)
    ticket = advance(ticket, Status.TO_CONFIRM, handler=handlers[0], requester=requester)
    clock = FollowUpClock.objects.get(ticket=ticket)
    local = clock.due_at.astimezone(office_tz())
    office_week = build_spec(
        time_zone="Asia/Shanghai", weekly=default_weekly_windows(), follows_china_holidays=True
    )
    # The end of a working day of the usual office week (China's holidays and 调休 included).
    assert (local.hour, local.minute) == (18, 0)
    assert is_business_time(office_week, clock.due_at - timedelta(minutes=1))


def test_countdown_for_the_page(resolved):
    clock = FollowUpClock.objects.get(ticket=resolved)
    shown = selectors.countdown(resolved, now=clock.due_at - timedelta(hours=2))
    assert shown["stage"] == "confirm" and shown["seconds_left"] == 7200


def test_queue_periods_are_validated_and_admin_only(queue, handlers, admin_user):
    with pytest.raises(PermissionDenied):
        services.save_queue_periods(actor=handlers[0], queue=queue, data={"close_after_days": 3})
    for bad in (
        {"close_after_days": -1},
        {"confirm_after_working_days": 31},
        {"close_after_days": "x"},
    ):
        with pytest.raises(ValidationFailed):
            services.save_queue_periods(actor=admin_user, queue=queue, data=bad)
    assert not QueueFollowUp.objects.exists()
    services.save_queue_periods(actor=admin_user, queue=queue, data={"close_after_days": 3})
    assert selectors.queue_periods(queue) == {
        "confirm_after_working_days": 3,
        "close_after_days": 3,
    }
