"""In a real browser: a new desk points WECOM_* at the local WeCom server and syncs; a handler
taps the WeCom card of a new ticket inside WeCom and lands on it signed in (网页授权); on a PC
someone signs in with the QR flow from the login page."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from andon.accounts.models import User
from andon.wecom import orgsync
from andon.wecom.models import SyncRun
from tests import factories
from tests.wecom_server import wecom_server  # noqa: F401 - the fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WXWORK = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Mobile/15E148 wxwork/4.1.22 MicroMessenger/7.0.1 Language/zh"
)


@pytest.fixture
def open_page(browser, live_server, wecom_server, settings):  # noqa: F811
    """A browser context that may reach only the live server and the local WeCom server."""
    settings.SITE_URL = live_server.url
    contexts = []

    def make(*, user_agent=None, width=1280):
        context = browser.new_context(
            viewport={"width": width, "height": 900},
            locale="zh-CN",
            base_url=live_server.url,
            user_agent=user_agent,
        )
        outside: list[str] = []

        def guard(route):
            url = route.request.url
            if url.startswith((live_server.url, wecom_server.base_url)):
                route.continue_()
            else:
                outside.append(url)
                route.abort()

        context.route("**/*", guard)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.outside_requests = outside
        page.base_url = live_server.url
        return page

    yield make
    for context in contexts:
        context.close()


def synced_desk(wecom_server):  # noqa: F811
    run = SyncRun.objects.create(created_at=timezone.now())
    assert orgsync.run_sync(run.pk).state == SyncRun.State.DONE


@pytest.mark.parametrize("width", [1280, 375])
def test_a_tap_on_the_card_of_a_new_ticket_opens_it_signed_in(open_page, wecom_server, width):  # noqa: F811
    synced_desk(wecom_server)
    handler = User.objects.get(wecom_userid="wangwu")
    handler.roles.add(factories.role("handler"))
    queue = factories.QueueFactory(name="IT桌面支持")
    factories.add_members(queue, handler)
    ticket = factories.make_ticket(
        actor=factories.requester(), entry=factories.catalog_leaf(queue), title="显示器不亮"
    )
    cards = [m for m in wecom_server.messages_to("wangwu") if m["msgtype"] == "textcard"]
    assert cards, "the dispatch sent no WeCom card"
    link = cards[-1]["textcard"]["url"]
    assert "/wecom/oauth/start/?next=" in link

    wecom_server.client_userid = "wangwu"  # the person holding the phone
    page = open_page(user_agent=WXWORK, width=width)
    page.goto(link)
    # The browser keeps authorize's #wechat_redirect fragment through the redirects back.
    page.wait_for_url(lambda url: url.split("#")[0] == f"{page.base_url}/tickets/{ticket.pk}/")
    expect(page.get_by_text("显示器不亮").first).to_be_visible()
    expect(page.locator("body")).to_contain_text("王五")
    assert page.outside_requests == []
    assert [c.path for c in wecom_server.calls].count("/connect/oauth2/authorize") == 1


def test_a_desk_page_opened_inside_wecom_signs_in_without_a_password(open_page, wecom_server):  # noqa: F811
    synced_desk(wecom_server)
    wecom_server.client_userid = "lisi"
    page = open_page(user_agent=WXWORK)
    page.goto("/tickets/?tab=created")
    page.wait_for_url(lambda url: url.split("#")[0].endswith("/tickets/?tab=created"))
    expect(page.locator("#id_password")).to_have_count(0)
    expect(page.locator("body")).to_contain_text("李四")


def test_qr_sign_in_from_the_login_page(open_page, wecom_server):  # noqa: F811
    synced_desk(wecom_server)
    page = open_page()
    page.goto("/tickets/")
    page.wait_for_url("**/accounts/login/**")
    expect(page.locator("#id_password")).to_be_visible()  # the password form stays beside it
    page.get_by_test_id("wecom-qr-login").click()
    page.wait_for_url(f"{wecom_server.base_url}/wwlogin/sso/login?**")
    page.select_option("select[name=userid]", "zhaoliu")
    page.get_by_role("button", name="确认登录").click()
    page.wait_for_url("**/tickets/")
    expect(page.locator("body")).to_contain_text("赵六")


def test_someone_outside_the_chart_gets_a_clear_page(open_page, wecom_server):  # noqa: F811
    synced_desk(wecom_server)
    wecom_server.set_user("visitor", name="访客")  # in WeCom now, but disabled
    wecom_server.set_user("visitor", status=2)
    page = open_page()
    page.goto("/accounts/login/")
    page.get_by_test_id("wecom-qr-login").click()
    page.select_option("select[name=userid]", "visitor")
    page.get_by_role("button", name="确认登录").click()
    refused = page.get_by_test_id("wecom-refused")
    expect(refused).to_be_visible()
    expect(refused).to_contain_text("已停用或已离职")
    expect(page.get_by_role("link", name="使用账号密码登录")).to_be_visible()
