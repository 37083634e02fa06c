"""Abuse limits: password sign-in locks per account and per address (django-axes) with a 429 and
Retry-After; tokens, portal links, password resets and the assistant are throttled on the shared
cache; the assistant and the schema need a sign-in. Runs on the database cache and on Redis."""

import re

import pytest
from django.core.cache import caches
from django.test import Client
from rest_framework.test import APIClient

from tests import factories
from tests.api.conftest import client_for

REDIS_URL = "redis://127.0.0.1:6379/4"


@pytest.fixture(params=["database", "redis"])
def shared_cache(request, settings):
    if request.param == "redis":
        settings.CACHES = {
            **settings.CACHES,
            "throttle": {
                "BACKEND": "andon.core.cache.RedisCache",
                "LOCATION": REDIS_URL,
            },
        }
    caches["throttle"].clear()
    from axes.handlers.proxy import AxesProxyHandler

    AxesProxyHandler.implementation = None  # the cache handler binds its cache when made
    yield request.param
    caches["throttle"].clear()
    AxesProxyHandler.implementation = None


@pytest.mark.django_db
def test_wrong_passwords_lock_the_account_with_429_and_retry_after(shared_cache, settings):
    settings.AXES_FAILURE_LIMIT = 5
    user = factories.UserFactory(username="victim")
    client = Client(REMOTE_ADDR="10.0.0.1")
    statuses = [
        client.post("/accounts/login/", {"username": "victim", "password": "wrong"}).status_code
        for _ in range(6)
    ]
    assert statuses[:4] == [200] * 4 and statuses[-1] == 429, statuses
    # Locked per account: the right password from another address is refused too.
    other = Client(REMOTE_ADDR="10.0.0.2")
    response = other.post("/accounts/login/", {"username": "victim", "password": "pass-1234"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    assert "分钟后再试" in response.content.decode()
    # The API's token endpoint shares the lock, in the API's error body.
    api = APIClient(REMOTE_ADDR="10.0.0.3")
    response = api.post(
        "/api/v1/auth/token/", {"username": "victim", "password": "pass-1234"}, format="json"
    )
    assert response.status_code == 429 and response.json()["code"] == "too_many_attempts"
    assert response["Retry-After"]
    assert user.is_active


@pytest.mark.django_db
def test_one_address_trying_many_accounts_is_locked(shared_cache, settings):
    settings.AXES_FAILURE_LIMIT = 5
    client = Client(REMOTE_ADDR="10.9.9.9")
    for n in range(5):
        client.post("/accounts/login/", {"username": f"guess{n}", "password": "x"})
    factories.UserFactory(username="real")
    response = client.post("/accounts/login/", {"username": "real", "password": "pass-1234"})
    assert response.status_code == 429


@pytest.mark.django_db
def test_token_issue_is_throttled_per_address_and_per_account(shared_cache, settings):
    settings.ANDON_THROTTLE_RATES = {**settings.ANDON_THROTTLE_RATES, "token_account": "3/m"}
    factories.UserFactory(username="api-user")
    api = APIClient()
    ok = [
        APIClient(REMOTE_ADDR=f"10.1.0.{n}")
        .post(
            "/api/v1/auth/token/", {"username": "api-user", "password": "pass-1234"}, format="json"
        )
        .status_code
        for n in range(4)
    ]
    assert ok == [200, 200, 200, 429], ok
    settings.ANDON_THROTTLE_RATES = {
        **settings.ANDON_THROTTLE_RATES,
        "token_account": "",
        "token_address": "2/m",
    }
    codes = [
        api.post("/api/v1/auth/token/", {"username": f"u{n}", "password": "x"}, format="json")
        for n in range(3)
    ]
    assert [c.status_code for c in codes] == [400, 400, 429]
    assert codes[-1].json()["code"] == "throttled" and int(codes[-1]["Retry-After"]) >= 1


@pytest.mark.django_db
def test_api_has_a_per_user_throttle(shared_cache, settings):
    settings.ANDON_THROTTLE_RATES = {**settings.ANDON_THROTTLE_RATES, "user": "5/m"}
    alice, bob = factories.requester(), factories.requester()
    statuses = [client_for(alice).get("/api/v1/me/").status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    assert client_for(bob).get("/api/v1/me/").status_code == 200  # per user, not global


@pytest.mark.django_db
def test_portal_links_are_throttled_per_address(shared_cache, settings, mail_server):
    settings.ANDON_THROTTLE_RATES = {
        **settings.ANDON_THROTTLE_RATES,
        "portal_link_address": "2/15m",
    }
    client = Client(REMOTE_ADDR="10.2.0.1")
    statuses = [
        client.post("/portal/link/", {"email": f"nobody{n}@example.com"}).status_code
        for n in range(3)
    ]
    assert statuses[-1] == 429 and statuses[0] != 429, statuses
    response = client.post("/portal/link/", {"email": "x@example.com"})
    assert response["Retry-After"] and "秒后再试" in response.content.decode()


@pytest.mark.django_db
def test_assistant_needs_a_sign_in_and_is_rate_limited(shared_cache, settings):
    anonymous = Client()
    assert anonymous.post("/knowledge/assistant/stream/", {"question": "VPN"}).status_code == 401
    assert APIClient().post("/api/v1/assistant/ask/", {"question": "VPN"}).status_code == 401
    settings.ANDON_THROTTLE_RATES = {**settings.ANDON_THROTTLE_RATES, "assistant": "2/m"}
    client = Client()
    client.force_login(factories.requester())
    statuses = [
        client.post("/knowledge/assistant/stream/", {"question": "VPN"}).status_code
        for _ in range(3)
    ]
    assert statuses == [200, 200, 429], statuses


@pytest.mark.django_db
def test_schema_and_docs_need_a_sign_in(shared_cache):
    for path in ("/api/schema/", "/api/docs/"):
        assert APIClient().get(path).status_code == 401, path
        assert client_for(factories.UserFactory()).get(path).status_code == 200, path


@pytest.mark.django_db
def test_password_reset_by_email_and_own_change_revoke_tokens(shared_cache, mail_server):
    from rest_framework.authtoken.models import Token

    user = factories.UserFactory(username="forgetful", email="forgetful@example.com")
    Token.objects.create(user=user)
    client = Client()
    response = client.post("/accounts/password/reset/", {"email": "forgetful@example.com"})
    assert response.status_code == 302
    (message,) = mail_server.messages
    assert "\n" not in message["Subject"] and message["To"] == "forgetful@example.com"
    link = re.search(r"http://\S+/accounts/password/reset/\S+/", message.get_content()).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path, follow=True)
    form_path = response.redirect_chain[-1][0]
    response = client.post(
        form_path,
        {"new_password1": "Fresh-horse-battery-9", "new_password2": "Fresh-horse-battery-9"},
    )
    assert response.status_code == 302, response.content[:500]
    user.refresh_from_db()
    assert user.check_password("Fresh-horse-battery-9")
    assert not Token.objects.filter(user=user).exists()

    Token.objects.create(user=user)
    client.force_login(user)
    weak = client.post(
        "/accounts/password/change/",
        {"old_password": "Fresh-horse-battery-9", "new_password1": "123", "new_password2": "123"},
    )
    assert weak.status_code == 200 and Token.objects.filter(user=user).exists()
    response = client.post(
        "/accounts/password/change/",
        {
            "old_password": "Fresh-horse-battery-9",
            "new_password1": "Another-long-phrase-7",
            "new_password2": "Another-long-phrase-7",
        },
    )
    assert response.status_code == 302
    assert not Token.objects.filter(user=user).exists()
    assert client.get("/accounts/password/change/done/").status_code == 200  # still signed in


@pytest.mark.django_db
def test_csrf_failure_page_is_styled_with_a_way_back(shared_cache):
    client = Client(enforce_csrf_checks=True)
    client.force_login(factories.requester())
    response = client.post(
        "/tickets/new/", {"title": "x"}, HTTP_REFERER="http://testserver/tickets/new/"
    )
    assert response.status_code == 403
    body = response.content.decode()
    assert "页面已过期" in body and 'href="http://testserver/tickets/new/"' in body


@pytest.mark.django_db
def test_pages_carry_a_csp_with_a_nonce_for_inline_scripts(shared_cache):
    client = Client()
    client.force_login(factories.admin())
    response = client.get("/config/fields/")
    policy = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert "script-src-attr 'none'" in policy and "frame-ancestors 'none'" in policy
    body = response.content.decode()
    assert f'<script nonce="{nonce}">' in body
    assert not re.search(r"\son(click|change|submit)=", body)
