"""The knowledge base in a real browser: search as you type, open an article; ask the assistant
(extractive mode) and see the answer with its cited sources — at desktop and phone width."""

import pytest
from playwright.sync_api import expect

from andon.knowledge import services
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def kb(transactional_db, settings):
    settings.ANDON_LLM_BASE_URL = ""
    editor = factories.admin(username="kb-editor")
    services.create_article(
        actor=editor,
        title="VPN 提示证书过期",
        body="## 处理\n运行 **VPN 证书更新工具**，按提示登录后重新连接。",
        status="published",
        visibility="public",
    )
    services.create_article(
        actor=editor, title="打印机卡纸怎么处理", body="打开前盖取出纸张。", status="published"
    )
    return factories.requester(username="reader")


def log_in(page, username):
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pass-1234")
    page.click("form button[type=submit]")
    page.wait_for_url("**/tickets/**")


@pytest.mark.parametrize("width", [1280, 375])
def test_search_open_and_ask(new_page, kb, width):
    page = new_page(width)
    log_in(page, "reader")
    page.goto("/knowledge/")
    page.fill("[data-testid=kb-search]", "证书过期")
    hit = page.locator(".kb-hit").first
    expect(hit).to_contain_text("VPN 提示证书过期")
    expect(hit.locator("mark").first).to_have_text("证书")
    expect(page.locator(".kb-hit")).to_have_count(1)
    hit.click()
    expect(page.get_by_test_id("article-title")).to_have_text("VPN 提示证书过期")
    expect(page.get_by_test_id("article-body").locator("strong")).to_have_text("VPN 证书更新工具")
    page.get_by_test_id("vote-helpful").click()
    expect(page.get_by_test_id("vote-helpful")).to_contain_text("1")

    page.goto("/knowledge/assistant/")
    page.fill("[data-testid=assistant-question]", "VPN 证书过期了怎么办")
    page.get_by_test_id("assistant-ask").click()
    answer = page.get_by_test_id("assistant-answer")
    expect(answer).to_contain_text("[1] VPN 提示证书过期")
    expect(answer).to_contain_text("证书更新工具")
    source = page.get_by_test_id("assistant-sources").locator("a")
    expect(source).to_have_count(1)
    expect(source).to_have_text("VPN 提示证书过期")
    page.fill("[data-testid=assistant-question]", "年会抽奖规则")
    page.get_by_test_id("assistant-ask").click()
    expect(answer).to_contain_text("不知道")
    expect(page.get_by_test_id("assistant-sources").locator("a")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
    assert page.js_errors == [] and page.external_requests == []
