import pytest

from andon.knowledge import services
from andon.tickets import services as ticket_services
from tests import factories


@pytest.fixture
def editor(db):
    return factories.admin()


@pytest.fixture
def reader(db):
    return factories.requester()  # the agent role: knowledge.view, not knowledge.manage


def publish(editor, title, body="", *, visibility="internal", tags=None, status="published"):
    return services.create_article(
        actor=editor, title=title, body=body, visibility=visibility, tags=tags, status=status
    )


def resolved_ticket(*, requester, entry, title, description="", resolution="已处理"):
    """A ticket filed by `requester`, dispatched to a queue member who resolves it (services),
    after the worker's after-commit fan-out indexed it."""
    ticket = factories.make_ticket(
        actor=requester, entry=entry, title=title, description=description
    )
    ticket.refresh_from_db()
    assert ticket.assignee_id, "the queue needs members (use the `handlers` fixture)"
    ticket = ticket_services.resolve_ticket(
        ticket_id=ticket.pk, actor=ticket.assignee, resolution=resolution
    )
    factories.fan_out_pending()
    return ticket
