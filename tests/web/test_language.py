from django.conf import settings

from tests.web.helpers import login


def test_chinese_first_whatever_the_browser_asks_for(client, db):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.headers["Content-Language"] == "zh-hans"
    assert "登录" in response.content.decode()


def test_switching_language_sticks(client, requester):
    login(client, requester)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/tickets/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get("/tickets/")
    assert page.headers["Content-Language"] == "en"
    assert "登录" not in page.content.decode()


def test_unknown_language_cookie_falls_back_to_the_default(client, db):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "xx"
    response = client.get("/accounts/login/")
    assert response.headers["Content-Language"] == "zh-hans"
