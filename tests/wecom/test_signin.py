"""Signing in with WeCom (网页授权 and the QR flow) against the local WeCom server."""

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.contrib.auth import get_user_model

from andon.wecom.signin import signed_in_url
from tests import factories

pytestmark = [pytest.mark.urls("tests.wecom.urls"), pytest.mark.django_db]

WXWORK = (
    "Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 Mobile/15E148 wxwork/4.1.22 MicroMessenger/7.0.1"
)
User = get_user_model()


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def through_wecom(url: str) -> str:
    """Let the local WeCom server answer the browser's visit; where it sends the browser back."""
    response = httpx.get(url.split("#")[0], follow_redirects=False)
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def callback_path(location: str) -> str:
    parts = urlsplit(location)
    return f"{parts.path}?{parts.query}"


@pytest.fixture
def wangwu(wecom_server):
    return factories.handler(username="wangwu", wecom_userid="wangwu", display_name="王五")


def test_inside_wecom_an_anonymous_desk_page_goes_to_oauth(client, wecom_server, settings):
    response = client.get("/tickets/42/?tab=log", HTTP_USER_AGENT=WXWORK)
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"{wecom_server.base_url}/connect/oauth2/authorize?")
    assert location.endswith("#wechat_redirect")
    params = query(location.split("#")[0])
    assert params["appid"] == wecom_server.corp_id
    assert params["agentid"] == wecom_server.agent_id
    assert params["redirect_uri"] == f"{settings.SITE_URL}/wecom/oauth/callback/"
    assert params["scope"] == "snsapi_base" and params["response_type"] == "code"
    assert len(params["state"]) <= 128  # WeCom's limit


def test_outside_wecom_and_for_machines_nothing_changes(client, wecom_server):
    assert client.get("/tickets/")["Location"].startswith("/accounts/login/")
    assert client.get("/api/v1/tickets/", HTTP_USER_AGENT=WXWORK).status_code in (401, 403)
    login = client.get("/accounts/login/?password=1", HTTP_USER_AGENT=WXWORK)
    assert login.status_code == 200  # the password form stays reachable inside WeCom


def test_oauth_signs_in_and_lands_on_the_page(client, wecom_server, wangwu):
    wecom_server.client_userid = "wangwu"
    start = client.get("/tickets/?tab=pool", HTTP_USER_AGENT=WXWORK)["Location"]
    back = through_wecom(start)
    assert back.startswith("http://127.0.0.1:8000/wecom/oauth/callback/?code=")
    response = client.get(callback_path(back), HTTP_USER_AGENT=WXWORK)
    assert response.status_code == 302 and response["Location"] == "/tickets/?tab=pool"
    assert int(client.session["_auth_user_id"]) == wangwu.pk
    assert client.get("/tickets/?tab=pool", HTTP_USER_AGENT=WXWORK).status_code == 200


def test_a_replayed_state_is_refused(client, wecom_server, wangwu):
    wecom_server.client_userid = "wangwu"
    back = through_wecom(client.get("/tickets/", HTTP_USER_AGENT=WXWORK)["Location"])
    assert client.get(callback_path(back)).status_code == 302
    client.logout()
    # The same state again, with a fresh code for the same person.
    state = query(back)["state"]
    code = wecom_server.issue_code("wangwu")
    response = client.get(f"/wecom/oauth/callback/?code={code}&state={state}")
    assert response.status_code == 403
    assert 'data-code="state_used"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_forged_state_is_refused(client, wecom_server, wangwu):
    code = wecom_server.issue_code("wangwu")
    response = client.get(f"/wecom/oauth/callback/?code={code}&state=made-up:up:sig")
    assert response.status_code == 403
    assert 'data-code="state_invalid"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_state_from_another_browser_is_refused(client, wecom_server, wangwu):
    from django.test import Client

    wecom_server.client_userid = "wangwu"
    back = through_wecom(Client().get("/tickets/", HTTP_USER_AGENT=WXWORK)["Location"])
    response = client.get(callback_path(back))
    assert response.status_code == 403
    assert 'data-code="state_used"' in response.content.decode()


def test_a_code_wecom_rejects_is_refused(client, wecom_server, wangwu):
    wecom_server.client_userid = "wangwu"
    back = through_wecom(client.get("/tickets/", HTTP_USER_AGENT=WXWORK)["Location"])
    state = query(back)["state"]
    response = client.get(f"/wecom/oauth/callback/?code=not-a-real-code&state={state}")
    assert response.status_code == 403
    body = response.content.decode()
    assert 'data-code="code_rejected"' in body and "40029" in body


def test_someone_in_the_chart_without_an_account_is_created(client, wecom_server):
    wecom_server.client_userid = "zhaoliu"
    back = through_wecom(client.get("/tickets/", HTTP_USER_AGENT=WXWORK)["Location"])
    assert client.get(callback_path(back)).status_code == 302
    user = User.objects.get(wecom_userid="zhaoliu")
    assert user.display_name == "赵六" and user.is_active
    assert int(client.session["_auth_user_id"]) == user.pk


def test_someone_not_in_the_chart_is_refused(client, wecom_server):
    wecom_server.set_user("ghost", name="幽灵")
    wecom_server.client_userid = "ghost"
    back = through_wecom(client.get("/tickets/", HTTP_USER_AGENT=WXWORK)["Location"])
    wecom_server.remove_user("ghost")  # gone from the chart by the time we look
    response = client.get(callback_path(back))
    assert response.status_code == 403
    assert 'data-code="not_in_chart"' in response.content.decode()
    assert not User.objects.filter(wecom_userid="ghost").exists()


def test_a_disabled_member_is_refused(client, wecom_server):
    wecom_server.set_user("zhaoliu", status=2)
    wecom_server.client_userid = "zhaoliu"
    back = through_wecom(client.get("/tickets/", HTTP_USER_AGENT=WXWORK)["Location"])
    response = client.get(callback_path(back))
    assert response.status_code == 403 and not User.objects.filter(wecom_userid="zhaoliu").exists()


def test_a_deactivated_person_is_refused(client, wecom_server, wangwu):
    User.objects.filter(pk=wangwu.pk).update(is_active=False)
    wecom_server.client_userid = "wangwu"
    back = through_wecom(client.get("/tickets/", HTTP_USER_AGENT=WXWORK)["Location"])
    response = client.get(callback_path(back))
    assert response.status_code == 403
    assert 'data-code="deactivated"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_privateinfo_scope_reads_the_details(client, wecom_server, wangwu, settings):
    settings.WECOM_OAUTH_SCOPE = "snsapi_privateinfo"
    wecom_server.set_user("wangwu", mobile="13800000000", email="wangwu@corp.example")
    wecom_server.client_userid = "wangwu"
    back = through_wecom(client.get("/tickets/", HTTP_USER_AGENT=WXWORK)["Location"])
    assert client.get(callback_path(back)).status_code == 302
    wangwu.refresh_from_db()
    assert (wangwu.mobile, wangwu.email) == ("13800000000", "wangwu@corp.example")
    assert wecom_server.call_count("/cgi-bin/auth/getuserdetail") == 1


def test_the_qr_flow(client, wecom_server, wangwu):
    page = client.get("/accounts/login/?next=/tickets/")
    assert 'data-testid="wecom-qr-login"' in page.content.decode()
    start = client.get("/wecom/login/qr/?next=/tickets/")
    location = start["Location"]
    assert location.startswith(f"{wecom_server.base_url}/wwlogin/sso/login?")
    params = query(location)
    assert params["login_type"] == "CorpApp" and params["appid"] == wecom_server.corp_id
    # The person scans and confirms on their phone: WeCom sends the browser back.
    confirm = httpx.get(
        f"{wecom_server.base_url}/wwlogin/sso/confirm",
        params={
            "redirect_uri": params["redirect_uri"],
            "state": params["state"],
            "userid": "wangwu",
        },
    )
    assert confirm.status_code == 302
    response = client.get(callback_path(confirm.headers["Location"]))
    assert response["Location"] == "/tickets/"
    assert int(client.session["_auth_user_id"]) == wangwu.pk


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"]
)
def test_next_stays_on_this_site(client, wecom_server, wangwu, target):
    start = client.get("/wecom/login/qr/", {"next": target})["Location"]
    params = query(start)
    confirm = httpx.get(
        f"{wecom_server.base_url}/wwlogin/sso/confirm",
        params={
            "redirect_uri": params["redirect_uri"],
            "state": params["state"],
            "userid": "wangwu",
        },
    )
    response = client.get(callback_path(confirm.headers["Location"]))
    assert response.status_code == 302 and response["Location"] == "/"


def test_without_wecom_the_login_page_has_no_qr_button(client, db, settings):
    settings.WECOM_CORP_ID = ""
    assert "wecom-qr-login" not in client.get("/accounts/login/").content.decode()
    assert client.get("/wecom/login/qr/").status_code == 403


def test_message_links_sign_in_first(settings, client, wecom_server, wangwu):
    url = signed_in_url(f"{settings.SITE_URL}/tickets/7/")
    assert url == f"{settings.SITE_URL}/wecom/oauth/start/?next=/tickets/7/"
    assert signed_in_url("https://elsewhere.example/x") == "https://elsewhere.example/x"
    # Tapped while signed out: off to 网页授权; signed in already: straight to the ticket.
    path = url.removeprefix(settings.SITE_URL)
    assert client.get(path)["Location"].startswith(
        f"{wecom_server.base_url}/connect/oauth2/authorize"
    )
    client.force_login(wangwu)
    assert client.get(path)["Location"] == "/tickets/7/"
