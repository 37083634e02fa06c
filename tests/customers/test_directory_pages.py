"""/customers/: list and search customers, contacts and group chats; a customer's, contact's and
chat's page with who serves it, its chats and its tickets; edits by the owner or an admin."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from andon.customers import services
from andon.customers.models import ContactFollower, Customer, GroupChatMember
from tests import factories
from tests.web.helpers import login

pytestmark = pytest.mark.django_db

LIST = reverse("directory:list")


@pytest.fixture
def agent():
    return factories.requester(username="owner-agent", display_name="客服小王")


@pytest.fixture
def world(agent):
    customer = services.create_customer(actor=agent, name="星河制造<script>")
    contact = services.create_contact(
        actor=agent, name="陈爱丽", phone="13800000001", external_userid="wmDIR",
        customer=customer.pk,
    )  # fmt: skip
    follower = factories.requester(username="follower", display_name="跟进人老李")
    ContactFollower.objects.create(contact=contact, userid="laoli", user=follower, remark="陈总")
    chat = services.create_group_chat(
        actor=agent, chat_id="wrDIR", name="星河服务群", customer=customer.pk, agents=[agent.pk]
    )
    GroupChatMember.objects.create(chat=chat, member_id="wmDIR", kind=2, contact=contact)
    return customer, contact, chat


def test_lists_and_search(client, agent, world):
    login(client, agent)
    page = client.get(LIST)
    assert page.status_code == 200 and "星河制造&lt;script&gt;" in page.content.decode()
    assert "星河制造<script>" not in page.content.decode()
    contacts = client.get(LIST, {"tab": "contacts", "q": "138000"}).content.decode()
    assert "陈爱丽" in contacts and "跟进人老李" in contacts
    assert "陈爱丽" not in client.get(LIST, {"tab": "contacts", "q": "没有这个人"}).content.decode()
    chats = client.get(LIST, {"tab": "chats", "q": "服务群"}).content.decode()
    assert "星河服务群" in chats


def test_pages_show_who_serves_chats_and_tickets(client, agent, world, entry, handlers):
    customer, contact, chat = world
    ticket = services.file_ticket(
        actor=agent, title="设备报警", catalog_entry_id=entry.pk, contact_id=contact.pk,
        customer_id=customer.pk,
    )  # fmt: skip
    login(client, agent)
    html = client.get(reverse("directory:customer", args=[customer.pk])).content.decode()
    assert "陈爱丽" in html and "跟进人老李" in html and "星河服务群" in html
    assert f'data-ticket="{ticket.pk}"' in html and "同组同事服务" in html
    html = client.get(reverse("directory:contact", args=[contact.pk])).content.decode()
    assert "陈总" in html and "星河服务群" in html and ticket.number in html
    html = client.get(reverse("directory:chat", args=[chat.pk])).content.decode()
    assert "陈爱丽" in html and "外部联系人" in html


def test_the_owner_edits_and_bad_input_changes_nothing(client, agent, world):
    customer, contact, chat = world
    login(client, agent)
    url = reverse("directory:customer", args=[customer.pk])
    assert client.post(url, {"name": "星河集团", "note": "大客户"}).status_code == 302
    customer.refresh_from_db()
    assert (customer.name, customer.note) == ("星河集团", "大客户")
    response = client.post(url, {"name": "", "note": "x"})
    assert response.status_code == 400 and "此项必填" in response.content.decode()
    customer.refresh_from_db()
    assert customer.note == "大客户"
    other = Customer.objects.create(name="蓝鲸物流", created_at=customer.created_at,
                                    updated_at=customer.updated_at)  # fmt: skip
    contact_url = reverse("directory:contact", args=[contact.pk])
    response = client.post(contact_url, {"name": "陈爱丽", "customer": "蓝鲸物流"})
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.customer == other
    response = client.post(contact_url, {"name": "陈爱丽", "customer": "不存在的公司"})
    assert response.status_code == 400 and "没有叫这个名字的客户" in response.content.decode()
    contact.refresh_from_db()
    assert contact.customer == other
    chat_url = reverse("directory:chat", args=[chat.pk])
    assert client.post(chat_url, {"name": "星河二群", "customer": ""}).status_code == 302
    chat.refresh_from_db()
    assert chat.name == "星河二群" and chat.customer is None


def test_who_may_read_and_edit(client, agent, world):
    customer, contact, chat = world
    pages = [
        LIST,
        reverse("directory:customer", args=[customer.pk]),
        reverse("directory:contact", args=[contact.pk]),
        reverse("directory:chat", args=[chat.pk]),
    ]
    for url in pages:
        assert client.get(url).status_code == 302  # anonymous: to the login page
    login(client, factories.UserFactory())  # a plain employee: no customers.view
    for url in pages:
        assert client.get(url).status_code == 403
        assert client.head(url).status_code == 403
    reader = factories.requester()  # reads, but owns nothing
    login(client, reader)
    assert client.get(pages[1]).status_code == 200
    assert 'data-testid="edit-form"' not in client.get(pages[1]).content.decode()
    assert client.post(pages[1], {"name": "抢走"}).status_code == 403
    customer.refresh_from_db()
    assert customer.name == "星河制造<script>"
    assert client.get(reverse("directory:customer", args=[999999])).status_code == 404
    assert client.options(pages[0]).status_code == 405
    admin = factories.admin()
    login(client, admin)
    assert client.post(pages[1], {"name": "管理员改名"}).status_code == 302


@pytest.mark.parametrize("tab", ["customers", "contacts", "chats"])
def test_list_pages_have_no_n_plus_one(client, agent, world, tab):
    login(client, agent)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(LIST, {"tab": tab}).status_code == 200
        return len(captured)

    few = count()
    for n in range(8):
        customer = services.create_customer(actor=agent, name=f"客户{n}")
        contact = services.create_contact(actor=agent, name=f"联系人{n}", customer=customer.pk)
        ContactFollower.objects.create(contact=contact, userid=f"u{n}", user=agent)
        services.create_group_chat(actor=agent, chat_id=f"wr{n}", name=f"群{n}",
                                   customer=customer.pk)  # fmt: skip
    assert count() == few
