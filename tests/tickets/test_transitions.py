"""The status machine through the services: every allowed step, every refused one, and who may
take each step."""

import pytest

from andon.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from andon.tickets import events, services
from andon.tickets.models import EventKind, Status, Ticket, TicketEvent
from tests import factories

ALL = list(Status.values)
LABELS = {value: str(label) for value, label in Status.choices}


def _snapshot(ticket):
    row = Ticket.objects.values().get(pk=ticket.pk)
    return row, TicketEvent.objects.filter(ticket=ticket).count()


# --- happy paths -----------------------------------------------------------------------------


def test_claim_accepts_a_dispatched_ticket(ticket, handlers):
    result = services.claim_ticket(ticket_id=ticket.pk, actor=handlers[0])
    assert result.status == Status.PROCESSING
    event = ticket.events.last()
    assert event.kind == EventKind.CLAIMED
    assert event.actor == handlers[0]
    assert event.before == {
        "assignee": {"id": handlers[0].pk, "name": handlers[0].name},
        "status": "pending",
    }
    assert event.after == {
        "assignee": {"id": handlers[0].pk, "name": handlers[0].name},
        "status": "processing",
    }


def test_claim_takes_a_pool_ticket(pool_ticket, pool_members):
    services.claim_ticket(ticket_id=pool_ticket.pk, actor=pool_members[1])
    pool_ticket.refresh_from_db()
    assert pool_ticket.assignee == pool_members[1]
    assert pool_ticket.status == Status.PROCESSING
    event = pool_ticket.events.last()
    assert event.before == {"assignee": None, "status": "pending"}


def test_claiming_someone_elses_ticket_conflicts(ticket, handlers):
    with pytest.raises(Conflict) as exc:
        services.claim_ticket(ticket_id=ticket.pk, actor=handlers[1])
    assert exc.value.code == "already_claimed"
    assert handlers[0].name in exc.value.detail


def test_claiming_twice_conflicts(ticket, handlers):
    services.claim_ticket(ticket_id=ticket.pk, actor=handlers[0])
    with pytest.raises(Conflict) as exc:
        services.claim_ticket(ticket_id=ticket.pk, actor=handlers[0])
    assert exc.value.code == "already_claimed"
    assert ticket.events.filter(kind=EventKind.CLAIMED).count() == 1


def test_request_info_and_resume(ticket_in, handlers, requester):
    ticket = ticket_in(Status.PROCESSING)
    services.request_info(ticket_id=ticket.pk, actor=handlers[0], note="  请提供报错截图 ")
    ticket.refresh_from_db()
    assert ticket.status == Status.NEED_INFO
    event = ticket.events.last()
    assert (event.kind, event.before, event.after, event.note) == (
        EventKind.NEED_INFO,
        {"status": "processing"},
        {"status": "need_info"},
        "请提供报错截图",
    )
    services.resume_ticket(ticket_id=ticket.pk, actor=requester, note="截图已上传")
    ticket.refresh_from_db()
    assert ticket.status == Status.PROCESSING
    event = ticket.events.last()
    assert (event.kind, event.actor, event.before, event.after) == (
        EventKind.RESUMED,
        requester,
        {"status": "need_info"},
        {"status": "processing"},
    )


def test_resolve_confirm_close(ticket_in, handlers, requester, time_machine):
    ticket = ticket_in(Status.PROCESSING)
    time_machine.move_to("2025-03-03 10:00 +08:00", tick=False)
    services.resolve_ticket(ticket_id=ticket.pk, actor=handlers[0], resolution="更换网线")
    ticket.refresh_from_db()
    assert ticket.status == Status.TO_CONFIRM
    assert ticket.resolution == "更换网线"
    assert ticket.resolved_at.isoformat() == "2025-03-03T02:00:00+00:00"
    event = ticket.events.last()
    assert (event.kind, event.note, event.after) == (
        EventKind.RESOLVED,
        "更换网线",
        {"status": "to_confirm"},
    )

    time_machine.move_to("2025-03-03 11:00 +08:00", tick=False)
    services.confirm_ticket(ticket_id=ticket.pk, actor=requester)
    ticket.refresh_from_db()
    assert ticket.status == Status.DONE
    assert ticket.events.last().kind == EventKind.CONFIRMED

    services.close_ticket(ticket_id=ticket.pk, actor=handlers[0], note="归档")
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert ticket.closed_at.isoformat() == "2025-03-03T03:00:00+00:00"
    event = ticket.events.last()
    assert (event.kind, event.before, event.after) == (
        EventKind.CLOSED,
        {"status": "done"},
        {"status": "closed"},
    )


@pytest.mark.parametrize("start", [Status.TO_CONFIRM, Status.DONE])
def test_reopen_puts_the_ticket_back_in_processing(ticket_in, requester, start):
    ticket = ticket_in(start)
    resolved_at = ticket.resolved_at
    assert resolved_at is not None
    services.reopen_ticket(ticket_id=ticket.pk, actor=requester, reason="又坏了")
    ticket.refresh_from_db()
    assert ticket.status == Status.PROCESSING
    assert ticket.reopen_count == 1
    assert ticket.resolved_at is None
    event = ticket.events.last()
    assert (event.kind, event.before, event.after, event.note) == (
        EventKind.REOPENED,
        {"status": start, "resolved_at": resolved_at.isoformat()},  # the log keeps it
        {"status": "processing"},
        "又坏了",
    )


@pytest.mark.parametrize("start", [Status.PENDING, Status.PROCESSING, Status.NEED_INFO])
def test_requester_cancels_an_open_ticket(ticket_in, requester, start):
    ticket = ticket_in(start)
    services.cancel_ticket(ticket_id=ticket.pk, actor=requester, reason="自己解决了")
    ticket.refresh_from_db()
    assert ticket.status == Status.CANCELLED
    assert ticket.closed_at is not None
    event = ticket.events.last()
    assert (event.kind, event.before, event.after) == (
        EventKind.CANCELLED,
        {"status": start},
        {"status": "cancelled"},
    )


@pytest.mark.parametrize(
    "start", [Status.PENDING, Status.PROCESSING, Status.NEED_INFO, Status.TO_CONFIRM, Status.DONE]
)
def test_manager_closes_anything_still_alive(ticket_in, admin_user, start):
    ticket = ticket_in(start)
    services.close_ticket(ticket_id=ticket.pk, actor=admin_user)
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED


def test_manager_resolving_a_pool_ticket_becomes_its_handler(pool_ticket, admin_user):
    services.resolve_ticket(ticket_id=pool_ticket.pk, actor=admin_user, resolution="已处理")
    pool_ticket.refresh_from_db()
    assert pool_ticket.assignee == admin_user
    event = pool_ticket.events.last()
    assert event.before["assignee"] is None
    assert event.after["assignee"]["id"] == admin_user.pk


def test_manager_asking_for_info_on_a_pool_ticket_becomes_its_handler(pool_ticket, admin_user):
    services.request_info(ticket_id=pool_ticket.pk, actor=admin_user, note="哪台电脑？")
    pool_ticket.refresh_from_db()
    assert pool_ticket.status == Status.NEED_INFO
    assert pool_ticket.assignee == admin_user


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda t, h, r: services.request_info(ticket_id=t.pk, actor=h, note="  "), "note"),
        (lambda t, h, r: services.resolve_ticket(ticket_id=t.pk, actor=h, resolution=""), "note"),
        (lambda t, h, r: services.resolve_ticket(ticket_id=t.pk, actor=h, resolution=None), "note"),
        (
            lambda t, h, r: services.resolve_ticket(
                ticket_id=t.pk, actor=h, resolution="x" * 20_001
            ),
            "note",
        ),
    ],
)
def test_notes_that_are_required_are_validated(ticket_in, handlers, requester, call, field):
    ticket = ticket_in(Status.PROCESSING)
    before = _snapshot(ticket)
    with pytest.raises(ValidationFailed) as exc:
        call(ticket, handlers[0], requester)
    assert list(exc.value.errors) == [field]
    assert _snapshot(ticket) == before


def test_reopen_needs_a_reason(ticket_in, requester):
    ticket = ticket_in(Status.TO_CONFIRM)
    with pytest.raises(ValidationFailed) as exc:
        services.reopen_ticket(ticket_id=ticket.pk, actor=requester, reason="")
    assert list(exc.value.errors) == ["note"]


# --- refused transitions -------------------------------------------------------------------

# action name -> (statuses it is allowed from, how to call it). Actors are people who would be
# allowed to act were the status right, so the refusal can only be about the status.
ACTIONS = {
    "claim": (
        {Status.PENDING, Status.PROCESSING, Status.NEED_INFO},
        lambda t, d: services.claim_ticket(ticket_id=t.pk, actor=d["colleague"]),
    ),
    "urge": (
        {Status.PENDING, Status.PROCESSING, Status.NEED_INFO},
        lambda t, d: services.urge_ticket(ticket_id=t.pk, actor=d["requester"]),
    ),
    "comment": (
        {Status.PENDING, Status.PROCESSING, Status.NEED_INFO, Status.TO_CONFIRM, Status.DONE},
        lambda t, d: services.add_comment(ticket_id=t.pk, actor=d["requester"], body="还在吗"),
    ),
    "attach": (
        {Status.PENDING, Status.PROCESSING, Status.NEED_INFO, Status.TO_CONFIRM, Status.DONE},
        lambda t, d: services.add_attachment(
            ticket_id=t.pk, actor=d["requester"], upload=factories.upload()
        ),
    ),
    "transfer": (
        {Status.PENDING, Status.PROCESSING, Status.NEED_INFO},
        lambda t, d: services.transfer_ticket(
            ticket_id=t.pk, actor=d["admin"], queue_id=d["other_queue"].pk
        ),
    ),
    "request_info": (
        {Status.PENDING, Status.PROCESSING},
        lambda t, d: services.request_info(ticket_id=t.pk, actor=d["admin"], note="?"),
    ),
    "resume": (
        {Status.NEED_INFO},
        lambda t, d: services.resume_ticket(ticket_id=t.pk, actor=d["requester"]),
    ),
    "resolve": (
        {Status.PENDING, Status.PROCESSING},
        lambda t, d: services.resolve_ticket(ticket_id=t.pk, actor=d["admin"], resolution="ok"),
    ),
    "confirm": (
        {Status.TO_CONFIRM},
        lambda t, d: services.confirm_ticket(ticket_id=t.pk, actor=d["requester"]),
    ),
    "reopen": (
        {Status.TO_CONFIRM, Status.DONE},
        lambda t, d: services.reopen_ticket(ticket_id=t.pk, actor=d["requester"], reason="no"),
    ),
    "close_by_manager": (
        {Status.PENDING, Status.PROCESSING, Status.NEED_INFO, Status.TO_CONFIRM, Status.DONE},
        lambda t, d: services.close_ticket(ticket_id=t.pk, actor=d["admin"]),
    ),
    "close_by_requester": (
        {Status.DONE},
        lambda t, d: services.close_ticket(ticket_id=t.pk, actor=d["requester"]),
    ),
    "close_by_assignee": (
        {Status.DONE},
        lambda t, d: services.close_ticket(ticket_id=t.pk, actor=d["assignee"]),
    ),
    "cancel": (
        {Status.PENDING, Status.PROCESSING, Status.NEED_INFO},
        lambda t, d: services.cancel_ticket(ticket_id=t.pk, actor=d["requester"]),
    ),
    "edit_by_assignee": (
        {Status.PENDING, Status.PROCESSING, Status.NEED_INFO, Status.TO_CONFIRM},
        lambda t, d: services.update_ticket(ticket_id=t.pk, actor=d["assignee"], title="新标题"),
    ),
    "edit_by_requester": (
        {Status.PENDING, Status.PROCESSING, Status.NEED_INFO},
        lambda t, d: services.update_ticket(ticket_id=t.pk, actor=d["requester"], title="新标题"),
    ),
}

REFUSALS = [
    (action, status)
    for action, (allowed, _call) in ACTIONS.items()
    for status in ALL
    if status not in allowed
]


@pytest.fixture
def desk(handlers, requester, admin_user):
    other_queue = factories.QueueFactory()
    factories.add_members(other_queue, factories.handler())
    return {
        "assignee": handlers[0],
        "colleague": handlers[1],
        "requester": requester,
        "admin": admin_user,
        "other_queue": other_queue,
    }


@pytest.mark.parametrize(("action", "status"), REFUSALS)
def test_refused_transition_is_a_conflict_naming_the_status(ticket_in, desk, action, status):
    ticket = ticket_in(status)
    before = _snapshot(ticket)
    with pytest.raises(Conflict) as exc:
        ACTIONS[action][1](ticket, desk)
    assert exc.value.code == "invalid_transition"
    assert exc.value.status_code == 409
    assert f"「{LABELS[status]}」" in exc.value.detail
    assert _snapshot(ticket) == before


def test_conflict_message_is_chinese_for_to_confirm(ticket_in, desk):
    ticket = ticket_in(Status.TO_CONFIRM)
    with pytest.raises(Conflict) as exc:
        services.resolve_ticket(ticket_id=ticket.pk, actor=desk["assignee"], resolution="x")
    assert exc.value.detail == "工单当前状态为「待确认」，不能解决"


ALLOWED = [
    (action, status)
    for action, (allowed, _call) in ACTIONS.items()
    for status in sorted(allowed)
    if action != "claim"  # claiming an assigned ticket is its own conflict, tested above
]


@pytest.mark.parametrize(("action", "status"), ALLOWED)
def test_allowed_transition_writes_exactly_one_event(ticket_in, desk, action, status):
    ticket = ticket_in(status)
    last_pk = ticket.events.order_by("-pk").values_list("pk", flat=True)[0]
    ACTIONS[action][1](ticket, desk)
    new = list(ticket.events.filter(pk__gt=last_pk).values_list("kind", flat=True))
    if action == "transfer":
        # The transfer, then the new queue's dispatch.
        assert new == [EventKind.TRANSFERRED, EventKind.DISPATCHED]
    else:
        assert len(new) == 1


# --- who may act -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "call", "who"),
    [
        (Status.PENDING, lambda t, p: services.claim_ticket(ticket_id=t.pk, actor=p), "requester"),
        (Status.PENDING, lambda t, p: services.claim_ticket(ticket_id=t.pk, actor=p), "observer"),
        (Status.PROCESSING, lambda t, p: services.urge_ticket(ticket_id=t.pk, actor=p), "assignee"),
        (Status.PROCESSING, lambda t, p: services.urge_ticket(ticket_id=t.pk, actor=p), "observer"),
        (
            Status.PROCESSING,
            lambda t, p: services.add_comment(ticket_id=t.pk, actor=p, body="看看"),
            "observer",
        ),
        (
            Status.PROCESSING,
            lambda t, p: services.add_comment(
                ticket_id=t.pk, actor=p, body="内部", is_internal=True
            ),
            "requester",
        ),
        (
            Status.PROCESSING,
            lambda t, p: services.add_comment(
                ticket_id=t.pk, actor=p, body="内部", is_internal=True
            ),
            "observer",
        ),
        (
            Status.PROCESSING,
            lambda t, p: services.add_attachment(
                ticket_id=t.pk, actor=p, upload=factories.upload()
            ),
            "observer",
        ),
        (
            Status.PROCESSING,
            lambda t, p: services.transfer_ticket(ticket_id=t.pk, actor=p, queue_id=t.queue_id),
            "colleague",
        ),
        (
            Status.PROCESSING,
            lambda t, p: services.transfer_ticket(ticket_id=t.pk, actor=p, queue_id=t.queue_id),
            "requester",
        ),
        (
            Status.PROCESSING,
            lambda t, p: services.request_info(ticket_id=t.pk, actor=p, note="?"),
            "colleague",
        ),
        (
            Status.PROCESSING,
            lambda t, p: services.request_info(ticket_id=t.pk, actor=p, note="?"),
            "requester",
        ),
        (
            Status.PROCESSING,
            lambda t, p: services.resolve_ticket(ticket_id=t.pk, actor=p, resolution="ok"),
            "colleague",
        ),
        (
            Status.PROCESSING,
            lambda t, p: services.resolve_ticket(ticket_id=t.pk, actor=p, resolution="ok"),
            "requester",
        ),
        (
            Status.PROCESSING,
            lambda t, p: services.resolve_ticket(ticket_id=t.pk, actor=p, resolution="ok"),
            "observer",
        ),
        (
            Status.NEED_INFO,
            lambda t, p: services.resume_ticket(ticket_id=t.pk, actor=p),
            "colleague",
        ),
        (
            Status.TO_CONFIRM,
            lambda t, p: services.confirm_ticket(ticket_id=t.pk, actor=p),
            "assignee",
        ),
        (
            Status.TO_CONFIRM,
            lambda t, p: services.confirm_ticket(ticket_id=t.pk, actor=p),
            "colleague",
        ),
        (
            Status.DONE,
            lambda t, p: services.reopen_ticket(ticket_id=t.pk, actor=p, reason="x"),
            "colleague",
        ),
        (Status.DONE, lambda t, p: services.close_ticket(ticket_id=t.pk, actor=p), "colleague"),
        (Status.DONE, lambda t, p: services.close_ticket(ticket_id=t.pk, actor=p), "observer"),
        (Status.PENDING, lambda t, p: services.cancel_ticket(ticket_id=t.pk, actor=p), "assignee"),
        (Status.PENDING, lambda t, p: services.cancel_ticket(ticket_id=t.pk, actor=p), "colleague"),
        (
            Status.PROCESSING,
            lambda t, p: services.update_ticket(ticket_id=t.pk, actor=p, title="改"),
            "colleague",
        ),
        (
            Status.PROCESSING,
            lambda t, p: services.update_ticket(ticket_id=t.pk, actor=p, title="改"),
            "observer",
        ),
    ],
)
def test_permission_refusals(ticket_in, handlers, requester, status, call, who):
    people = {
        "assignee": handlers[0],
        "colleague": handlers[1],
        "requester": requester,
        "observer": factories.observer(),
    }
    ticket = ticket_in(status)
    before = _snapshot(ticket)
    with pytest.raises(PermissionDenied) as exc:
        call(ticket, people[who])
    assert exc.value.status_code == 403
    assert exc.value.detail
    assert _snapshot(ticket) == before


def test_deactivated_actor_is_refused(ticket, handlers):
    handlers[0].is_active = False
    handlers[0].save()
    with pytest.raises(PermissionDenied):
        services.claim_ticket(ticket_id=ticket.pk, actor=handlers[0])


# --- tickets the actor cannot see ----------------------------------------------------------

EVERY_SERVICE = [
    lambda t, p: services.claim_ticket(ticket_id=t, actor=p),
    lambda t, p: services.urge_ticket(ticket_id=t, actor=p),
    lambda t, p: services.add_comment(ticket_id=t, actor=p, body="hi"),
    lambda t, p: services.add_attachment(ticket_id=t, actor=p, upload=factories.upload()),
    lambda t, p: services.transfer_ticket(ticket_id=t, actor=p, queue_id=1),
    lambda t, p: services.request_info(ticket_id=t, actor=p, note="?"),
    lambda t, p: services.resume_ticket(ticket_id=t, actor=p),
    lambda t, p: services.resolve_ticket(ticket_id=t, actor=p, resolution="ok"),
    lambda t, p: services.confirm_ticket(ticket_id=t, actor=p),
    lambda t, p: services.reopen_ticket(ticket_id=t, actor=p, reason="x"),
    lambda t, p: services.close_ticket(ticket_id=t, actor=p),
    lambda t, p: services.cancel_ticket(ticket_id=t, actor=p),
    lambda t, p: services.update_ticket(ticket_id=t, actor=p, title="x"),
]


@pytest.mark.parametrize("call", EVERY_SERVICE)
def test_a_ticket_the_actor_cannot_see_is_not_found(ticket, outsider, call):
    before = _snapshot(ticket)
    with pytest.raises(NotFound) as exc:
        call(ticket.pk, outsider)
    assert exc.value.status_code == 404
    assert _snapshot(ticket) == before


@pytest.mark.parametrize("call", EVERY_SERVICE)
@pytest.mark.parametrize("ticket_id", [987_654, "abc", None, 10**40, -1])
def test_unknown_ticket_ids_are_not_found(admin_user, call, ticket_id):
    with pytest.raises(NotFound):
        call(ticket_id, admin_user)


def test_another_requester_cannot_see_the_ticket(ticket):
    stranger = factories.requester()
    with pytest.raises(NotFound):
        services.add_comment(ticket_id=ticket.pk, actor=stranger, body="hi")


# --- atomicity -------------------------------------------------------------------------------


def test_a_failure_while_logging_rolls_the_change_back(ticket, handlers, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("log store down")

    monkeypatch.setattr("andon.notifications.services.notify_for_event", broken)
    before = _snapshot(ticket)
    with pytest.raises(RuntimeError):
        services.claim_ticket(ticket_id=ticket.pk, actor=handlers[0])
    assert _snapshot(ticket) == before


def test_a_failure_after_the_status_change_rolls_it_back(ticket_in, handlers, monkeypatch):
    ticket = ticket_in(Status.PROCESSING)
    real = events.record_event

    def record_then_fail(**kwargs):
        real(**kwargs)
        raise RuntimeError("after the event")

    monkeypatch.setattr("andon.tickets.events.record_event", record_then_fail)
    before = _snapshot(ticket)
    with pytest.raises(RuntimeError):
        services.resolve_ticket(ticket_id=ticket.pk, actor=handlers[0], resolution="ok")
    assert _snapshot(ticket) == before
