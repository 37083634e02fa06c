"""Ticket links and merging, the auto-confirm / auto-close countdown and periods, ratings and
the CSAT report.

`{peer}` is a second ticket of the same queue filed by `requester`, not linked, and `{link}` a
related link between a third one and the row's own `{ticket}`."""

from andon.tickets.link_models import LinkKind, TicketLink
from andon.tickets.models import Status
from tests import factories
from tests.api.matrix import Row, signed_in, ticket_access

TICKET = "/api/v1/tickets/{ticket}/"
# Links and merging: the handling side (the assignee, the queue, managers); the requester and
# observers see the ticket but do not link it.
HANDLING = ticket_access(requester=403, handler=None, observer=403, admin=None)


def handling(ok: int) -> dict:
    return {role: (ok if status is None else status) for role, status in HANDLING.items()}


def refs(world, ticket) -> dict:
    peer = factories.make_ticket(actor=world.requester, entry=world.entry, title="同一故障")
    related = factories.make_ticket(actor=world.requester, entry=world.entry, title="相关故障")
    link = TicketLink.objects.create(
        source=ticket,
        target=related,
        kind=LinkKind.RELATED,
        created_by=world.handler,
        created_at=ticket.created_at,
    )
    return {"peer": peer.pk, "link": link.pk}


ROWS = [
    Row(
        "links: list",
        "get",
        TICKET + "links/",
        ticket_access(requester=200, handler=200, observer=200, admin=200),
    ),
    Row(
        "links: create (parent)",
        "post",
        TICKET + "links/",
        handling(201),
        body={"ticket": "{peer}", "relation": "parent"},
    ),
    Row("links: delete", "delete", TICKET + "links/{link}/", handling(204)),
    Row("merge into another", "post", TICKET + "merge/", handling(200), body={"into": "{peer}"}),
    Row(
        "follow-up countdown",
        "get",
        TICKET + "follow-up/",
        ticket_access(requester=200, handler=200, observer=200, admin=200),
    ),
    Row("queue follow-up: read", "get", "/api/v1/queues/{queue}/follow-up/", signed_in(200)),
    Row(
        "queue follow-up: set",
        "put",
        "/api/v1/queues/{queue}/follow-up/",
        signed_in(403, admin=200),
        body={"close_after_days": 5},
    ),
    Row(
        "rating: read",
        "get",
        TICKET + "rating/",
        ticket_access(requester=200, handler=200, observer=200, admin=200),
    ),
    Row(
        "rating: rate (requester only)",
        "put",
        TICKET + "rating/",
        ticket_access(requester=200, handler=403, observer=403, admin=403),
        state=Status.DONE,
        body={"score": 5, "comment": "很快"},
    ),
    Row("reports: csat", "get", "/api/v1/reports/csat/", signed_in(200, nobody=403)),
]
