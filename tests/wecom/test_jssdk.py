"""/wecom/jssdk/config/: the corp and agent JS-SDK signatures for a page of this site, checked
against WeCom's documented algorithm — sha1("jsapi_ticket=…&noncestr=…&timestamp=…&url=…") with
the corp jsapi_ticket (get_jsapi_ticket) and the application's ticket (ticket/get)."""

import hashlib

import pytest

from andon.wecom.models import AccessToken
from tests import factories
from tests.web.helpers import login

pytestmark = [pytest.mark.urls("tests.wecom.urls"), pytest.mark.django_db]

URL = "/wecom/jssdk/config/"
PAGE = "http://testserver/sidebar/?from=wecom"


def official(ticket: str, nonce: str, timestamp, url: str) -> str:
    plain = f"jsapi_ticket={ticket}&noncestr={nonce}&timestamp={timestamp}&url={url}"
    return hashlib.sha1(plain.encode()).hexdigest()


@pytest.fixture
def agent(client, wecom_server):
    user = factories.requester()
    login(client, user)
    return user


def test_both_signatures_follow_the_documented_algorithm(client, agent, wecom_server):
    response = client.get(URL, {"url": PAGE + "#card"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["corp_id"] == wecom_server.corp_id and data["agent_id"] == wecom_server.agent_id
    assert set(data["js_api_list"]) >= {"getContext", "getCurExternalContact", "getCurExternalChat"}
    corp, agent_config = data["config"], data["agent_config"]
    # The fragment is not signed; each ticket is the one the WeCom server handed out.
    assert corp["signature"] == official(
        wecom_server.jsapi_ticket, corp["nonceStr"], corp["timestamp"], PAGE
    )
    assert agent_config["signature"] == official(
        wecom_server.agent_ticket, agent_config["nonceStr"], agent_config["timestamp"], PAGE
    )
    # Tickets are cached for every process: a second page costs no ticket call.
    client.get(URL, {"url": PAGE})
    assert wecom_server.call_count("/cgi-bin/get_jsapi_ticket") == 1
    assert wecom_server.call_count("/cgi-bin/ticket/get") == 1
    assert AccessToken.objects.filter(kind=AccessToken.KIND_AGENT_TICKET).count() == 1


def test_only_pages_of_this_site_are_signed(client, agent):
    response = client.get(URL, {"url": "https://evil.example/page"})
    assert response.status_code == 403 and "本站" in response.json()["detail"]
    assert client.get(URL, {"url": "javascript:alert(1)"}).status_code == 403
    assert client.get(URL).status_code == 400


def test_signed_in_people_only(client, wecom_server):
    response = client.get(URL, {"url": PAGE})
    assert response.status_code == 302 and "/login" in response["Location"]


def test_wecom_refusing_the_ticket_is_a_clear_502(client, agent, wecom_server):
    wecom_server.inject_error("/cgi-bin/get_jsapi_ticket", 48002, "api forbidden")
    response = client.get(URL, {"url": PAGE})
    assert response.status_code == 502 and "48002" in response.json()["detail"]


def test_not_configured_is_a_clear_503(client, settings):
    settings.WECOM_CORP_ID = ""
    settings.WECOM_SECRET = ""
    login(client, factories.requester())
    response = client.get(URL, {"url": PAGE})
    assert response.status_code == 503 and "尚未配置" in response.json()["detail"]


def test_head_is_get_and_other_methods_are_refused(client, agent):
    assert client.head(URL, {"url": PAGE}).status_code == client.get(URL, {"url": PAGE}).status_code
    assert client.options(URL).status_code == 405
    assert client.post(URL, {"url": PAGE}).status_code == 405
