import itertools

import pytest

from andon.customers import services
from tests import factories
from tests.api.conftest import assert_error, client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    return factories.requester(username="agent1")


def test_crud_and_search(agent):
    api = client_for(agent)
    r = api.post("/api/v1/customers/", {"name": "华东物流", "note": "VIP"}, format="json")
    assert r.status_code == 201, r.content
    cid = r.json()["id"]
    assert r.json()["owner"]["id"] == agent.pk
    services.create_customer(actor=agent, name="华南电子")
    r = api.get("/api/v1/customers/?q=物流")
    assert [c["name"] for c in r.json()["results"]] == ["华东物流"]
    r = api.patch(f"/api/v1/customers/{cid}/", {"note": "改"}, format="json")
    assert r.status_code == 200 and r.json()["note"] == "改"
    r = api.post(
        "/api/v1/contacts/",
        {"name": "王经理", "email": "Wang@Example.com", "customer": cid},
        format="json",
    )
    assert r.status_code == 201 and r.json()["email"] == "wang@example.com"
    r = api.post(
        "/api/v1/group-chats/",
        {"chat_id": "wr1", "name": "群", "customer": cid, "agents": [agent.pk]},
        format="json",
    )
    assert r.status_code == 201 and r.json()["agents"][0]["id"] == agent.pk
    assert api.delete(f"/api/v1/customers/{cid}/").status_code == 204


def test_bad_input_is_400_with_fields(agent):
    api = client_for(agent)
    r = api.post("/api/v1/contacts/", {"name": "", "email": "x", "owner": 0}, format="json")
    assert_error(r, 400, field="owner")
    r = api.post("/api/v1/contacts/", {"name": "", "email": "x"}, format="json")
    body = assert_error(r, 400)
    assert {"name", "email"} <= set(body["errors"])
    r = api.patch("/api/v1/customers/99999999999999999999/", {}, format="json")
    assert r.status_code == 404


def test_customer_tickets_only_visible_ones(agent, entry, handlers):
    # The owner serves the customer, so they read every ticket filed for it (andon.customers.team);
    # an agent who does not serve it reads only the ones they filed.
    customer = services.create_customer(actor=agent, name="甲")
    mine = services.file_ticket(
        actor=agent, title="我的", catalog_entry_id=entry.pk, customer_id=customer.pk
    )
    other_agent = factories.requester()
    theirs = services.file_ticket(
        actor=other_agent, title="别人的", catalog_entry_id=entry.pk, customer_id=customer.pk
    )
    r = client_for(agent).get(f"/api/v1/customers/{customer.pk}/tickets/")
    assert sorted(t["id"] for t in r.json()["results"]) == sorted([mine.pk, theirs.pk])
    r = client_for(other_agent).get(f"/api/v1/customers/{customer.pk}/tickets/")
    assert [t["id"] for t in r.json()["results"]] == [theirs.pk]
    r = client_for(factories.admin()).get(f"/api/v1/customers/{customer.pk}/tickets/")
    assert len(r.json()["results"]) == 2


@pytest.mark.parametrize(
    "path", ["/api/v1/customers/", "/api/v1/contacts/", "/api/v1/group-chats/"]
)
def test_lists_query_count_is_constant(agent, path, django_assert_max_num_queries):
    api = client_for(agent)
    counter = itertools.count()

    def grow(n):
        for _ in range(n):
            i = next(counter)
            c = services.create_customer(actor=agent, name=f"客户{path}{i}")
            services.create_contact(actor=agent, name=f"联系人{i}", customer=c.pk)
            services.create_group_chat(
                actor=agent, chat_id=f"wr{path}{i}", name="群", customer=c.pk, agents=[agent.pk]
            )

    grow(1)
    with django_assert_max_num_queries(6) as few:
        assert api.get(path).status_code == 200
    grow(8)
    with django_assert_max_num_queries(6) as many:
        assert api.get(path).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


def test_handover_endpoint(entry, handlers):
    admin = factories.admin()
    requester = factories.requester()
    ticket = factories.make_ticket(actor=requester, entry=entry)
    successor = factories.handler()
    r = client_for(admin).post(
        "/api/v1/handover/",
        {"from_user": ticket.assignee_id, "to_user": successor.pk},
        format="json",
    )
    assert r.status_code == 200, r.content
    assert [t["id"] for t in r.json()["tickets"]] == [ticket.pk]
    r = client_for(admin).post("/api/v1/handover/", {"from_user": "x"}, format="json")
    assert_error(r, 400, field="to_user")


def test_tickets_subresource_is_read_only(agent):
    customer = services.create_customer(actor=agent, name="甲")
    api = client_for(agent)
    url = f"/api/v1/customers/{customer.pk}/tickets/"
    assert api.patch(url, {"name": "乙"}, format="json").status_code == 405
    assert api.delete(url).status_code == 405
    customer.refresh_from_db()
    assert customer.name == "甲"


def test_resource_names_are_translated_per_request(agent):
    """The resource labels are lazy: translated in the request's language, not at import."""
    from django.conf import settings

    api = client_for(agent)
    assert assert_error(api.get("/api/v1/customers/999999/"), 404)["detail"] == "客户不存在"
    api.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert assert_error(api.get("/api/v1/contacts/999999/"), 404)["detail"] == "Contact not found"
