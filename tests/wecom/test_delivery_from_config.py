"""WeCom delivery follows the connection as configured: secrets entered only on /config/wecom/
(stored encrypted, nothing in the environment) are enough to send application messages."""

import pytest
from cryptography.fernet import Fernet

from andon.notifications.models import OutboxMessage
from tests import factories
from tests.web.helpers import login
from tests.wecom_server import wecom_server  # noqa: F401

pytestmark = [pytest.mark.urls("tests.wecom.urls"), pytest.mark.django_db]


@pytest.fixture
def page_only(settings, wecom_server):  # noqa: F811
    """The local WeCom server is running, but its connection is not in the environment."""
    settings.ANDON_SECRETS_KEY = Fernet.generate_key().decode()
    settings.WECOM_CORP_ID = settings.WECOM_AGENT_ID = settings.WECOM_SECRET = ""
    return wecom_server


def test_secrets_from_the_config_page_enable_wecom_delivery(
    client, page_only, queue, entry, requester, django_capture_on_commit_callbacks
):
    handler = factories.handler(email="", wecom_userid="wangwu")
    factories.add_members(queue, handler)
    login(client, handler)
    assert client.get("/api/v1/notifications/preferences/").json()["wecom_available"] is False
    assert (
        "系统尚未配置企业微信" in client.get("/config/notifications/preferences/").content.decode()
    )
    factories.make_ticket(actor=requester, entry=entry, title="打印机卡纸")
    assert not OutboxMessage.objects.filter(channel="wecom").exists()  # not configured yet

    admin = login(client, factories.admin())
    response = admin.post(
        "/config/wecom/",
        {
            "corp_id": page_only.corp_id,
            "agent_id": page_only.agent_id,
            "secret": page_only.secret,
        },
    )
    assert response.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        ticket = factories.make_ticket(actor=requester, entry=entry, title="投影仪没有信号")
    [card] = page_only.messages_to("wangwu")
    assert "投影仪没有信号" in card["textcard"]["title"] + card["textcard"]["description"]
    assert card["textcard"]["url"].endswith(f"/tickets/{ticket.pk}/")
    assert OutboxMessage.objects.get(channel="wecom", ticket=ticket).state == "sent"

    login(client, handler)
    assert client.get("/api/v1/notifications/preferences/").json()["wecom_available"] is True
    page = client.get("/config/notifications/preferences/").content.decode()
    assert "应用消息（文本卡片，点开即是工单）" in page and "系统尚未配置企业微信" not in page
