"""Links, merge, the auto-confirm countdown and the rating in a real browser, at desktop and
phone width: the handler links a child and merges a duplicate; the requester rates the
resolved ticket (which confirms it); the reports page shows the rating and its comment."""

import pytest
from playwright.sync_api import expect

from andon.queues.models import DispatchRule
from andon.tickets import services
from andon.tickets.models import Status
from tests import factories
from tests.browser.test_ticket_flow import assert_fits, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STATUS = "[data-testid=ticket-status] .status-badge"


@pytest.fixture
def desk(transactional_db):
    queue = factories.QueueFactory(name="桌面运维", dispatch_rule=DispatchRule.MANUAL)
    handler = factories.handler(username="zhangwei", display_name="张伟")
    factories.add_members(queue, handler)
    entry = factories.catalog_leaf(queue, name="打印机")
    requester = factories.requester(username="wangfang", display_name="王芳")
    tickets = [
        factories.make_ticket(actor=requester, entry=entry, title=title)
        for title in ("三楼打印机卡纸", "更换硒鼓", "三楼打印机又卡纸")
    ]
    for ticket in tickets:
        services.claim_ticket(ticket_id=ticket.pk, actor=handler)
    services.add_comment(ticket_id=tickets[2].pk, actor=requester, body="和昨天一样的问题")
    return {"handler": handler, "requester": requester, "tickets": tickets}


@pytest.mark.parametrize("width", [1280, 375])
def test_link_merge_and_rate(new_page, desk, width):
    main, child, duplicate = desk["tickets"]
    page = new_page(width)
    page.on("dialog", lambda dialog: dialog.accept())  # the merge asks first
    log_in(page, "zhangwei")

    page.goto(f"/tickets/{main.pk}/")
    links = page.locator("[data-testid=links]")
    links.locator("select[name=relation]").select_option("child")
    links.locator("input[name=ticket]").fill(child.number)
    links.locator("[data-testid=link-submit]").click()
    expect(links.locator("[data-relation=child]")).to_contain_text("更换硒鼓")
    expect(links.locator("[data-testid=children-summary]")).to_contain_text("0/1")
    assert_fits(page, width)

    # Linking the ticket to itself is refused with the reason, nothing else changes.
    links = page.locator("[data-testid=links]")
    links.locator("input[name=ticket]").fill(main.number)
    links.locator("[data-testid=link-submit]").click()
    expect(page.locator(".alert-danger")).to_contain_text("不能关联工单自身")

    # Merge the duplicate into the main ticket: its comment moves over, it closes.
    page.goto(f"/tickets/{duplicate.pk}/")
    page.locator("[data-testid=merge-toggle]").click()
    page.locator("[data-testid=merge-form] input[name=into]").fill(main.number)
    page.locator("[data-testid=merge-submit]").click()
    expect(page.locator(STATUS)).to_have_text("已关闭")
    expect(page.locator("[data-testid=activity]")).to_contain_text(f"已合并到 {main.number}")
    page.goto(f"/tickets/{main.pk}/")
    expect(page.locator("[data-testid=merged-comment]")).to_contain_text("和昨天一样的问题")
    expect(page.locator("[data-relation=duplicated_by]")).to_contain_text(duplicate.number)
    assert_fits(page, width)

    # Resolved: the countdown shows; the requester rates, which confirms.
    services.resolve_ticket(ticket_id=main.pk, actor=desk["handler"], resolution="清理搓纸轮")
    page.goto(f"/tickets/{main.pk}/")
    expect(page.locator("[data-testid=follow-up]")).to_have_attribute("data-stage", "confirm")
    expect(page.locator("[data-testid=follow-up-left]")).to_contain_text("小时")

    requester_page = new_page(width)
    log_in(requester_page, "wangfang")
    requester_page.goto(f"/tickets/{main.pk}/")
    form = requester_page.locator("[data-testid=csat-form]")
    form.locator("label[for=csat-desk-4]").click()
    form.locator("textarea[name=comment]").fill("处理很及时")
    assert_fits(requester_page, width)
    form.locator("[data-testid=csat-submit]").click()
    expect(requester_page.locator(STATUS)).to_have_text("已完成")
    expect(requester_page.locator("[data-testid=csat-rating]")).to_have_attribute("data-score", "4")
    expect(requester_page.locator("[data-testid=follow-up]")).to_have_attribute(
        "data-stage", "close"
    )

    admin_page = new_page(width)
    factories.admin(username="boss")
    log_in(admin_page, "boss")
    admin_page.goto("/reports/")
    section = admin_page.locator("[data-testid=report-csat]")
    expect(section.locator("[data-testid=csat-count]")).to_have_text("1")
    expect(section.locator("[data-testid=csat-comments]")).to_contain_text("处理很及时")
    expect(section.locator("[data-testid=csat-by-handler]")).to_contain_text("张伟")
    assert_fits(admin_page, width)
    assert not page.js_errors and not requester_page.js_errors and not admin_page.js_errors
    assert type(main).objects.get(pk=duplicate.pk).status == Status.CLOSED
