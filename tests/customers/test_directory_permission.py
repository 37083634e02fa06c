"""The customer directory has its own bit, `customers.view`: 一线客服 and 处理人 have it, a plain
employee (who may file tickets) and the observer do not, on the API and on the pages; the data
migration gives it to the roles that should keep it."""

import importlib

import pytest
from django.apps import apps

from andon.accounts.models import Role
from andon.customers import services
from andon.customers.models import TicketOrigin
from tests import factories
from tests.api.conftest import assert_error, client_for
from tests.web.helpers import login

pytestmark = pytest.mark.django_db


def employee():
    """The demo's 普通员工: files and follows their own tickets, reads the knowledge base."""
    role = Role.objects.create(name="普通员工", permissions=["tickets.create", "knowledge.view"])
    user = factories.UserFactory()
    user.roles.add(role)
    return user


def one_bit(code):
    role = Role.objects.create(name=f"只有 {code}", permissions=[code])
    user = factories.UserFactory()
    user.roles.add(role)
    return user


@pytest.fixture
def directory():
    agent = factories.requester()
    customer = services.create_customer(actor=agent, name="华瑞")
    contact = services.create_contact(
        actor=agent,
        name="王经理",
        phone="13800000000",
        email="wang@huarui.example",
        external_userid="wmHR1",
        customer=customer.pk,
    )
    return {"agent": agent, "customer": customer, "contact": contact}


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("agent", True),
        ("handler", True),
        ("admin", True),
        ("bit", True),
        ("employee", False),
        ("observer", False),
        ("people.view", False),
    ],
)
def test_the_directory_needs_customers_view(directory, client, who, allowed):
    user = {
        "agent": factories.requester,
        "handler": factories.handler,
        "admin": factories.admin,
        "bit": lambda: one_bit("customers.view"),
        "employee": employee,
        "observer": factories.observer,
        "people.view": lambda: one_bit("people.view"),
    }[who]()
    api = client_for(user)
    contact = directory["contact"]
    for path in (
        "/api/v1/customers/",
        "/api/v1/contacts/",
        f"/api/v1/contacts/{contact.pk}/",
        "/api/v1/group-chats/",
    ):
        response = api.get(path)
        if allowed:
            assert response.status_code == 200, (path, response.content)
        else:
            assert_error(response, 403)
    login(client, user)
    page = client.get("/sidebar/", {"external_userid": "wmHR1"})
    assert page.status_code == (200 if allowed else 403)
    search = client.get("/sidebar/search/", {"q": "王"})
    assert search.status_code == (200 if allowed else 403)
    if not allowed:
        assert "13800000000" not in page.content.decode() + search.content.decode()


def test_the_ticket_page_hides_contact_details_without_the_bit(directory, client, entry):
    agent, contact = directory["agent"], directory["contact"]
    ticket = factories.make_ticket(actor=agent, entry=entry)
    TicketOrigin.objects.create(ticket=ticket, customer=directory["customer"], contact=contact)
    login(client, factories.observer())  # sees every ticket, not the directory
    html = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "王经理" in html
    assert "13800000000" not in html and "wang@huarui.example" not in html
    login(client, agent)
    html = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "13800000000" in html and "wang@huarui.example" in html


def test_data_migration_grants_the_bit_sensibly():
    migration = importlib.import_module("andon.accounts.migrations.0005_customers_view_permission")
    for code in ("agent", "handler"):
        role = Role.objects.get(code=code)
        role.permissions = [p for p in role.permissions if p != "customers.view"]
        role.save()
    Role.objects.create(name="值班处理", permissions=["tickets.create", "tickets.handle"])
    Role.objects.create(name="人事", permissions=["people.manage", "people.view"])
    Role.objects.create(name="普通员工", permissions=["tickets.create", "knowledge.view"])
    Role.objects.create(name="看组织", permissions=["people.view"])
    migration.grant(apps, None)
    granted = {
        role.name: "customers.view" in role.permissions
        for role in Role.objects.exclude(code="admin")
    }
    assert granted == {
        "一线客服": True,
        "处理人": True,
        "只读观察员": False,
        "值班处理": True,
        "人事": True,
        "普通员工": False,
        "看组织": False,
    }
    assert Role.objects.get(code="admin").permissions == []  # holds every bit implicitly
