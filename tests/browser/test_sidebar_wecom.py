"""The sidebar inside WeCom, in chromium: the page signs in through 网页授权, registers the
vendored official @wecom/jssdk with signatures from Andon, asks the client which chat it is in and
shows that customer — no URL parameter. The WeCom client's JS bridge (WeixinJSBridge, the one
part that exists only inside WeCom) is a stand-in injected by the test; it records what the SDK
sends so the signatures can be checked against WeCom's documented algorithm."""

import hashlib
import json

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from andon.accounts.models import User
from andon.customers import services
from andon.customers.models import CustomerGroupChat
from andon.wecom import contacts_sync, orgsync
from andon.wecom.models import SyncRun
from tests import factories
from tests.wecom_external import external_userid
from tests.wecom_server import wecom_server  # noqa: F401 - the fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WXWORK = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Mobile/15E148 wxwork/4.1.22 MicroMessenger/7.0.1 Language/zh"
)
ALICE = external_userid(1)

# What the WeCom client would answer; `answers` is filled in per test.
BRIDGE = """
window.WeixinJSBridge = {
  invoke: function (name, params, callback) {
    // Kept in sessionStorage: the page reloads once it knows the chat.
    var calls = JSON.parse(sessionStorage.getItem("bridgeCalls") || "[]");
    calls.push({name: name, params: JSON.parse(JSON.stringify(params || {}))});
    sessionStorage.setItem("bridgeCalls", JSON.stringify(calls));
    var answers = %s;
    var answer = answers[name] || {err_msg: name + ":fail not supported by the stand-in"};
    setTimeout(function () { callback(answer); }, 5);
  },
  on: function () {},
};
"""


def bridge(entry: str, **ids) -> str:
    answers = {
        "agentConfig": {"err_msg": "agentConfig:ok"},
        "getContext": {"err_msg": "getContext:ok", "entry": entry},
        "getCurExternalChat": {"err_msg": "getCurExternalChat:ok", "chatId": ids.get("chat", "")},
        "getCurExternalContact": {
            "err_msg": "getCurExternalContact:ok",
            "userId": ids.get("contact", ""),
        },
    }
    return BRIDGE % json.dumps(answers)


@pytest.fixture
def desk(wecom_server, live_server, settings):  # noqa: F811
    settings.SITE_URL = live_server.url
    run = SyncRun.objects.create(created_at=timezone.now())
    assert orgsync.run_sync(run.pk).state == SyncRun.State.DONE
    wecom_server.external.add_contact(ALICE, "陈爱丽", followers=["wangwu"], corp_name="星河制造",
                                      type=2)  # fmt: skip
    wecom_server.external.add_chat("wrChat1", "星河制造服务群", owner="wangwu", externals=[ALICE])
    contacts_sync.full_sync()
    wangwu = User.objects.get(wecom_userid="wangwu")
    wangwu.roles.add(factories.role("agent"))
    wecom_server.client_userid = "wangwu"  # the person holding the phone
    return wangwu


@pytest.fixture
def in_wecom(browser, live_server, wecom_server):  # noqa: F811
    contexts = []

    def make(script: str):
        context = browser.new_context(
            viewport={"width": 375, "height": 740},
            locale="zh-CN",
            base_url=live_server.url,
            user_agent=WXWORK,
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
        context.add_init_script(script)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.outside_requests = outside
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.js_errors = errors
        return page

    yield make
    for context in contexts:
        context.close()


def official(ticket: str, params: dict, url: str) -> str:
    plain = (
        f"jsapi_ticket={ticket}&noncestr={params['nonceStr']}&timestamp={params['timestamp']}"
        f"&url={url}"
    )
    return hashlib.sha1(plain.encode()).hexdigest()


def test_a_group_chat_sidebar_shows_its_customer(desk, in_wecom, wecom_server, live_server):  # noqa: F811
    entry = factories.catalog_leaf(factories.QueueFactory(name="二线"), "打印机")
    group = CustomerGroupChat.objects.get(chat_id="wrChat1")
    ticket = services.file_ticket(actor=desk, title="群里报的打印问题", catalog_entry_id=entry.pk,
                                  group_chat_id=group.pk, chat_id="wrChat1")  # fmt: skip

    page = in_wecom(bridge("group_chat_tools", chat="wrChat1"))
    page.goto("/sidebar/")
    expect(page.get_by_test_id("chat-name")).to_have_text("星河制造服务群")
    expect(page.get_by_test_id("customer-name")).to_have_text("星河制造")
    expect(page.locator(f"[data-ticket='{ticket.pk}']")).to_contain_text("群里报的打印问题")
    expect(page.get_by_test_id("dev-fallback")).to_have_count(0)
    assert "?" not in page.url.split("#")[0]
    assert page.outside_requests == [] and page.js_errors == []

    calls = page.evaluate("JSON.parse(sessionStorage.getItem('bridgeCalls') || '[]')")
    names = [c["name"] for c in calls]
    assert names[:1] == ["agentConfig"] and "getContext" in names and "getCurExternalChat" in names
    agent = next(c["params"] for c in calls if c["name"] == "agentConfig")
    assert agent["corpid"] == wecom_server.corp_id and agent["agentid"] == wecom_server.agent_id
    signed_url = f"{live_server.url}/sidebar/"
    assert agent["signature"] == official(wecom_server.agent_ticket, agent, signed_url)


def test_a_single_chat_sidebar(desk, in_wecom):
    page = in_wecom(bridge("single_chat_tools", contact=ALICE))
    page.goto("/sidebar/")
    expect(page.get_by_test_id("contact-name")).to_have_text("陈爱丽")
    expect(page.get_by_test_id("customer-name")).to_have_text("星河制造")


def test_a_chat_the_agent_is_not_in_is_explained(desk, in_wecom, wecom_server):  # noqa: F811
    wecom_server.external.add_chat("wrOther", "别人的群", owner="lisi")
    page = in_wecom(bridge("group_chat_tools", chat="wrOther"))
    page.goto("/sidebar/")
    expect(page.get_by_test_id("wecom-status")).to_have_text("你不在这个客户群里")
    expect(page.get_by_test_id("chat-name")).to_have_count(0)


def test_an_entry_without_a_customer_is_explained(desk, in_wecom):
    page = in_wecom(bridge("normal"))
    page.goto("/sidebar/")
    expect(page.get_by_test_id("wecom-status")).to_contain_text("不是从客户聊天打开")
