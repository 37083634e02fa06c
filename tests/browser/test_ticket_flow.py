"""The whole foundation flow in a real browser, at desktop and at phone width:
log in → new ticket → (a queue member) claim → comment → resolve → (the requester) confirm.
Every action runs through htmx without a page reload; the status badge follows each step."""

import re

import pytest
from playwright.sync_api import expect

from andon.queues.models import DispatchRule
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STATUS = "[data-testid=ticket-status] .status-badge"


@pytest.fixture
def desk(transactional_db):
    queue = factories.QueueFactory(name="桌面运维", dispatch_rule=DispatchRule.MANUAL)
    handler = factories.handler(username="zhangwei", display_name="张伟")
    factories.add_members(queue, handler)
    parent = factories.CatalogEntryFactory(name="IT 服务")
    entry = factories.CatalogEntryFactory(name="打印机", parent=parent, queue=queue)
    requester = factories.requester(username="wangfang", display_name="王芳")
    return {
        "queue": queue,
        "handler": handler,
        "requester": requester,
        "parent": parent,
        "entry": entry,
    }


def log_in(page, username):
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pass-1234")
    page.click("form button[type=submit]")
    page.wait_for_url("**/tickets/**")


def assert_fits(page, width):
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"horizontal overflow at {width}px: scrollWidth={scroll_width}"


def mark_page(page):
    """A marker that a full page load would wipe: proves htmx swapped in place."""
    page.evaluate("window.__andonNoReload = true")


def assert_not_reloaded(page):
    assert page.evaluate("window.__andonNoReload === true"), "the page was reloaded"


@pytest.mark.parametrize("width", [1280, 375])
def test_ticket_lifecycle_in_the_browser(new_page, desk, width):
    requester_page = new_page(width)
    log_in(requester_page, "wangfang")
    assert_fits(requester_page, width)

    # New ticket, with the two-level catalog cascade.
    page = requester_page
    page.goto("/tickets/new/")
    expect(page.locator("#id_catalog_entry")).to_be_disabled()
    page.select_option("#id_catalog_parent", label="IT 服务")
    expect(page.locator("#id_catalog_entry")).to_be_enabled()
    page.select_option("#id_catalog_entry", label="打印机")
    page.fill("#id_title", "三楼打印机卡纸")
    page.fill("#id_description", "一直提示**卡纸**，已重启")
    page.check("input[name=priority][value=L2]", force=True)
    assert_fits(page, width)
    page.click("[data-testid=submit-ticket]")
    page.wait_for_url("**/tickets/*/")
    ticket_url = page.url
    expect(page.locator(STATUS)).to_have_text("待处理")
    expect(page.locator("#ticket-title")).to_have_text("三楼打印机卡纸")
    expect(page.locator(".markdown-body strong").first).to_have_text("卡纸")
    expect(page.locator("[data-testid=ola-state]")).to_have_text("OLA 尚未配置")
    assert_fits(page, width)

    # The requester urges; urging again at once is refused inline (a 429), without a reload.
    mark_page(page)
    page.click("button[data-action=urge]")
    page.click("#action-form-urge button[type=submit]")
    expect(page.locator("[data-testid=flash]")).to_contain_text("已催单")
    page.click("button[data-action=urge]")
    page.click("#action-form-urge button[type=submit]")
    expect(page.locator("#action-form-urge [data-testid=action-error]")).to_contain_text(
        "催单太频繁"
    )
    assert_not_reloaded(page)

    # A queue member claims it from the pool.
    handler_page = new_page(width)
    log_in(handler_page, "zhangwei")
    page = handler_page
    page.goto("/tickets/?tab=pool")
    expect(page.locator("a:visible", has_text="三楼打印机卡纸").first).to_be_visible()
    assert_fits(page, width)
    page.goto(ticket_url)
    mark_page(page)
    page.click("form[data-action=claim] button[type=submit]")
    expect(page.locator(STATUS)).to_have_text("处理中")
    expect(page.locator("[data-testid=assignee]")).to_contain_text("张伟")
    assert_not_reloaded(page)
    assert_fits(page, width)

    # Comment (Markdown), then resolve.
    page.fill("#comment-body", "已联系厂商，**下午**上门")
    page.click("[data-testid=comment-submit]")
    expect(page.locator(".comment-box strong")).to_have_text("下午")
    expect(page.locator(STATUS)).to_have_text("处理中")
    page.click("button[data-action=resolve]")
    page.fill("#action-form-resolve textarea", "更换定影组件后恢复")
    page.click("#action-form-resolve button[type=submit]")
    expect(page.locator(STATUS)).to_have_text("待确认")
    expect(page.locator(".action-panel:visible")).to_have_count(0)
    assert_not_reloaded(page)
    assert_fits(page, width)

    # The requester confirms.
    page = requester_page
    page.goto(ticket_url)
    expect(page.locator(STATUS)).to_have_text("待确认")
    expect(page.locator(".resolution")).to_contain_text("更换定影组件后恢复")
    mark_page(page)
    page.click("button[data-action=confirm]")
    page.click("#action-form-confirm button[type=submit]")
    expect(page.locator(STATUS)).to_have_text("已完成")
    # The swapped-in workspace starts with every action form folded.
    expect(page.locator(".action-panel:visible")).to_have_count(0)
    assert_not_reloaded(page)
    assert_fits(page, width)
    activity = page.locator("[data-testid=activity]")
    for sentence in (
        "王芳 创建了工单",
        "张伟 认领了工单",
        "张伟 提交了解决方案",
        "王芳 确认问题已解决",
    ):
        expect(activity).to_contain_text(sentence)
    page.screenshot(path=f"/tmp/andon-ticket-{width}.png", full_page=True)

    for p in (requester_page, handler_page):
        assert p.js_errors == []
        assert p.external_requests == []


def test_notification_bell_and_language_switch(new_page, desk):
    from andon.tickets import services

    ticket = factories.make_ticket(actor=desk["requester"], entry=desk["entry"], title="VPN 断线")
    services.claim_ticket(ticket_id=ticket.pk, actor=desk["handler"])
    page = new_page(1280)
    log_in(page, "wangfang")
    badge = page.locator("#notification-badge")
    expect(badge).to_have_text("1")
    page.click("#notification-toggle")
    menu = page.locator("#notification-menu")
    expect(menu).to_contain_text("VPN 断线")
    page.click("[data-testid=mark-all-read]")
    expect(badge).to_be_hidden()
    expect(menu).to_contain_text("VPN 断线")

    # Switch to English from the footer; the page comes back in English.
    page.click("footer button[value=en]")
    expect(page.locator("h2.page-title")).to_have_text("My tickets")
    page.goto(f"/tickets/{ticket.pk}/")
    expect(page.locator(STATUS)).to_have_text("Processing")
    expect(page.locator("[data-testid=ola-state]")).to_have_text("OLA not configured")
    assert page.js_errors == []


def test_phone_navigation_and_bell(new_page, desk):
    from andon.tickets import services

    ticket = factories.make_ticket(actor=desk["requester"], entry=desk["entry"], title="VPN 断线")
    services.claim_ticket(ticket_id=ticket.pk, actor=desk["handler"])
    page = new_page(375)
    log_in(page, "wangfang")
    assert_fits(page, 375)
    nav_link = page.locator("#navbar-menu").get_by_text("我的工单")
    expect(nav_link).to_be_hidden()
    page.click(".navbar-toggler")
    expect(nav_link).to_be_visible()
    expect(page.locator("#navbar-menu")).to_have_class(re.compile(r"\bshow\b"))  # transition done
    page.click(".navbar-toggler")
    expect(nav_link).to_be_hidden()
    # The notification menu stays on screen at phone width.
    page.click("#notification-toggle")
    menu = page.locator(".notification-menu")
    expect(menu).to_contain_text("VPN 断线")
    box = menu.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375, box
    assert_fits(page, 375)
    page.locator("#notification-menu a", has_text="VPN 断线").click()
    page.wait_for_url(f"**/tickets/{ticket.pk}/")
    expect(page.locator("#notification-badge")).to_be_hidden()


def test_losing_a_claim_race_shows_the_winner_inline(new_page, desk):
    other = factories.handler(username="lina", display_name="李娜")
    factories.add_members(desk["queue"], other)
    ticket = factories.make_ticket(actor=desk["requester"], entry=desk["entry"], title="打印机")
    first, second = new_page(1280), new_page(1280)
    log_in(first, "zhangwei")
    log_in(second, "lina")
    for page in (first, second):
        page.goto(f"/tickets/{ticket.pk}/")
        mark_page(page)
    first.click("form[data-action=claim] button[type=submit]")
    expect(first.locator(STATUS)).to_have_text("处理中")
    second.click("form[data-action=claim] button[type=submit]")
    error = second.locator("#action-form-claim [data-testid=action-error]")
    expect(error).to_contain_text("工单已由 张伟 处理")
    expect(second.locator(STATUS)).to_have_text("待处理")  # stale page, but nothing broke
    assert_not_reloaded(second)
    assert second.js_errors == []
