"""No N+1: each list costs the same number of queries whatever its length."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from andon.tags import services as tag_services
from andon.tickets import services
from andon.ticketsearch import index
from tests import factories

pytestmark = pytest.mark.django_db


def queries_for(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, params or {})
    assert response.status_code == 200, response.content
    return len(context.captured_queries)


def add_tickets(world, count: int) -> None:
    """Tickets from different requesters, under different entries, in different hands."""
    for n in range(count):
        requester = factories.requester()
        entry = world.entry if n % 2 else factories.catalog_leaf(world.queue)
        ticket = factories.make_ticket(actor=requester, entry=entry, title=f"工单 {n}")
        if n % 3 == 0:
            services.claim_ticket(ticket_id=ticket.pk, actor=world.handler)
    # The search box reads the full-text index, which the worker fills after commit: the
    # filtered list must find these tickets, or it would count the queries of an empty page.
    index.reindex()


@pytest.mark.parametrize("who", ["handler", "admin"])
def test_ticket_list_is_constant(api, world, who, django_assert_max_num_queries):
    client = api(getattr(world, who))
    add_tickets(world, 5)
    small = queries_for(client, "/api/v1/tickets/")
    add_tickets(world, 25)
    large = queries_for(client, "/api/v1/tickets/")
    search = {"status": "pending,processing", "catalog_entry": world.entry.parent_id, "q": "工单"}
    filtered = queries_for(client, "/api/v1/tickets/", search)
    assert client.get("/api/v1/tickets/", search).json()["results"]
    assert small == large == filtered
    # token + roles (+ the caller's queues) + the page + the page's tags (one prefetch)
    with django_assert_max_num_queries(5):
        client.get("/api/v1/tickets/", {"assignee": "me"})


def test_ticket_detail_is_bounded(api, world, django_assert_max_num_queries):
    ticket = world.ticket()
    for n in range(5):
        upload = SimpleUploadedFile(f"f{n}.txt", b"x", content_type="text/plain")
        services.add_attachment(ticket_id=ticket.pk, actor=world.requester, upload=upload)
    tag_services.add_tags(ticket_id=ticket.pk, actor=world.handler, names=["网络", "VPN", "打印机"])
    client = api(world.handler)
    # + the ticket's tags: one query however many
    with django_assert_max_num_queries(6):
        response = client.get(f"/api/v1/tickets/{ticket.pk}/")
    assert len(response.json()["attachments"]) == 5
    assert response.json()["tags"] == ["VPN", "打印机", "网络"]


def test_queue_list_is_constant(api, world, django_assert_max_num_queries):
    client = api(world.agent)

    def add_queues(count):
        for _ in range(count):
            queue = factories.QueueFactory()
            factories.add_members(queue, *[factories.handler() for _ in range(3)])

    add_queues(2)
    small = queries_for(client, "/api/v1/queues/")
    add_queues(10)
    large = queries_for(client, "/api/v1/queues/")
    assert small == large
    with django_assert_max_num_queries(3):
        client.get("/api/v1/queues/")


def test_catalog_list_is_constant(api, world, django_assert_max_num_queries):
    client = api(world.agent)
    small = queries_for(client, "/api/v1/catalog/")
    for _ in range(10):
        factories.catalog_leaf(factories.QueueFactory())
    large = queries_for(client, "/api/v1/catalog/")
    assert small == large
    with django_assert_max_num_queries(2):
        client.get("/api/v1/catalog/")


def _comment_a_lot(world, ticket, count: int) -> None:
    for n in range(count):
        author = world.handler if n % 2 else world.requester
        upload = SimpleUploadedFile(f"log{n}.txt", b"x", content_type="text/plain")
        services.add_comment(
            ticket_id=ticket.pk, actor=author, body=f"第 {n} 条", attachments=[upload]
        )


def test_comments_list_is_constant(api, world, django_assert_max_num_queries):
    ticket = world.ticket()
    client = api(world.handler)
    _comment_a_lot(world, ticket, 2)
    small = queries_for(client, f"/api/v1/tickets/{ticket.pk}/comments/")
    _comment_a_lot(world, ticket, 12)
    large = queries_for(client, f"/api/v1/tickets/{ticket.pk}/comments/")
    assert small == large
    # token, roles, the caller's queues, the ticket, count, page, attachments
    with django_assert_max_num_queries(7):
        client.get(f"/api/v1/tickets/{ticket.pk}/comments/")


def test_events_list_is_constant(api, world, django_assert_max_num_queries):
    ticket = world.ticket()
    client = api(world.requester)
    small = queries_for(client, f"/api/v1/tickets/{ticket.pk}/events/")
    _comment_a_lot(world, ticket, 10)
    for _ in range(3):
        other = factories.requester()
        services.add_comment(ticket_id=ticket.pk, actor=world.handler, body=f"@{other.name}")
    large = queries_for(client, f"/api/v1/tickets/{ticket.pk}/events/")
    assert small == large
    # token, roles, the caller's queues, the ticket, the people around it (collaborators and
    # copies, one UNION: a collaborator is on the staff side and sees internal notes), count, page
    with django_assert_max_num_queries(7):
        client.get(f"/api/v1/tickets/{ticket.pk}/events/")


def test_users_and_departments_are_constant(api, world):
    client = api(world.observer)
    factories.DepartmentFactory().leaders.add(world.handler)
    small_users = queries_for(client, "/api/v1/users/")
    small_departments = queries_for(client, "/api/v1/departments/")
    for _ in range(8):
        department = factories.DepartmentFactory()
        department.leaders.add(factories.UserFactory(main_department=department))
    assert queries_for(client, "/api/v1/users/") == small_users
    assert queries_for(client, "/api/v1/departments/") == small_departments
