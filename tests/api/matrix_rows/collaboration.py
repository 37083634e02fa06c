"""Collaborators (卷入), watching (关注), copies (抄送), take-over and versioned edits. The
ticket is the row's fresh one (filed by `requester`, held by `handler`): its handler and
managers pull people in; the requester and the handler copy colleagues; anyone who sees it may
follow it."""

from andon.tickets import services
from tests import factories
from tests.api.matrix import Row, ticket_access

TICKET = "/api/v1/tickets/{ticket}/"
SEES = {"requester": 200, "handler": 200, "observer": 200, "admin": 200}


def refs(world, ticket) -> dict:
    engineer = factories.handler(username=f"rd-{ticket.pk}")
    pulled_in = factories.handler(username=f"pulled-{ticket.pk}")
    collaborator = services.add_collaborator(
        ticket_id=ticket.pk, actor=world.handler, user_id=pulled_in.pk
    )
    copy = services.add_carbon_copy(
        ticket_id=ticket.pk, actor=world.requester, email=f"cc-{ticket.pk}@example.com"
    )
    return {"engineer": engineer.pk, "collaborator": collaborator.pk, "cc": copy.pk}


ROWS = [
    Row("collaborators: list", "get", TICKET + "collaborators/", ticket_access(**SEES)),
    Row(
        "collaborators: add (the handler or a manager)",
        "post",
        TICKET + "collaborators/",
        ticket_access(requester=403, handler=201, observer=403, admin=201),
        body={"user": "{engineer}"},
    ),
    Row(
        "collaborators: remove (the handler or a manager)",
        "delete",
        TICKET + "collaborators/{collaborator}/",
        ticket_access(requester=403, handler=204, observer=403, admin=204),
    ),
    Row("watch: state", "get", TICKET + "watch/", ticket_access(**SEES)),
    Row("watch: follow (anyone who sees it)", "put", TICKET + "watch/", ticket_access(**SEES)),
    Row("watch: unfollow", "delete", TICKET + "watch/", ticket_access(**SEES)),
    Row("cc: list", "get", TICKET + "cc/", ticket_access(**SEES)),
    Row(
        "cc: add (the requester, the handler or a manager)",
        "post",
        TICKET + "cc/",
        ticket_access(requester=201, handler=201, observer=403, admin=201),
        body={"email": "colleague@example.com"},
    ),
    Row(
        "cc: remove",
        "delete",
        TICKET + "cc/{cc}/",
        ticket_access(requester=204, handler=204, observer=403, admin=204),
    ),
    Row(
        "take-over (queue members and managers; the holder already holds it)",
        "post",
        TICKET + "take-over/",
        ticket_access(requester=403, handler=409, observer=403, admin=200),
    ),
    Row(
        "tickets: edit from a stale version",
        "patch",
        TICKET,
        ticket_access(requester=409, handler=409, observer=403, admin=409),
        body={"title": "改个标题", "version": 99},
    ),
]
