"""The sidebar opens a contact or chat Andon has not seen: it is fetched from the local WeCom
server and registered on the spot; ids WeCom does not know, or a WeCom that cannot be reached,
say so."""

import pytest
from django.urls import reverse
from django.utils import timezone

from andon.customers.models import Contact, CustomerGroupChat
from andon.wecom import orgsync
from andon.wecom.models import SyncRun
from tests import factories
from tests.web.helpers import login
from tests.wecom_external import external_userid
from tests.wecom_server import wecom_server  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

URL = reverse("customers:sidebar")
NEW = external_userid(77)


@pytest.fixture
def agent(wecom_server):  # noqa: F811
    run = SyncRun.objects.create(created_at=timezone.now())
    assert orgsync.run_sync(run.pk).state == SyncRun.State.DONE
    user = factories.requester(username="agent-sidebar")
    return user


def test_an_unknown_contact_is_fetched_and_registered(client, agent, wecom_server):  # noqa: F811
    wecom_server.external.add_contact(NEW, "周新客", followers=["wangwu"], corp_name="远山科技",
                                      type=2)  # fmt: skip
    login(client, agent)
    response = client.get(URL, {"external_userid": NEW})
    assert response.status_code == 200
    html = response.content.decode()
    assert "周新客" in html and "远山科技" in html
    contact = Contact.objects.get(external_userid=NEW)
    assert contact.customer.name == "远山科技" and contact.owner.wecom_userid == "wangwu"
    # Registered once: the second view reads it from Andon.
    before = wecom_server.call_count("/cgi-bin/externalcontact/get")
    client.get(URL, {"external_userid": NEW})
    assert wecom_server.call_count("/cgi-bin/externalcontact/get") == before


def test_an_unknown_chat_is_fetched_and_registered(client, agent, wecom_server):  # noqa: F811
    wecom_server.external.add_chat("wrNewChat", "远山科技群", owner="lisi", members=["wangwu"])
    login(client, agent)
    response = client.get(URL, {"chat_id": "wrNewChat"})
    assert response.status_code == 200 and "远山科技群" in response.content.decode()
    assert CustomerGroupChat.objects.get(chat_id="wrNewChat").owner.wecom_userid == "lisi"


def test_an_id_wecom_does_not_know_says_so(client, agent, wecom_server):  # noqa: F811
    login(client, agent)
    response = client.get(URL, {"external_userid": "wmNobody"})
    assert response.status_code == 200
    assert "企业微信里没有这位外部联系人" in response.content.decode()
    assert not Contact.objects.filter(external_userid="wmNobody").exists()


def test_wecom_unreachable_is_explained_not_a_500(client, agent, wecom_server):  # noqa: F811
    wecom_server.inject_http_status("/cgi-bin/externalcontact/groupchat/get", 502)
    login(client, agent)
    response = client.get(URL, {"chat_id": "wrAny"})
    assert response.status_code == 200
    assert "暂时无法从企业微信读取客户资料" in response.content.decode()
    assert not CustomerGroupChat.objects.exists()
