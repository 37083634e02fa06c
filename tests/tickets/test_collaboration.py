"""Collaborators (卷入), watchers (关注) and copies (抄送): who then sees the ticket, who may write
what, who is told, and what the activity log says. Real database, real SMTP for the e-mail copy."""

import pytest

from andon.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from andon.notifications.models import Notification, OutboxMessage
from andon.notifications.services import save_preferences
from andon.tickets import policies, selectors, services
from andon.tickets.models import Collaborator, EventKind, Watcher
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(queue, handlers, entry, requester):
    """A ticket in `queue`, held by handlers[0]; an R&D engineer and a second-line queue outside
    it; a customer colleague with an account."""
    ticket = factories.make_ticket(actor=requester, entry=entry)
    services.claim_ticket(ticket_id=ticket.pk, actor=handlers[0])
    second_line = factories.QueueFactory(name="二线运维")
    ops = factories.handler(username="ops", email="ops@example.com")
    factories.add_members(second_line, ops)
    return {
        "ticket": ticket,
        "owner": handlers[0],
        "rd": factories.handler(username="rd", email="rd@example.com"),
        "second_line": second_line,
        "ops": ops,
        "colleague": factories.requester(username="colleague", email="colleague@example.com"),
        "stranger": factories.requester(username="stranger"),
        "requester": requester,
        "teammate": handlers[1],
    }


def _notified(user, ticket, kind) -> bool:
    return Notification.objects.filter(recipient=user, ticket=ticket, kind=kind).exists()


def test_a_pulled_in_person_sees_comments_internally_and_is_told(desk):
    ticket, owner, rd = desk["ticket"], desk["owner"], desk["rd"]
    assert not selectors.visible_tickets(rd).filter(pk=ticket.pk).exists()
    with pytest.raises(NotFound):
        selectors.get_visible_ticket(rd, ticket.pk)

    services.add_collaborator(ticket_id=ticket.pk, actor=owner, user_id=rd.pk, note="看下日志")

    assert selectors.visible_tickets(rd).filter(pk=ticket.pk).count() == 1
    assert _notified(rd, ticket, EventKind.COLLABORATOR_ADDED)
    event = ticket.events.get(kind=EventKind.COLLABORATOR_ADDED)
    assert event.actor == owner and event.after["collaborator"]["user"]["id"] == rd.pk
    # handling side: internal comments are theirs to write and read
    fresh = selectors.get_visible_ticket(rd, ticket.pk)
    assert policies.is_staff_side(rd, fresh)
    services.add_comment(ticket_id=ticket.pk, actor=rd, body="是内存泄漏", is_internal=True)
    # the owner stays the owner and hears of it; the requester does not see it
    ticket.refresh_from_db()
    assert ticket.assignee == owner
    assert _notified(owner, ticket, EventKind.COMMENTED)
    assert not _notified(desk["requester"], ticket, EventKind.COMMENTED)
    # a public comment by the requester reaches the collaborator too
    services.add_comment(ticket_id=ticket.pk, actor=desk["requester"], body="还是慢")
    assert Notification.objects.filter(recipient=rd, kind=EventKind.COMMENTED).count() == 1


def test_a_whole_queue_can_be_pulled_in(desk):
    ticket, owner, ops = desk["ticket"], desk["owner"], desk["ops"]
    services.add_collaborator(ticket_id=ticket.pk, actor=owner, queue_id=desk["second_line"].pk)
    assert selectors.visible_tickets(ops).filter(pk=ticket.pk).exists()
    assert _notified(ops, ticket, EventKind.COLLABORATOR_ADDED)
    services.add_comment(ticket_id=ticket.pk, actor=desk["requester"], body="补充")
    assert _notified(ops, ticket, EventKind.COMMENTED)


def test_notifications_respect_each_persons_channels(desk):
    ticket, owner, rd = desk["ticket"], desk["owner"], desk["rd"]
    save_preferences(user=rd, data={"email": False})
    services.add_collaborator(ticket_id=ticket.pk, actor=owner, user_id=rd.pk)
    services.add_collaborator(ticket_id=ticket.pk, actor=owner, queue_id=desk["second_line"].pk)
    # in-app always; e-mail only for the one who kept it on
    assert _notified(rd, ticket, EventKind.COLLABORATOR_ADDED)
    assert not OutboxMessage.objects.filter(recipient=rd, channel="email").exists()
    assert OutboxMessage.objects.filter(recipient=desk["ops"], channel="email").exists()


def test_leaving_and_being_removed(desk):
    ticket, owner, rd = desk["ticket"], desk["owner"], desk["rd"]
    services.add_collaborator(ticket_id=ticket.pk, actor=owner, user_id=rd.pk)
    services.watch_ticket(ticket_id=ticket.pk, actor=rd)
    services.leave_ticket(ticket_id=ticket.pk, actor=rd)
    assert not selectors.visible_tickets(rd).filter(pk=ticket.pk).exists()
    assert not Watcher.objects.filter(user=rd).exists()  # leaving means hearing no more
    left = ticket.events.get(kind=EventKind.COLLABORATOR_REMOVED)
    assert left.actor == rd and left.after == {"left": True}
    with pytest.raises(NotFound):  # no longer visible: leaving twice is "not found"
        services.leave_ticket(ticket_id=ticket.pk, actor=rd)

    collaborator = services.add_collaborator(ticket_id=ticket.pk, actor=owner, user_id=rd.pk)
    with pytest.raises(PermissionDenied):  # a teammate is not the handler
        services.remove_collaborator(
            ticket_id=ticket.pk, actor=desk["teammate"], collaborator_id=collaborator.pk
        )
    services.remove_collaborator(ticket_id=ticket.pk, actor=owner, collaborator_id=collaborator.pk)
    assert ticket.events.filter(kind=EventKind.COLLABORATOR_REMOVED).count() == 2
    assert not Collaborator.objects.filter(ticket=ticket).exists()


def test_only_the_handler_pulls_people_in_and_bad_input_is_refused(desk, handlers):
    ticket, owner, rd = desk["ticket"], desk["owner"], desk["rd"]
    for actor in (handlers[1], desk["requester"]):  # a teammate, the requester
        with pytest.raises(PermissionDenied):
            services.add_collaborator(ticket_id=ticket.pk, actor=actor, user_id=rd.pk)
    with pytest.raises(ValidationFailed):  # both, or neither
        services.add_collaborator(
            ticket_id=ticket.pk, actor=owner, user_id=rd.pk, queue_id=desk["second_line"].pk
        )
    with pytest.raises(ValidationFailed):
        services.add_collaborator(ticket_id=ticket.pk, actor=owner)
    with pytest.raises(ValidationFailed):  # nobody by that id
        services.add_collaborator(ticket_id=ticket.pk, actor=owner, user_id="abc")
    with pytest.raises(ValidationFailed):  # the requester would read internal comments
        services.add_collaborator(ticket_id=ticket.pk, actor=owner, user_id=desk["requester"].pk)
    with pytest.raises(ValidationFailed):  # an account without any ticket permission
        services.add_collaborator(
            ticket_id=ticket.pk, actor=owner, user_id=factories.UserFactory().pk
        )
    with pytest.raises(Conflict):  # the owner is not their own collaborator
        services.add_collaborator(ticket_id=ticket.pk, actor=owner, user_id=owner.pk)
    services.add_collaborator(ticket_id=ticket.pk, actor=owner, user_id=rd.pk)
    with pytest.raises(Conflict) as twice:
        services.add_collaborator(ticket_id=ticket.pk, actor=owner, user_id=rd.pk)
    assert twice.value.code == "already_collaborator"
    assert Collaborator.objects.filter(ticket=ticket).count() == 1


def test_a_closed_ticket_takes_no_new_collaborators(desk):
    ticket, owner = desk["ticket"], desk["owner"]
    services.resolve_ticket(ticket_id=ticket.pk, actor=owner, resolution="好了")
    services.confirm_ticket(ticket_id=ticket.pk, actor=desk["requester"])
    services.close_ticket(ticket_id=ticket.pk, actor=desk["requester"])
    with pytest.raises(Conflict):
        services.add_collaborator(ticket_id=ticket.pk, actor=owner, user_id=desk["rd"].pk)


def test_watchers_hear_what_they_may_read(desk, handlers):
    ticket, owner = desk["ticket"], desk["owner"]
    teammate, requester = handlers[1], desk["requester"]
    assert services.watch_ticket(ticket_id=ticket.pk, actor=teammate) is True
    assert services.watch_ticket(ticket_id=ticket.pk, actor=teammate) is False  # harmless twice
    services.watch_ticket(ticket_id=ticket.pk, actor=requester)
    with pytest.raises(NotFound):  # watching needs sight of the ticket
        services.watch_ticket(ticket_id=ticket.pk, actor=desk["stranger"])

    services.add_comment(ticket_id=ticket.pk, actor=owner, body="内部备注", is_internal=True)
    assert _notified(teammate, ticket, EventKind.COMMENTED)
    assert not _notified(requester, ticket, EventKind.COMMENTED)  # a requester-side watcher

    services.request_info(ticket_id=ticket.pk, actor=owner, note="请截图")
    assert _notified(teammate, ticket, EventKind.NEED_INFO)
    assert services.unwatch_ticket(ticket_id=ticket.pk, actor=teammate) is True
    services.resume_ticket(ticket_id=ticket.pk, actor=requester, note="见附件")
    assert not _notified(teammate, ticket, EventKind.RESUMED)


def test_a_watcher_who_lost_sight_is_not_told(desk):
    ticket, owner, rd = desk["ticket"], desk["owner"], desk["rd"]
    collaborator = services.add_collaborator(ticket_id=ticket.pk, actor=owner, user_id=rd.pk)
    services.watch_ticket(ticket_id=ticket.pk, actor=rd)
    services.remove_collaborator(ticket_id=ticket.pk, actor=owner, collaborator_id=collaborator.pk)
    services.request_info(ticket_id=ticket.pk, actor=owner, note="请截图")
    assert not _notified(rd, ticket, EventKind.NEED_INFO)


def test_a_copied_colleague_reads_public_updates_only(desk):
    ticket, owner, colleague = desk["ticket"], desk["owner"], desk["colleague"]
    services.add_carbon_copy(ticket_id=ticket.pk, actor=desk["requester"], user_id=colleague.pk)
    assert _notified(colleague, ticket, EventKind.CC_ADDED)
    fresh = selectors.get_visible_ticket(colleague, ticket.pk)
    assert not policies.is_staff_side(colleague, fresh)
    services.add_comment(ticket_id=ticket.pk, actor=owner, body="内部", is_internal=True)
    services.add_comment(ticket_id=ticket.pk, actor=owner, body="已在处理")
    comments = [c.body for c in selectors.ticket_comments(colleague, fresh)]
    assert comments == ["已在处理"]
    notes = Notification.objects.filter(recipient=colleague, kind=EventKind.COMMENTED)
    assert notes.count() == 1
    with pytest.raises(PermissionDenied):  # internal comments are the handling side's
        services.add_comment(ticket_id=ticket.pk, actor=colleague, body="x", is_internal=True)
    services.add_comment(ticket_id=ticket.pk, actor=colleague, body="我们这边也受影响")
    event = ticket.events.get(kind=EventKind.CC_ADDED)
    assert event.after["cc"]["user"]["name"] == colleague.name


def test_an_email_copy_is_sent_by_smtp(desk, mail_server, django_capture_on_commit_callbacks):
    ticket, owner = desk["ticket"], desk["owner"]
    services.add_carbon_copy(
        ticket_id=ticket.pk, actor=owner, email="Wang@Customer.example", name="王经理"
    )
    mail_server.messages.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.add_comment(ticket_id=ticket.pk, actor=owner, body="内部", is_internal=True)
    assert not [m for m in mail_server.messages if m["To"] == "wang@customer.example"]
    with django_capture_on_commit_callbacks(execute=True):
        services.add_comment(ticket_id=ticket.pk, actor=owner, body="补丁已发布")
    copies = [m for m in mail_server.messages if m["To"] == "wang@customer.example"]
    assert len(copies) == 1
    assert "补丁已发布" in copies[0].get_body(("plain",)).get_content()
    message = OutboxMessage.objects.get(key__contains=":cc")
    assert message.recipient is None and message.state == "sent"


def test_copies_refuse_bad_input_and_duplicates(desk):
    ticket, owner, requester = desk["ticket"], desk["owner"], desk["requester"]
    for kwargs in (
        {},
        {"email": "not-an-address"},
        {"email": "a@b.example", "user_id": desk["colleague"].pk},
        {"email": "a@b.example", "name": "两行\n名字"},
        {"user_id": 10**12},
    ):
        with pytest.raises(ValidationFailed):
            services.add_carbon_copy(ticket_id=ticket.pk, actor=owner, **kwargs)
    with pytest.raises(Conflict):
        services.add_carbon_copy(ticket_id=ticket.pk, actor=owner, user_id=requester.pk)
    with pytest.raises(PermissionDenied):  # a queue teammate is neither handler nor requester
        services.add_carbon_copy(ticket_id=ticket.pk, actor=desk["teammate"], email="x@y.example")
    services.add_carbon_copy(ticket_id=ticket.pk, actor=owner, email="x@y.example")
    with pytest.raises(Conflict):
        services.add_carbon_copy(ticket_id=ticket.pk, actor=owner, email="X@Y.example")


def test_a_copied_person_may_remove_themselves(desk):
    ticket, colleague = desk["ticket"], desk["colleague"]
    copy = services.add_carbon_copy(
        ticket_id=ticket.pk, actor=desk["requester"], user_id=colleague.pk
    )
    services.remove_carbon_copy(ticket_id=ticket.pk, actor=colleague, cc_id=copy.pk)
    assert not selectors.visible_tickets(colleague).filter(pk=ticket.pk).exists()
    assert ticket.events.filter(kind=EventKind.CC_REMOVED, actor=colleague).count() == 1


def test_pulled_in_tickets_are_listed_once(desk):
    """However many ways a person reaches a ticket, the list shows it once."""
    ticket, owner, ops = desk["ticket"], desk["owner"], desk["ops"]
    services.add_collaborator(ticket_id=ticket.pk, actor=owner, user_id=ops.pk)
    services.add_collaborator(ticket_id=ticket.pk, actor=owner, queue_id=desk["second_line"].pk)
    services.add_carbon_copy(ticket_id=ticket.pk, actor=owner, user_id=ops.pk)
    assert list(selectors.visible_tickets(ops).values_list("pk", flat=True)) == [ticket.pk]
