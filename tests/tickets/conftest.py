import pytest

from andon.tickets import services
from andon.tickets.models import Status
from tests import factories


def advance(ticket, status, *, handler, requester):
    """Walk a freshly dispatched ticket (assigned to `handler`, pending) to `status` through the
    services, the way people would."""
    pk = ticket.pk
    if status == Status.CANCELLED:
        services.cancel_ticket(ticket_id=pk, actor=requester, reason="不需要了")
    elif status != Status.PENDING:
        services.claim_ticket(ticket_id=pk, actor=handler)
        if status == Status.NEED_INFO:
            services.request_info(ticket_id=pk, actor=handler, note="请提供截图")
        elif status in (Status.TO_CONFIRM, Status.DONE, Status.CLOSED):
            services.resolve_ticket(ticket_id=pk, actor=handler, resolution="重启后恢复")
            if status in (Status.DONE, Status.CLOSED):
                services.confirm_ticket(ticket_id=pk, actor=requester)
            if status == Status.CLOSED:
                services.close_ticket(ticket_id=pk, actor=requester)
    ticket.refresh_from_db()
    assert ticket.status == status
    return ticket


@pytest.fixture
def ticket(handlers, entry, requester):
    """Filed by `requester` on a round-robin queue: dispatched to handlers[0], pending."""
    return factories.make_ticket(actor=requester, entry=entry)


@pytest.fixture
def ticket_in(ticket, handlers, requester):
    def build(status):
        return advance(ticket, status, handler=handlers[0], requester=requester)

    return build


@pytest.fixture
def pool_queue(db):
    return factories.QueueFactory(dispatch_rule="manual")


@pytest.fixture
def pool_members(pool_queue):
    people = [factories.handler() for _ in range(2)]
    factories.add_members(pool_queue, *people)
    return people


@pytest.fixture
def pool_entry(pool_queue):
    return factories.catalog_leaf(pool_queue)


@pytest.fixture
def pool_ticket(pool_members, pool_entry, requester):
    """Filed on a manual queue: unassigned, pending, waiting in the pool."""
    return factories.make_ticket(actor=requester, entry=pool_entry)


@pytest.fixture
def outsider(db):
    """A handler in another queue: cannot see tickets of `queue`."""
    other = factories.QueueFactory()
    person = factories.handler()
    factories.add_members(other, person)
    return person
