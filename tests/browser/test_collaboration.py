"""Collaborators, take-over and editing on the ticket page in a real browser, at desktop and at
phone width: the handler pulls in an engineer and edits the ticket; a teammate takes it over
after a confirmation; a stale edit form is answered with a clear conflict, in place."""

import pytest
from playwright.sync_api import expect

from andon.tickets import services
from tests import factories
from tests.browser.test_ticket_flow import assert_fits, assert_not_reloaded, log_in, mark_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STATUS = "[data-testid=ticket-status] .status-badge"


@pytest.fixture
def desk(transactional_db):
    queue = factories.QueueFactory(name="桌面运维")
    handler = factories.handler(username="zhangwei", display_name="张伟")
    teammate = factories.handler(username="lina", display_name="李娜", is_available=False)
    factories.add_members(queue, handler, teammate)
    factories.handler(username="rd", display_name="研发小赵")
    parent = factories.CatalogEntryFactory(name="IT 服务")
    entry = factories.CatalogEntryFactory(name="打印机", parent=parent, queue=queue)
    requester = factories.requester(username="wangfang", display_name="王芳")
    ticket = factories.make_ticket(actor=requester, entry=entry, title="三楼打印机卡纸")
    services.claim_ticket(ticket_id=ticket.pk, actor=handler)
    return {"ticket": ticket, "handler": handler, "teammate": teammate, "requester": requester}


@pytest.mark.parametrize("width", [1280, 375])
def test_pull_in_edit_and_take_over(new_page, desk, width):
    url = f"/tickets/{desk['ticket'].pk}/"
    page = new_page(width)
    log_in(page, "zhangwei")
    page.goto(url)
    mark_page(page)
    assert_fits(page, width)

    # The handler pulls in an engineer.
    people = page.locator("[data-testid=people]")
    people.locator("#collaborator-user").select_option(label="研发小赵")
    people.locator("[data-testid=add-collaborator]").click()
    expect(page.locator("[data-testid=flash]")).to_contain_text("已邀请协作人")
    expect(page.locator("[data-testid=collaborators]")).to_contain_text("研发小赵")
    expect(page.locator("[data-testid=activity]")).to_contain_text("张伟 邀请 研发小赵 协作")
    # The same person twice: refused in the panel, without a reload.
    page.locator("#collaborator-user").select_option(label="研发小赵")
    page.locator("[data-testid=add-collaborator]").click()
    expect(page.locator("[data-testid=people-error]")).to_contain_text("已是协作人")
    assert_not_reloaded(page)

    # The handler edits title and priority; the log shows old -> new.
    page.click("[data-testid=edit-toggle]")
    page.fill("#edit-title", "三楼打印机反复卡纸")
    page.select_option("#edit-priority", "L1")
    page.click("[data-testid=edit-save]")
    expect(page.locator("[data-testid=flash]")).to_contain_text("修改已保存")
    expect(page.locator("#ticket-title")).to_have_text("三楼打印机反复卡纸")
    expect(page.locator("[data-testid=activity]")).to_contain_text(
        "标题：「三楼打印机卡纸」→「三楼打印机反复卡纸」"
    )
    assert_not_reloaded(page)
    assert_fits(page, width)

    # A stale form: someone else changes the title meanwhile; saving answers with a conflict.
    page.click("[data-testid=edit-toggle]")
    page.fill("#edit-title", "我的标题")
    services.update_ticket(
        ticket_id=desk["ticket"].pk, actor=desk["requester"], title="王芳的标题", version=2
    )
    page.click("[data-testid=edit-save]")
    expect(page.locator("[data-testid=edit-error]")).to_contain_text("王芳")
    expect(page.locator("[data-testid=edit-error]")).to_contain_text("修改")
    assert_not_reloaded(page)

    # A teammate takes it over, after a confirmation.
    other = new_page(width)
    log_in(other, "lina")
    other.goto(url)
    mark_page(other)
    other.click("button[data-action=take-over]")
    expect(other.locator("[data-testid=take-over-confirm]")).to_contain_text("张伟")
    other.click("#action-form-take-over button[type=submit]")
    expect(other.locator("[data-testid=flash]")).to_contain_text("已接手")
    expect(other.locator("[data-testid=assignee]")).to_contain_text("李娜")
    expect(other.locator("[data-testid=activity]")).to_contain_text("李娜 从 张伟 手中接手了工单")
    expect(other.locator("button[data-action=take-over]")).to_have_count(0)
    assert_not_reloaded(other)
    assert_fits(other, width)

    # The teammate follows the ticket.
    other.click("[data-testid=watch-toggle]")
    expect(other.locator("[data-testid=watch-toggle]")).to_contain_text("取消关注")
    expect(other.locator("[data-testid=watcher-count]")).to_have_text("1")
