"""The hardening pages and messages have their English translations (zh-Hans first, English
second)."""

import pytest
from django.utils import translation
from django.utils.translation import gettext, ngettext

MESSAGES = {
    "请求太频繁": "Too many requests",
    "页面已过期，请重新提交": "The page expired; please submit again",
    "修改密码": "Change password",
    "找回密码": "Reset your password",
    "设置新密码": "Set a new password",
    "上传内容太大": "Upload too large",
    "查看客户资料": "View customer records",
    "您的联系邮箱已更改": "Your contact e-mail address was changed",
}


@pytest.mark.parametrize(("chinese", "english"), MESSAGES.items())
def test_hardening_strings_have_english(chinese, english):
    with translation.override("en"):
        assert gettext(chinese) == english


def test_lockout_and_throttle_messages_in_english():
    with translation.override("en"):
        lockout = gettext("登录失败次数过多，该账号或地址已暂时锁定，请 %(minutes)s 分钟后再试")
        assert lockout % {"minutes": 15} == (
            "Too many failed sign-ins: this account or address is locked for now; "
            "try again in 15 minutes"
        )
        wait = ngettext("请 %(seconds)s 秒后再试。", "请 %(seconds)s 秒后再试。", 30)
        assert wait % {"seconds": 30} == "Try again in 30 seconds."


def test_password_reset_page_in_english(client, db, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/accounts/password/reset/").content.decode()
    assert "Reset your password" in html and "Send reset e-mail" in html
