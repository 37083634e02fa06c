from andon.tickets import services
from andon.tickets.models import EventKind, Status
from tests import factories


def test_full_lifecycle_records_every_step(handlers, entry, requester):
    ticket = factories.make_ticket(actor=requester, entry=entry, priority="L2")
    assert ticket.assignee == handlers[0]
    assert ticket.status == Status.PENDING
    services.claim_ticket(ticket_id=ticket.pk, actor=handlers[0])
    services.add_comment(ticket_id=ticket.pk, actor=handlers[0], body="正在查看")
    services.resolve_ticket(ticket_id=ticket.pk, actor=handlers[0], resolution="重启后恢复")
    services.confirm_ticket(ticket_id=ticket.pk, actor=requester)
    ticket.refresh_from_db()
    assert ticket.status == Status.DONE
    kinds = list(ticket.events.values_list("kind", flat=True))
    assert kinds == [
        EventKind.CREATED,
        EventKind.DISPATCHED,
        EventKind.CLAIMED,
        EventKind.COMMENTED,
        EventKind.RESOLVED,
        EventKind.CONFIRMED,
    ]
