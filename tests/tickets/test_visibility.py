import pytest
from django.contrib.auth.models import AnonymousUser

from andon.core.errors import NotFound
from andon.queues.models import QueueMembership
from andon.tickets import policies, selectors, services
from andon.tickets.models import EventKind, Ticket
from tests import factories


@pytest.fixture
def world(queue, handlers, entry, requester, admin_user):
    """Two queues, tickets in each, and one person in every role."""
    other_queue = factories.QueueFactory()
    other_member = factories.handler()
    factories.add_members(other_queue, other_member)
    other_entry = factories.catalog_leaf(other_queue)
    someone_else = factories.requester()

    mine = factories.make_ticket(actor=requester, entry=entry, title="我的")  # -> handlers[0]
    theirs = factories.make_ticket(actor=someone_else, entry=entry, title="别人的")  # -> [1]
    elsewhere = factories.make_ticket(actor=someone_else, entry=other_entry, title="别的队列")
    # handlers[2] joined the other queue, was handed its ticket, then left that queue again:
    # they keep seeing the one ticket that is still theirs.
    services.claim_ticket(ticket_id=elsewhere.pk, actor=other_member)
    membership = QueueMembership.objects.create(queue=other_queue, user=handlers[2])
    services.transfer_ticket(ticket_id=elsewhere.pk, actor=other_member, assignee_id=handlers[2].pk)
    membership.delete()
    handlers[2]._member_queue_ids = None  # forget the per-request cache of their queues
    return {
        "mine": mine,
        "theirs": theirs,
        "elsewhere": elsewhere,
        "requester": requester,
        "someone_else": someone_else,
        "assignee_only": handlers[2],
        "member": handlers[1],
        "other_member": other_member,
        "observer": factories.observer(),
        "admin": admin_user,
    }


EXPECTED = {
    "requester": {"mine"},
    "someone_else": {"theirs", "elsewhere"},
    "member": {"mine", "theirs"},  # every ticket of their queue, assigned to them or not
    "assignee_only": {"mine", "theirs", "elsewhere"},  # own queue + the one assigned to them
    "other_member": {"elsewhere"},  # must not see the first queue's tickets
    "observer": {"mine", "theirs", "elsewhere"},
    "admin": {"mine", "theirs", "elsewhere"},
}


@pytest.mark.parametrize("who", list(EXPECTED))
def test_visible_tickets(world, who):
    user = world[who]
    names = ("mine", "theirs", "elsewhere")
    visible = set(selectors.visible_tickets(user).values_list("pk", flat=True))
    assert {n for n in names if world[n].pk in visible} == EXPECTED[who]
    # The one-ticket rule agrees with the queryset.
    for name in names:
        ticket = Ticket.objects.get(pk=world[name].pk)
        assert policies.can_view(user, ticket) == (name in EXPECTED[who]), name


def test_deactivated_and_anonymous_users_see_nothing(world):
    world["member"].is_active = False
    world["member"].save()
    assert not selectors.visible_tickets(world["member"]).exists()
    assert not selectors.visible_tickets(AnonymousUser()).exists()
    assert not policies.can_view(AnonymousUser(), world["mine"])


def test_get_visible_ticket(world):
    assert selectors.get_visible_ticket(world["requester"], world["mine"].pk) == world["mine"]
    assert selectors.get_visible_ticket(world["requester"], world["mine"].number) == world["mine"]
    # Hidden and missing look the same.
    for ref in (world["mine"].pk, world["mine"].number, 0, -1, "x", None, 2**70):
        with pytest.raises(NotFound) as hidden:
            selectors.get_visible_ticket(world["other_member"], ref)
        assert hidden.value.detail == "工单不存在或无权查看"


def test_search_filter_finds_by_number_and_text(world):
    qs = selectors.visible_tickets(world["admin"])
    assert list(qs.filter(selectors.search_filter(world["theirs"].number))) == [world["theirs"]]
    assert set(qs.filter(selectors.search_filter("别"))) == {world["theirs"], world["elsewhere"]}


# --- internal comments ---------------------------------------------------------------------------


@pytest.fixture
def discussed(ticket, handlers, requester):
    services.add_comment(ticket_id=ticket.pk, actor=requester, body="公开：还没好")
    services.add_comment(
        ticket_id=ticket.pk,
        actor=handlers[0],
        body="内部：怀疑是驱动",
        is_internal=True,
        attachments=[factories.upload("trace.log", b"driver trace")],
    )
    services.add_comment(
        ticket_id=ticket.pk,
        actor=handlers[0],
        body="公开：正在处理",
        attachments=[factories.upload("howto.pdf", b"%PDF-1.4")],
    )
    return ticket


def _bodies(user, ticket):
    return [c.body for c in selectors.ticket_comments(user, ticket)]


def test_requester_does_not_see_internal_comments(discussed, requester):
    assert _bodies(requester, discussed) == ["公开：还没好", "公开：正在处理"]
    kinds = [
        (e.kind, e.after.get("internal")) for e in selectors.ticket_events(requester, discussed)
    ]
    assert (EventKind.COMMENTED, True) not in kinds
    assert kinds.count((EventKind.COMMENTED, False)) == 2
    assert (EventKind.CREATED, None) in kinds
    assert (EventKind.DISPATCHED, None) in kinds
    names = [a.original_name for a in selectors.ticket_attachments(requester, discussed)]
    assert names == ["howto.pdf"]


@pytest.mark.parametrize("who", ["assignee", "member", "observer", "admin"])
def test_staff_side_sees_internal_comments(discussed, handlers, admin_user, who):
    user = {
        "assignee": handlers[0],
        "member": handlers[1],
        "observer": factories.observer(),
        "admin": admin_user,
    }[who]
    assert _bodies(user, discussed) == ["公开：还没好", "内部：怀疑是驱动", "公开：正在处理"]
    events = selectors.ticket_events(user, discussed)
    assert events.filter(kind=EventKind.COMMENTED).count() == 3
    assert selectors.ticket_attachments(user, discussed).count() == 2


def test_a_handler_filing_to_another_team_is_only_a_requester_there(queue, handlers, entry):
    other = factories.QueueFactory()
    factories.add_members(other, factories.handler())
    outsider_handler = factories.handler()  # has tickets.handle, but not in `queue`
    ticket = factories.make_ticket(actor=outsider_handler, entry=entry)
    services.add_comment(ticket_id=ticket.pk, actor=handlers[0], body="内部", is_internal=True)
    assert _bodies(outsider_handler, ticket) == []
    assert not policies.is_staff_side(outsider_handler, ticket)


def test_detail_queryset_prefetches_only_visible_attachments(discussed, requester, handlers):
    for user, expected in ((requester, ["howto.pdf"]), (handlers[1], ["trace.log", "howto.pdf"])):
        ticket = selectors.ticket_detail_queryset(user).get(pk=discussed.pk)
        assert [a.original_name for a in ticket.attachments.all()] == expected
