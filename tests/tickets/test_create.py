from pathlib import Path

import pytest

from andon.catalog.models import CatalogEntry
from andon.core.errors import PermissionDenied, ValidationFailed
from andon.notifications.models import Notification
from andon.tickets import services
from andon.tickets.models import Attachment, EventKind, Status, Ticket, TicketEvent
from tests import factories


def test_create_files_dispatches_and_logs(handlers, entry, requester, queue):
    factories.custom_field(entry, "device")
    ticket = services.create_ticket(
        actor=requester,
        title="  VPN 连不上  ",
        description="从昨晚开始",
        priority="L2",
        catalog_entry_id=entry.pk,
        channel="portal",
        custom_fields={"device": "MacBook"},
    )
    ticket.refresh_from_db()
    assert ticket.title == "VPN 连不上"
    assert ticket.description == "从昨晚开始"
    assert ticket.priority == "L2"
    assert ticket.channel == "portal"
    assert ticket.custom_fields == {"device": "MacBook"}
    assert ticket.catalog_entry == entry
    assert ticket.queue == queue
    assert ticket.requester == requester
    assert ticket.created_by == requester
    assert ticket.status == Status.PENDING
    assert ticket.assignee == handlers[0]
    assert ticket.created_at == ticket.updated_at
    assert ticket.first_response_at is None

    created, dispatched = ticket.events.all()
    assert created.kind == EventKind.CREATED
    assert created.actor == requester
    assert created.after["title"] == "VPN 连不上"
    assert created.after["priority"] == "L2"
    assert created.after["catalog_entry"] == {"id": entry.pk, "name": str(entry)}
    assert dispatched.kind == EventKind.DISPATCHED
    assert dispatched.actor is None
    assert dispatched.after["assignee"] == {"id": handlers[0].pk, "name": handlers[0].name}
    assert dispatched.after["queue"] == {"id": queue.pk, "name": queue.name}
    assert dispatched.after["rule"] == "round_robin"


def test_priority_defaults_to_l3(handlers, entry, requester):
    ticket = factories.make_ticket(actor=requester, entry=entry)
    assert ticket.priority == "L3"


def test_created_at_can_be_given_for_imports(handlers, entry, requester):
    import datetime as dt

    when = dt.datetime(2024, 5, 6, 9, 30, tzinfo=dt.UTC)
    ticket = factories.make_ticket(actor=requester, entry=entry, created_at=when)
    ticket.refresh_from_db()
    assert ticket.created_at == when
    assert set(ticket.events.values_list("created_at", flat=True)) == {when}


def test_handler_files_on_behalf_of_someone(handlers, entry, requester):
    ticket = factories.make_ticket(actor=handlers[1], entry=entry, requester=requester)
    assert ticket.requester == requester
    assert ticket.created_by == handlers[1]
    assert ticket.events.first().after["requester"]["id"] == requester.pk


def test_agent_cannot_file_on_behalf_of_someone_else(handlers, entry, requester):
    agent = factories.requester()
    with pytest.raises(ValidationFailed) as exc:
        factories.make_ticket(actor=agent, entry=entry, requester=requester)
    assert "requester" in exc.value.errors
    assert not Ticket.objects.exists()


def test_cannot_file_for_a_deactivated_requester(handlers, entry):
    gone = factories.requester(is_active=False)
    with pytest.raises(ValidationFailed) as exc:
        factories.make_ticket(actor=handlers[0], entry=entry, requester=gone)
    assert "requester" in exc.value.errors


def test_user_without_create_permission_is_refused(entry):
    watcher = factories.observer()
    with pytest.raises(PermissionDenied):
        factories.make_ticket(actor=watcher, entry=entry)
    assert not Ticket.objects.exists()


def test_deactivated_user_is_refused(entry):
    gone = factories.requester(is_active=False)
    with pytest.raises(PermissionDenied):
        factories.make_ticket(actor=gone, entry=entry)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": None}, "title"),
        ({"title": 42}, "title"),
        ({"title": "长" * 201}, "title"),
        ({"description": "x" * 20_001}, "description"),
        ({"priority": "L9"}, "priority"),
        ({"priority": "l1"}, "priority"),
        ({"priority": 1}, "priority"),
        ({"priority": ["L1"]}, "priority"),
        ({"custom_fields": ["a", "b"]}, "custom_fields"),
        ({"custom_fields": "device=mac"}, "custom_fields"),
        ({"custom_fields": {1: "a"}}, "custom_fields"),
        ({"channel": "fax"}, "channel"),
    ],
)
def test_invalid_input_is_reported_on_its_field(handlers, entry, requester, kwargs, field):
    kwargs.setdefault("title", "打印机坏了")
    with pytest.raises(ValidationFailed) as exc:
        services.create_ticket(actor=requester, catalog_entry_id=entry.pk, **kwargs)
    assert list(exc.value.errors) == [field]
    assert exc.value.errors[field]
    assert exc.value.detail
    assert not Ticket.objects.exists()
    assert not TicketEvent.objects.exists()


def test_title_of_exactly_max_length_is_accepted(handlers, entry, requester):
    ticket = factories.make_ticket(actor=requester, entry=entry, title="长" * 200)
    assert len(ticket.title) == 200


def test_every_invalid_field_is_reported_at_once(handlers, entry, requester):
    with pytest.raises(ValidationFailed) as exc:
        services.create_ticket(
            actor=requester, title="", catalog_entry_id=None, priority="P0", custom_fields=[]
        )
    assert set(exc.value.errors) == {"title", "catalog_entry", "priority", "custom_fields"}


@pytest.mark.parametrize("entry_id", [None, "", 999_999, "abc", 10**30, True, [1]])
def test_missing_or_unknown_catalog_entry(handlers, requester, entry_id):
    with pytest.raises(ValidationFailed) as exc:
        services.create_ticket(actor=requester, title="打印机坏了", catalog_entry_id=entry_id)
    assert list(exc.value.errors) == ["catalog_entry"]


def test_level_one_entry_is_refused(handlers, entry, requester):
    with pytest.raises(ValidationFailed) as exc:
        factories.make_ticket(actor=requester, entry=entry.parent)
    assert exc.value.errors == {"catalog_entry": ["只能选择二级服务目录"]}


def test_retired_entry_is_refused(handlers, entry, requester):
    CatalogEntry.objects.filter(pk=entry.pk).update(is_retired=True)
    with pytest.raises(ValidationFailed) as exc:
        factories.make_ticket(actor=requester, entry=entry)
    assert exc.value.errors == {"catalog_entry": ["该服务目录已停用"]}


def test_entry_under_a_retired_parent_is_refused(handlers, entry, requester):
    CatalogEntry.objects.filter(pk=entry.parent_id).update(is_retired=True)
    with pytest.raises(ValidationFailed) as exc:
        factories.make_ticket(actor=requester, entry=entry)
    assert "catalog_entry" in exc.value.errors


def test_catalog_entry_id_may_be_a_numeric_string(handlers, entry, requester):
    ticket = services.create_ticket(
        actor=requester, title="打印机坏了", catalog_entry_id=str(entry.pk)
    )
    assert ticket.catalog_entry_id == entry.pk


def test_entry_without_queue_refuses_filing_and_explains(requester):
    entry = factories.catalog_leaf(None)
    with pytest.raises(ValidationFailed) as caught:
        factories.make_ticket(actor=requester, entry=entry)
    assert "未绑定派单队列" in caught.value.errors["catalog_entry"][0]
    assert not Ticket.objects.exists()


def test_entry_whose_queue_is_disabled_refuses_filing_and_explains(requester, entry, queue):
    queue.is_enabled = False
    queue.save()
    with pytest.raises(ValidationFailed) as caught:
        factories.make_ticket(actor=requester, entry=entry)
    assert caught.value.errors["catalog_entry"] == [
        f"服务目录「{entry.name}」的派单队列「{queue.name}」已停用，暂时不能提交工单，请联系管理员"
    ]
    assert not Ticket.objects.exists()


def test_a_failure_after_the_ticket_is_written_rolls_everything_back(
    handlers, entry, requester, monkeypatch, settings
):
    def broken_dispatch(**kwargs):
        raise RuntimeError("dispatch blew up")

    monkeypatch.setattr("andon.tickets.services.common.pick_assignee", broken_dispatch)
    with pytest.raises(RuntimeError):
        factories.make_ticket(actor=requester, entry=entry, attachments=[factories.upload()])
    assert not Ticket.objects.exists()
    assert not TicketEvent.objects.exists()
    assert not Attachment.objects.exists()
    assert not Notification.objects.exists()
    media = Path(settings.MEDIA_ROOT)
    assert not media.exists() or not [p for p in media.rglob("*") if p.is_file()]


def test_a_failing_notification_rolls_back_the_ticket(handlers, entry, requester, monkeypatch):
    calls = []

    def notify(*, event, ticket):
        calls.append(event.kind)
        if event.kind == EventKind.DISPATCHED:
            raise RuntimeError("notification store down")

    monkeypatch.setattr("andon.notifications.services.notify_for_event", notify)
    with pytest.raises(RuntimeError):
        factories.make_ticket(actor=requester, entry=entry)
    assert calls == [EventKind.CREATED, EventKind.DISPATCHED]
    assert not Ticket.objects.exists()
    assert not TicketEvent.objects.exists()
