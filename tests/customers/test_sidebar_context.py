"""POST /sidebar/context/: what the WeCom client told the sidebar's script (getContext, then
getCurExternalContact / getCurExternalChat). The viewer must really be in that chat; then the
sidebar shows it with no URL parameter."""

import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from andon.accounts.models import User
from andon.customers.models import CustomerGroupChat
from andon.wecom import orgsync
from andon.wecom.models import SyncRun
from tests import factories
from tests.web.helpers import login
from tests.wecom_external import external_userid
from tests.wecom_server import wecom_server  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

SIDEBAR = reverse("customers:sidebar")
CONTEXT = reverse("customers:context")
ALICE = external_userid(1)


@pytest.fixture
def tenant(wecom_server):  # noqa: F811
    run = SyncRun.objects.create(created_at=timezone.now())
    assert orgsync.run_sync(run.pk).state == SyncRun.State.DONE
    wecom_server.external.add_contact(ALICE, "陈爱丽", followers=["wangwu"], corp_name="星河制造",
                                      type=2)  # fmt: skip
    wecom_server.external.add_chat("wrChat1", "星河制造服务群", owner="wangwu", externals=[ALICE])
    return wecom_server


def frontline(userid: str) -> User:
    """The synced WeCom member, given the 一线客服 role."""
    user = User.objects.get(wecom_userid=userid)
    user.roles.add(factories.role("agent"))
    return user


def post(client, **data):
    return client.post(CONTEXT, data=json.dumps(data), content_type="application/json")


def test_a_group_chat_from_the_client_shows_without_url_parameters(client, tenant):
    login(client, frontline("wangwu"))
    response = post(client, entry="group_chat_tools", chat_id="wrChat1")
    assert response.status_code == 200, response.content
    assert response.json() == {"url": SIDEBAR}
    page = client.get(SIDEBAR)
    html = page.content.decode()
    assert "星河制造服务群" in html and "星河制造" in html
    assert page.context["channel"] == "external_group"
    assert 'data-testid="dev-fallback"' not in html


def test_a_single_chat_from_the_client(client, tenant):
    login(client, frontline("wangwu"))
    assert post(client, entry="single_chat_tools", external_userid=ALICE).status_code == 200
    page = client.get(SIDEBAR)
    assert "陈爱丽" in page.content.decode() and page.context["channel"] == "single_chat"


def test_a_chat_the_agent_is_not_in_is_refused(client, tenant):
    login(client, frontline("lisi"))
    response = post(client, entry="group_chat_tools", chat_id="wrChat1")
    assert response.status_code == 403 and response.json()["detail"] == "你不在这个客户群里"
    response = post(client, entry="single_chat_tools", external_userid=ALICE)
    assert response.status_code == 403 and "跟进人" in response.json()["detail"]
    assert "星河制造服务群" not in client.get(SIDEBAR).content.decode()


def test_a_join_andon_has_not_heard_of_is_asked_of_wecom(client, tenant):
    login(client, frontline("lisi"))
    assert post(client, entry="group_chat_tools", chat_id="wrChat1").status_code == 403
    tenant.external.add_chat("wrChat1", "星河制造服务群", owner="wangwu", members=["lisi"])
    assert post(client, entry="group_chat_tools", chat_id="wrChat1").status_code == 200
    assert CustomerGroupChat.objects.get(chat_id="wrChat1").members.filter(member_id="lisi")


def test_bad_context_is_a_clear_400_or_404(client, tenant):
    login(client, frontline("wangwu"))
    response = post(client, entry="normal")
    assert response.status_code == 400 and "不是从客户聊天打开" in response.json()["detail"]
    assert post(client, entry="group_chat_tools").status_code == 400
    response = post(client, entry="group_chat_tools", chat_id="wrUnknown")
    assert response.status_code == 404 and "没有这个客户群" in response.json()["detail"]
    bad = client.post(CONTEXT, data="{not json", content_type="application/json")
    assert bad.status_code == 400


def test_who_may_post_and_how(tenant):
    anonymous = Client()
    assert post(anonymous, entry="group_chat_tools", chat_id="wrChat1").status_code == 302
    plain = Client()
    login(plain, User.objects.get(wecom_userid="zhaoliu"))  # an employee without customers.view
    assert post(plain, entry="group_chat_tools", chat_id="wrChat1").status_code == 403
    agent = Client()
    login(agent, frontline("wangwu"))
    assert agent.get(CONTEXT).status_code == 405
    assert agent.head(CONTEXT).status_code == 405
    assert agent.options(CONTEXT).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(User.objects.get(wecom_userid="wangwu"))
    assert post(strict, entry="group_chat_tools", chat_id="wrChat1").status_code == 403
