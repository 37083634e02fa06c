"""What a write costs the database: the exact statements of an API create, comment, claim and
transfer, with all the work they do (dispatch under the queue's lock, custom fields, events,
OLA timers on the queue's calendar, notifications with their e-mail copies, the report roll-up).

The requests run as in production: their transactions commit (so the configuration caches are
warm and the commit hooks run in the request, as they do there), and tasks are queued, not run
inline. On SQLite Django logs the `BEGIN` and `COMMIT` it sends, on PostgreSQL it does not, so
the counts leave those two out and are the same on both. A failing count prints every statement.
"""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from andon.notifications.models import Notification, OutboxMessage
from andon.ola.models import BusinessCalendar, CalendarException, OlaPolicy, OlaTimer
from andon.tickets.models import Status, Ticket
from tests import factories
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db(transaction=True)

OFFICE = {d: [["09:00", "12:00"], ["13:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}

# Logged by Django on SQLite only; on PostgreSQL the driver sends them unlogged.
TRANSACTION_CONTROL = {"BEGIN", "BEGIN IMMEDIATE", "COMMIT"}

CREATE = 10
# Claim, comment and transfer each read the people around the ticket once (collaborators, copies
# and watchers in one UNION, `policies.people_of`): they are recipients and staff side. The
# answer's tags cost one read on claim and transfer; a transfer out of the caller's queue reads
# the ticket again after the action (it left their sight) and so its people a second time.
COMMENT = 10
CLAIM = 13
TRANSFER = 22


@pytest.fixture(autouse=True)
def _tasks_are_queued():
    """Tasks go to the queue as in production instead of running inside the request."""
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = False
    yield
    HUEY.flush()
    HUEY.immediate = True


@pytest.fixture
def desk(world):
    """`world` with OLA policies on both queues (an office-hours calendar with a holiday), a
    member in the other queue to transfer to, and a custom field on the entry."""
    calendar = BusinessCalendar.objects.create(
        name="办公时间", weekly_windows=OFFICE, follows_china_holidays=False
    )
    CalendarException.objects.create(calendar=calendar, date=dt.date(2030, 1, 1), kind="holiday")
    OlaPolicy.objects.create(queue=world.queue, calendar=calendar)
    OlaPolicy.objects.create(queue=world.other_queue, calendar=calendar)
    world.network = factories.handler(username="network")
    factories.add_members(world.other_queue, world.network)
    factories.custom_field(world.entry, "asset", name="资产编号")
    return world


def statements(context) -> list[str]:
    return [q["sql"] for q in context.captured_queries if q["sql"] not in TRANSACTION_CONTROL]


def assert_statements(context, expected: int) -> None:
    sql = statements(context)
    if len(sql) != expected:
        listing = "\n".join(f"{n:>3}  {s[:400]}" for n, s in enumerate(sql, 1))
        pytest.fail(f"{len(sql)} statements, expected {expected}:\n{listing}")


def file(api, desk, title="打印机卡纸"):
    response = api.post(
        "/api/v1/tickets/",
        {
            "title": title,
            "catalog_entry": desk.entry.pk,
            "priority": "L2",
            "description": "三楼打印机一直卡纸",
            "custom_fields": {"asset": "PR-0301"},
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_create(desk):
    api = client_for(desk.requester)
    file(api, desk, title="预热")  # the configuration caches fill on the first create
    with CaptureQueriesContext(connection) as context:
        pk = file(api, desk)
    ticket = Ticket.objects.get(pk=pk)
    assert ticket.assignee_id in (desk.handler.pk, desk.teammate.pk)
    assert ticket.custom_fields == {"asset": "PR-0301"}
    assert [e.kind for e in ticket.events.order_by("id")] == ["created", "dispatched"]
    assert OlaTimer.objects.filter(ticket=ticket, active=True).count() == 2
    assert Notification.objects.filter(ticket=ticket, recipient=ticket.assignee).count() == 1
    assert OutboxMessage.objects.filter(ticket=ticket, channel="email").count() == 1
    assert_statements(context, CREATE)


def test_claim(desk):
    pk = file(client_for(desk.requester), desk)
    handler = client_for(desk.handler)
    handler.get("/api/v1/tickets/")
    with CaptureQueriesContext(connection) as context:
        response = handler.post(f"/api/v1/tickets/{pk}/claim/")
    assert response.status_code == 200, response.content
    ticket = Ticket.objects.get(pk=pk)
    assert ticket.status == Status.PROCESSING and ticket.first_response_at is not None
    assert OlaTimer.objects.get(ticket=ticket, metric="response").state == "met"
    assert Notification.objects.filter(ticket=ticket, recipient=desk.requester).count() == 1
    assert_statements(context, CLAIM)


def test_comment(desk):
    pk = file(client_for(desk.requester), desk)
    handler = client_for(desk.handler)
    assert handler.post(f"/api/v1/tickets/{pk}/claim/").status_code == 200
    with CaptureQueriesContext(connection) as context:
        response = handler.post(f"/api/v1/tickets/{pk}/comments/", {"body": "请重启打印机"})
    assert response.status_code == 201, response.content
    assert Notification.objects.filter(ticket_id=pk, kind="commented").count() == 1
    assert OutboxMessage.objects.filter(ticket_id=pk, recipient=desk.requester).count() == 2
    assert_statements(context, COMMENT)


def test_transfer(desk):
    handler = client_for(desk.handler)
    for pk in (file(client_for(desk.requester), desk), file(client_for(desk.requester), desk)):
        assert handler.post(f"/api/v1/tickets/{pk}/claim/").status_code == 200
    warm = handler.post(f"/api/v1/tickets/{pk - 1}/transfer/", {"queue": desk.other_queue.pk})
    assert warm.status_code == 200  # the other queue's policy is cached now
    with CaptureQueriesContext(connection) as context:
        response = handler.post(
            f"/api/v1/tickets/{pk}/transfer/",
            {"queue": desk.other_queue.pk, "note": "网络问题"},
            format="json",
        )
    assert response.status_code == 200, response.content
    ticket = Ticket.objects.get(pk=pk)
    assert ticket.queue_id == desk.other_queue.pk and ticket.assignee_id == desk.network.pk
    timers = OlaTimer.objects.filter(ticket=ticket)
    assert timers.filter(queue=desk.queue, active=True).count() == 0
    assert timers.filter(queue=desk.other_queue, active=True).count() == 2
    assert Notification.objects.filter(ticket=ticket, recipient=desk.network).count() == 1
    assert_statements(context, TRANSFER)
