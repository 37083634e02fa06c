"""Tags, bulk actions and canned replies in a real browser, at desktop and at phone width."""

import pytest
from playwright.sync_api import expect

from andon.bulk import services as bulk_services
from andon.bulk.models import BulkJob
from andon.queues.models import DispatchRule
from andon.tags.models import Tag
from andon.tickets import services
from andon.tickets.models import Status, Ticket
from tests import factories
from tests.browser.test_ticket_flow import assert_fits, assert_not_reloaded, log_in, mark_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk(transactional_db):
    queue = factories.QueueFactory(name="桌面运维", dispatch_rule=DispatchRule.ROUND_ROBIN)
    handler = factories.handler(username="zhangwei", display_name="张伟")
    factories.add_members(queue, handler)
    entry = factories.catalog_leaf(queue, name="打印机")
    requester = factories.requester(username="wangfang", display_name="王芳")
    return {"queue": queue, "handler": handler, "requester": requester, "entry": entry}


def _file(desk, n: int, **kwargs) -> list[Ticket]:
    return [
        factories.make_ticket(
            actor=desk["requester"], entry=desk["entry"], title=f"工单{i}", **kwargs
        )
        for i in range(n)
    ]


@pytest.mark.parametrize("width", [1280, 375])
def test_tag_a_ticket_and_filter_the_list_by_tag(new_page, desk, width):
    tagged, other = _file(desk, 2)
    page = new_page(width)
    log_in(page, "zhangwei")
    page.goto(f"/tickets/{tagged.pk}/")
    mark_page(page)
    page.fill("[data-testid=tag-input]", "网络, VPN")
    page.click("[data-testid=tag-add]")
    panel = page.locator("[data-testid=ticket-tags]")
    expect(panel.locator("[data-tag=VPN]")).to_be_visible()
    expect(panel.locator("[data-tag=网络]")).to_be_visible()
    assert_not_reloaded(page)
    page.click("[data-tag=VPN] button")
    expect(panel.locator("[data-tag=VPN]")).to_have_count(0)
    page.fill("[data-testid=tag-input]", "x" * 31)
    page.click("[data-testid=tag-add]")
    expect(page.locator("[data-testid=tag-error]")).to_contain_text("不能超过 30 个字符")
    assert_fits(page, width)

    page.goto("/tickets/?tab=all")
    network = Tag.objects.get(name="网络")
    page.select_option("[data-testid=tag-filter]", str(network.pk))
    rows = page.locator("#ticket-results [data-ticket]:visible")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-ticket", str(tagged.pk))
    assert_fits(page, width)
    assert not page.js_errors and not page.external_requests


@pytest.mark.parametrize("width", [1280, 375])
def test_bulk_priority_then_close_with_refusals(new_page, desk, width):
    tickets = _file(desk, 3)
    page = new_page(width)
    log_in(page, "zhangwei")
    page.goto("/tickets/?tab=all")
    for ticket in tickets[:2]:
        page.locator(f"[data-testid=bulk-select-{ticket.pk}]:visible").check()
    expect(page.locator("[data-testid=bulk-count]")).to_contain_text("2")
    page.select_option("[data-testid=bulk-action]", "priority")
    page.select_option("#bulk-form select[name=priority]", "L1")
    assert_fits(page, width)
    page.click("[data-testid=bulk-submit]")
    page.wait_for_url("**/bulk/*/")
    expect(page.locator("[data-testid=bulk-state]")).to_have_text("已完成")
    expect(page.locator("[data-testid=bulk-done]")).to_contain_text("2")
    assert sorted(Ticket.objects.filter(priority="L1").values_list("pk", flat=True)) == sorted(
        t.pk for t in tickets[:2]
    )
    assert_fits(page, width)

    # Close every ticket in the list: pending ones may not be closed by a handler.
    services.claim_ticket(ticket_id=tickets[0].pk, actor=desk["handler"])
    services.resolve_ticket(ticket_id=tickets[0].pk, actor=desk["handler"], resolution="好了")
    services.confirm_ticket(ticket_id=tickets[0].pk, actor=desk["requester"])
    page.goto("/tickets/?tab=all")
    page.check("[data-testid=bulk-all]")
    page.select_option("[data-testid=bulk-action]", "close")
    page.fill("[data-testid=bulk-note]", "批量关闭")
    page.click("[data-testid=bulk-submit]")
    page.wait_for_url("**/bulk/*/")
    expect(page.locator("[data-testid=bulk-done]")).to_contain_text("1")
    expect(page.locator("[data-testid=bulk-refused]")).to_contain_text("2")
    expect(page.locator("[data-testid=bulk-refused-list]")).to_contain_text("不能关闭")
    assert Ticket.objects.get(pk=tickets[0].pk).status == Status.CLOSED
    assert not page.js_errors and not page.external_requests


@pytest.fixture
def held_jobs():
    """Jobs handed to the worker port are held here (tests run Huey tasks immediately, which
    would finish the job before its page opens); the test then runs them as the worker does."""
    from andon.bulk import tasks

    held: list[int] = []
    bulk_services.set_job_scheduler(held.append)
    yield held
    bulk_services.set_job_scheduler(tasks.run_bulk_job_task)


def test_large_bulk_job_shows_progress_until_the_worker_finishes(new_page, desk, held_jobs):
    _file(desk, bulk_services.INLINE_MAX + 5)
    page = new_page(1280)
    log_in(page, "zhangwei")
    page.goto("/tickets/?tab=all")
    page.check("[data-testid=bulk-all]")
    page.select_option("[data-testid=bulk-action]", "tag")
    page.fill("[data-testid=bulk-tags]", "批量")
    page.click("[data-testid=bulk-submit]")
    page.wait_for_url("**/bulk/*/")
    expect(page.locator("[data-testid=bulk-state]")).to_have_text("排队中")
    mark_page(page)
    job = BulkJob.objects.get()
    assert held_jobs == [job.pk]
    bulk_services.run_job(job_id=job.pk)  # what the worker's task does
    expect(page.locator("[data-testid=bulk-state]")).to_have_text("已完成")
    expect(page.locator("[data-testid=bulk-done]")).to_contain_text(
        str(bulk_services.INLINE_MAX + 5)
    )
    assert_not_reloaded(page)  # the htmx poll brought the result in


@pytest.mark.parametrize("width", [1280, 375])
def test_macro_from_the_comment_box_with_the_keyboard(new_page, desk, width):
    ticket = _file(desk, 1)[0]
    services.claim_ticket(ticket_id=ticket.pk, actor=desk["handler"])
    page = new_page(width)
    log_in(page, "zhangwei")
    page.goto("/macros/")
    page.fill("[data-testid=macro-create] [data-testid=macro-name]", "打印机已修复")
    page.fill(
        "[data-testid=macro-create] [data-testid=macro-body]",
        "{requester} 您好，{ticket_number} 已处理。",
    )
    page.fill("[data-testid=macro-create] input[name=tags]", "已修复")
    assert_fits(page, width)
    page.click("[data-testid=macro-save]")
    expect(page.locator("[data-testid=macro-own]")).to_contain_text("打印机已修复")

    page.goto(f"/tickets/{ticket.pk}/")
    mark_page(page)
    page.click("#comment-body")
    page.keyboard.press("Control+/")
    search = page.locator("[data-testid=macro-search]")
    expect(search).to_be_focused()
    search.fill("打印机")
    expect(page.locator("#macro-results [data-macro]")).to_have_count(1)
    search.press("Enter")
    expect(page.locator("#comment-body")).to_have_value(f"王芳 您好，{ticket.number} 已处理。")
    expect(page.locator("[data-testid=macro-summary]")).to_contain_text("已修复")
    assert_fits(page, width)
    page.click("[data-testid=macro-apply]")
    expect(page.locator("[data-testid=flash]")).to_contain_text("快捷回复已应用")
    expect(page.locator("[data-testid=ticket-tags] [data-tag=已修复]")).to_be_visible()
    expect(page.locator("#ticket-workspace")).to_contain_text(
        f"王芳 您好，{ticket.number} 已处理。"
    )
    assert_not_reloaded(page)
    assert not page.js_errors and not page.external_requests
