"""Sign-in, sign-out, layout, language switch and error pages."""

import pytest
from django.test import Client
from django.urls import reverse

from tests import factories
from tests.web.helpers import login

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("tickets:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_page_renders_with_csrf_token(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "csrfmiddlewaretoken" in html
    assert "登录你的账号" in html
    assert "vendor/tabler/css/tabler.min.css" in html


def test_login_with_csrf_enforced_and_logout():
    user = factories.handler()
    client = Client(enforce_csrf_checks=True)
    page = client.get(reverse("login"))
    token = page.cookies["csrftoken"].value
    response = client.post(
        reverse("login"),
        {"username": user.username, "password": "pass-1234", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home"))["Location"] == reverse("tickets:list")
    # Sign-out is POST only and needs the token too.
    assert client.post(reverse("logout")).status_code == 403
    token = client.cookies["csrftoken"].value
    assert client.post(reverse("logout"), {"csrfmiddlewaretoken": token}).status_code == 302
    assert client.get(reverse("tickets:list")).status_code == 302


def test_login_with_wrong_password_shows_error(client):
    user = factories.handler()
    response = client.post(reverse("login"), {"username": user.username, "password": "nope"})
    assert response.status_code == 200
    assert "alert-danger" in response.content.decode()


def test_login_redirect_ignores_foreign_next(client):
    user = factories.handler()
    response = client.post(
        reverse("login") + "?next=https://evil.example/",
        {"username": user.username, "password": "pass-1234", "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_navigation_shows_configuration_only_to_those_who_configure(client):
    login(client, factories.admin())
    html = client.get(reverse("tickets:list")).content.decode()
    assert "我的工单" in html
    assert "新建工单" in html
    assert f'href="{reverse("config:index")}"' in html
    client.logout()
    login(client, factories.handler())
    html = client.get(reverse("tickets:list")).content.decode()
    assert f'href="{reverse("config:index")}"' not in html
    assert client.get(reverse("config:index")).status_code == 403


def test_observer_without_create_permission_sees_no_new_ticket_button(client):
    login(client, factories.observer())
    html = client.get(reverse("tickets:list")).content.decode()
    assert reverse("tickets:create") not in html
    assert client.get(reverse("tickets:create")).status_code == 403


def test_language_switch_to_english(client):
    login(client, factories.handler())
    response = client.post(
        reverse("set_language"), {"language": "en", "next": reverse("tickets:list")}
    )
    assert response.status_code == 302
    html = client.get(reverse("tickets:list")).content.decode()
    assert '<html lang="en">' in html
    assert "My tickets" in html
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert '<html lang="zh-hans">' in client.get(reverse("tickets:list")).content.decode()


def test_404_page_uses_the_layout(client):
    login(client, factories.handler())
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_phone_viewport_meta_is_set(client):
    html = client.get(reverse("login")).content.decode()
    assert 'name="viewport"' in html and "width=device-width" in html


def test_no_cdn_anywhere(client, ticket, handlers):
    login(client, handlers[0])
    for url in (reverse("tickets:list"), reverse("tickets:detail", args=[ticket.pk])):
        html = client.get(url).content.decode()
        assert "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html
        assert "https://" not in html.split("<body")[0]
