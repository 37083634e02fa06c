"""The API of collaborators, watching, copies, take-over and versioned edits: bodies, errors in
the one error shape, and the version / ETag / If-Match contract of PATCH."""

import pytest

from andon.customers import services as customer_services
from andon.tickets import services
from andon.tickets.models import EventKind, Status, Ticket
from tests import factories
from tests.api.conftest import assert_error, client_for

pytestmark = pytest.mark.django_db


def test_collaborators_round_trip(world):
    ticket = world.ticket(Status.PROCESSING)
    engineer = factories.handler(username="rd")
    handler = client_for(world.handler)
    url = f"/api/v1/tickets/{ticket.pk}/collaborators/"
    response = handler.post(url, {"user": engineer.pk, "note": "请看日志"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["user"]["id"] == engineer.pk and body["added_by"]["id"] == world.handler.pk
    # the engineer now sees the ticket, its internal comments, and is listed
    rd = client_for(engineer)
    assert rd.get(f"/api/v1/tickets/{ticket.pk}/").status_code == 200
    assert [c["user"]["id"] for c in rd.get(url).json()] == [engineer.pk]
    comment = rd.post(
        f"/api/v1/tickets/{ticket.pk}/comments/", {"body": "内部", "is_internal": True}
    )
    assert comment.status_code == 201, comment.content
    # and removes themselves
    assert rd.delete(url + f"{body['id']}/").status_code == 204
    assert rd.get(f"/api/v1/tickets/{ticket.pk}/").status_code == 404


def test_collaborator_bad_input(world):
    ticket = world.ticket(Status.PROCESSING)
    handler = client_for(world.handler)
    url = f"/api/v1/tickets/{ticket.pk}/collaborators/"
    assert_error(handler.post(url, {}, format="json"), 400)
    assert_error(handler.post(url, {"user": "abc"}, format="json"), 400, field="user")
    assert_error(handler.post(url, {"user": 10**30}, format="json"), 400, field="user")
    assert_error(
        handler.post(url, {"user": world.agent.pk, "queue": world.other_queue.pk}, format="json"),
        400,
    )
    assert_error(handler.post(url, {"queue": ticket.queue_id}, format="json"), 409)
    assert handler.post(url, {"queue": world.other_queue.pk}, format="json").status_code == 201
    assert_error(
        handler.post(url, {"queue": world.other_queue.pk}, format="json"),
        409,
        code="already_collaborator",
    )
    assert_error(handler.delete(url + "999999/"), 404)


def test_watch_state_follow_unfollow(world):
    ticket = world.ticket()
    observer = client_for(world.observer)
    url = f"/api/v1/tickets/{ticket.pk}/watch/"
    assert observer.get(url).json() == {"watching": False, "watchers": 0}
    assert observer.put(url).json() == {"watching": True, "watchers": 1}
    assert observer.put(url).json() == {"watching": True, "watchers": 1}
    assert observer.delete(url).json() == {"watching": False, "watchers": 0}
    assert client_for(world.agent).put(url).status_code == 404


def test_copies_from_a_contact_an_address_or_a_user(world):
    ticket = world.ticket()
    contact = customer_services.create_contact(
        actor=world.agent, name="王经理", email="wang@customer.example"
    )
    silent = customer_services.create_contact(actor=world.agent, name="无邮箱")
    url = f"/api/v1/tickets/{ticket.pk}/cc/"
    handler = client_for(world.handler)
    made = handler.post(url, {"contact": contact.pk}, format="json")
    assert made.status_code == 201, made.content
    assert made.json()["email"] == "wang@customer.example" and made.json()["contact_id"]
    assert_error(handler.post(url, {"contact": silent.pk}, format="json"), 400, field="contact")
    assert_error(handler.post(url, {"contact": 999999}, format="json"), 400, field="contact")
    # an observer holds no customers.view: the contact is not theirs to read (nor the ticket's
    # copies theirs to make)
    assert client_for(world.observer).post(url, {"email": "a@b.example"}).status_code == 403
    requester = client_for(world.requester)
    assert_error(requester.post(url, {"email": "not-mail"}, format="json"), 400, field="email")
    assert_error(requester.post(url, {"email": "a@b.example", "user": world.agent.pk}), 400)
    assert requester.post(url, {"user": world.agent.pk}, format="json").status_code == 201
    # the copied colleague may now read the ticket, as a requester does
    assert client_for(world.agent).get(f"/api/v1/tickets/{ticket.pk}/").status_code == 200
    assert len(requester.get(url).json()) == 2


def test_take_over_endpoint(world):
    ticket = world.ticket(Status.PROCESSING)
    teammate = client_for(world.teammate)
    detail = teammate.get(f"/api/v1/tickets/{ticket.pk}/").json()
    assert "take-over" in detail["actions"] and "claim" not in detail["actions"]
    assert_error(
        teammate.post(f"/api/v1/tickets/{ticket.pk}/take-over/", {"note": "长" * 501}), 400
    )
    response = teammate.post(f"/api/v1/tickets/{ticket.pk}/take-over/", {"note": "我来"})
    assert response.status_code == 200, response.content
    assert response.json()["assignee"]["id"] == world.teammate.pk
    assert_error(
        teammate.post(f"/api/v1/tickets/{ticket.pk}/take-over/"), 409, code="already_assignee"
    )


def test_patch_carries_the_version_and_refuses_a_lost_update(world):
    ticket = world.ticket(Status.PROCESSING)
    url = f"/api/v1/tickets/{ticket.pk}/"
    handler, requester = client_for(world.handler), client_for(world.requester)
    first = handler.get(url)
    assert first["ETag"] == '"1"' and first.json()["version"] == 1
    # the requester edits the title from version 1
    edited = requester.patch(url, {"title": "打印机彻底坏了"}, format="json", HTTP_IF_MATCH='"1"')
    assert edited.status_code == 200 and edited["ETag"] == '"2"'
    # the handler, still on version 1, edits the same field: a clear conflict
    body = assert_error(
        handler.patch(url, {"title": "打印机卡纸", "version": 1}, format="json"),
        409,
        code="edit_conflict",
    )
    assert world.requester.name in body["detail"]
    # another field from the same old version is merged in
    merged = handler.patch(url, {"priority": "L1"}, format="json", HTTP_IF_MATCH='W/"1"')
    assert merged.status_code == 200
    assert merged.json()["title"] == "打印机彻底坏了" and merged.json()["priority"] == "L1"
    assert_error(handler.patch(url, {"title": "x", "version": "abc"}, format="json"), 400)
    assert_error(handler.patch(url, {"title": "x"}, format="json", HTTP_IF_MATCH='"abc"'), 400)
    # PUT of the GET representation with its version works the same way
    current = handler.get(url).json()
    current["title"] = "整机更换"
    assert handler.put(url, current, format="json").status_code == 200
    current["title"] = "又改了"  # still the old version
    assert_error(handler.put(url, current, format="json"), 409, code="edit_conflict")


def test_patch_moves_the_catalog_entry(world):
    ticket = world.ticket(Status.PROCESSING)
    network = factories.catalog_leaf(world.other_queue, name="无线网络")
    engineer = factories.handler(username="network")
    factories.add_members(world.other_queue, engineer)
    url = f"/api/v1/tickets/{ticket.pk}/"
    requester = client_for(world.requester)
    assert_error(requester.patch(url, {"catalog_entry": network.pk}, format="json"), 403)
    handler = client_for(world.handler)
    assert_error(handler.patch(url, {"catalog_entry": "abc"}, format="json"), 400)
    response = handler.patch(url, {"catalog_entry": network.pk}, format="json")
    assert response.status_code == 200, response.content
    moved = Ticket.objects.get(pk=ticket.pk)
    assert moved.queue == world.other_queue and moved.assignee == engineer
    assert moved.events.filter(kind=EventKind.TRANSFERRED).count() == 1


def test_the_people_lists_cost_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    ticket = world.ticket(Status.PROCESSING)
    for index in range(5):
        services.add_collaborator(
            ticket_id=ticket.pk,
            actor=world.handler,
            user_id=factories.handler(username=f"rd{index}").pk,
        )
        services.add_carbon_copy(
            ticket_id=ticket.pk, actor=world.handler, email=f"c{index}@example.com"
        )
    handler = client_for(world.handler)
    handler.get(f"/api/v1/tickets/{ticket.pk}/collaborators/")  # warm the caches
    with django_assert_max_num_queries(8):
        assert len(handler.get(f"/api/v1/tickets/{ticket.pk}/collaborators/").json()) == 5
    with django_assert_max_num_queries(8):
        assert len(handler.get(f"/api/v1/tickets/{ticket.pk}/cc/").json()) == 5
