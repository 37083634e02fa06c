"""Links between tickets and merging a duplicate (andon.tickets.services.links)."""

import pytest
from django.db import IntegrityError, transaction

from andon.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from andon.tickets import selectors, services
from andon.tickets.models import (
    Attachment,
    Comment,
    EventKind,
    LinkKind,
    Status,
    Ticket,
    TicketLink,
)
from andon.tickets.services import links
from tests import factories


@pytest.fixture
def three(handlers, entry, requester):
    return [factories.make_ticket(actor=requester, entry=entry) for _ in range(3)]


def _relations(user, ticket):
    return {(r["relation"], r["ticket"].pk) for r in selectors.ticket_links(user, ticket)}


def test_links_read_from_both_ends(three, handlers):
    a, b, c = three
    links.link_tickets(ticket_id=a.pk, actor=handlers[0], other=b.number, relation="parent")
    links.link_tickets(ticket_id=a.pk, actor=handlers[0], other=str(c.pk), relation="related")
    assert _relations(handlers[0], a) == {("parent", b.pk), ("related", c.pk)}
    assert _relations(handlers[0], b) == {("child", a.pk)}
    assert _relations(handlers[0], c) == {("related", a.pk)}
    # One event on each end, naming the other ticket.
    event = b.events.get(kind=EventKind.LINKED)
    assert event.after["ticket"]["id"] == a.pk and event.after["role"] == "target"


def test_children_states_on_the_parent(three, handlers, requester):
    parent, first, second = three
    for child in (first, second):
        links.link_tickets(ticket_id=parent.pk, actor=handlers[0], other=child.pk, relation="child")
    services.cancel_ticket(ticket_id=first.pk, actor=requester, reason="不需要了")
    rows = selectors.ticket_links(handlers[0], parent)
    assert selectors.children_states(rows) == {
        "total": 2,
        "finished": 1,
        "by_status": {"cancelled": 1, "pending": 1},
    }


def test_no_self_link(three, handlers):
    with pytest.raises(ValidationFailed) as caught:
        links.link_tickets(
            ticket_id=three[0].pk, actor=handlers[0], other=three[0].number, relation="related"
        )
    assert caught.value.code == "self_link"
    assert not TicketLink.objects.exists()


def test_the_database_refuses_a_self_link_too(three, handlers):
    with pytest.raises(IntegrityError), transaction.atomic():
        TicketLink.objects.create(
            source=three[0],
            target=three[0],
            kind=LinkKind.RELATED,
            created_by=handlers[0],
            created_at=three[0].created_at,
        )


def test_no_cycle_in_a_parent_chain(three, handlers):
    a, b, c = three
    links.link_tickets(ticket_id=a.pk, actor=handlers[0], other=b.pk, relation="parent")
    links.link_tickets(ticket_id=b.pk, actor=handlers[0], other=c.pk, relation="parent")
    with pytest.raises(Conflict) as caught:
        links.link_tickets(ticket_id=c.pk, actor=handlers[0], other=a.pk, relation="parent")
    assert caught.value.code == "parent_cycle"
    with pytest.raises(Conflict):  # the same loop named from the other side
        links.link_tickets(ticket_id=a.pk, actor=handlers[0], other=c.pk, relation="child")
    assert TicketLink.objects.count() == 2


def test_one_parent_and_no_repeated_link(three, handlers):
    a, b, c = three
    links.link_tickets(ticket_id=a.pk, actor=handlers[0], other=b.pk, relation="parent")
    with pytest.raises(Conflict) as caught:
        links.link_tickets(ticket_id=a.pk, actor=handlers[0], other=c.pk, relation="parent")
    assert caught.value.code == "has_parent"
    with pytest.raises(Conflict) as caught:
        links.link_tickets(ticket_id=b.pk, actor=handlers[0], other=a.pk, relation="related")
    assert caught.value.code == "already_linked"


@pytest.mark.parametrize(
    ("other", "relation", "error"),
    [
        ("", "related", ValidationFailed),
        ("AD-x", "related", ValidationFailed),
        ("999999", "related", ValidationFailed),
        ("{b}", "sibling", ValidationFailed),
    ],
)
def test_bad_input_is_refused_with_nothing_written(three, handlers, other, relation, error):
    with pytest.raises(error):
        links.link_tickets(
            ticket_id=three[0].pk,
            actor=handlers[0],
            other=other.format(b=three[1].pk),
            relation=relation,
        )
    assert not TicketLink.objects.exists()
    assert not three[0].events.filter(kind=EventKind.LINKED).exists()


def test_only_the_handling_side_links_and_hidden_tickets_stay_hidden(three, requester, outsider):
    with pytest.raises(PermissionDenied):
        links.link_tickets(
            ticket_id=three[0].pk, actor=requester, other=three[1].pk, relation="related"
        )
    with pytest.raises(NotFound):
        links.link_tickets(
            ticket_id=three[0].pk, actor=outsider, other=three[1].pk, relation="related"
        )


def test_a_link_to_a_ticket_one_may_not_see_shows_only_its_number(three, handlers, requester):
    other_queue = factories.QueueFactory()
    stranger = factories.handler()
    factories.add_members(other_queue, stranger)
    hidden = factories.make_ticket(actor=stranger, entry=factories.catalog_leaf(other_queue))
    boss = factories.admin()
    links.link_tickets(ticket_id=three[0].pk, actor=boss, other=hidden.pk, relation="related")
    (row,) = selectors.ticket_links(handlers[0], three[0])
    assert row["ticket"].pk == hidden.pk and row["visible"] is False


def test_unlink(three, handlers):
    link = links.link_tickets(
        ticket_id=three[0].pk, actor=handlers[0], other=three[1].pk, relation="related"
    )
    links.unlink_tickets(ticket_id=three[1].pk, actor=handlers[0], link_id=link.pk)
    assert not TicketLink.objects.exists()
    assert three[0].events.filter(kind=EventKind.UNLINKED).count() == 1
    with pytest.raises(NotFound):
        links.unlink_tickets(ticket_id=three[1].pk, actor=handlers[0], link_id=link.pk)


# --- merging ----------------------------------------------------------------------------------


@pytest.fixture
def duplicate_and_original(three, handlers, requester):
    original, duplicate, _third = three
    services.add_comment(ticket_id=duplicate.pk, actor=requester, body="我这边也打不开")
    services.add_comment(
        ticket_id=duplicate.pk, actor=handlers[0], body="内部：同一故障", is_internal=True
    )
    services.add_attachment(
        ticket_id=duplicate.pk, actor=requester, upload=factories.upload("log.png")
    )
    return duplicate, original


def test_merge_moves_comments_and_files_and_closes_with_a_pointer(duplicate_and_original, handlers):
    duplicate, original = duplicate_and_original
    links.merge_ticket(
        ticket_id=duplicate.pk, actor=handlers[0], into=original.number, note="同一故障"
    )
    duplicate.refresh_from_db()
    assert duplicate.status == Status.CLOSED and duplicate.closed_at is not None
    assert Comment.objects.filter(ticket=original).count() == 2
    assert Attachment.objects.filter(ticket=original).count() == 1
    assert not Comment.objects.filter(ticket=duplicate).exists()
    closed = duplicate.events.get(kind=EventKind.CLOSED)
    assert closed.after["merged_into"]["id"] == original.pk
    assert original.number in closed.note
    merged = original.events.get(kind=EventKind.MERGED)
    assert merged.after["moved"] == {"comments": 2, "attachments": 1}
    assert TicketLink.objects.filter(
        source=duplicate, target=original, kind=LinkKind.DUPLICATE
    ).exists()
    assert _relations(handlers[0], original) == {("duplicated_by", duplicate.pk)}


def test_a_failing_mover_leaves_both_tickets_untouched(duplicate_and_original, handlers):
    duplicate, original = duplicate_and_original

    def broken(**_kwargs):
        raise RuntimeError("watchers table is down")

    links.register_merge_mover("test.broken", broken)
    try:
        with pytest.raises(RuntimeError):
            links.merge_ticket(ticket_id=duplicate.pk, actor=handlers[0], into=original.pk)
    finally:
        links._merge_movers.pop("test.broken")
    duplicate.refresh_from_db()
    assert duplicate.status == Status.PENDING
    assert Comment.objects.filter(ticket=duplicate).count() == 2
    assert Attachment.objects.filter(ticket=duplicate).count() == 1
    assert not TicketLink.objects.exists()
    assert not original.events.filter(kind=EventKind.MERGED).exists()


def test_registered_movers_run_in_the_merge(duplicate_and_original, handlers):
    duplicate, original = duplicate_and_original
    seen = []
    links.register_merge_mover(
        "test.watchers", lambda **kw: seen.append((kw["source"].pk, kw["target"].pk)) or 3
    )
    try:
        links.merge_ticket(ticket_id=duplicate.pk, actor=handlers[0], into=original.pk)
    finally:
        links._merge_movers.pop("test.watchers")
    assert seen == [(duplicate.pk, original.pk)]
    assert original.events.get(kind=EventKind.MERGED).after["moved"]["test.watchers"] == 3


def test_merge_refusals(three, handlers, requester):
    original, duplicate, third = three
    with pytest.raises(PermissionDenied):  # the requester does not merge
        links.merge_ticket(ticket_id=duplicate.pk, actor=requester, into=original.pk)
    with pytest.raises(ValidationFailed):
        links.merge_ticket(ticket_id=duplicate.pk, actor=handlers[0], into=duplicate.pk)
    services.cancel_ticket(ticket_id=third.pk, actor=requester, reason="重复提交")
    with pytest.raises(Conflict) as caught:
        links.merge_ticket(ticket_id=duplicate.pk, actor=handlers[0], into=third.pk)
    assert caught.value.code == "target_finished"
    links.merge_ticket(ticket_id=duplicate.pk, actor=handlers[0], into=original.pk)
    with pytest.raises(Conflict):  # merged once: it is closed now
        links.merge_ticket(ticket_id=duplicate.pk, actor=handlers[0], into=original.pk)
    assert Ticket.objects.get(pk=duplicate.pk).status == Status.CLOSED
