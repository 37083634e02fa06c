"""Saved views, ticket search and the live ticket page in a real browser, at desktop and phone
width: save the filtered list as a view (its tab and count appear, it becomes the default), search
with highlighted words, and watch a ticket change under a half-written comment without losing it."""

import pytest
from playwright.sync_api import expect

from andon.queues.models import DispatchRule
from andon.savedviews.models import SavedView
from andon.tickets import services
from tests import factories
from tests.browser.test_ticket_flow import assert_fits, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk(transactional_db):
    queue = factories.QueueFactory(name="桌面运维", dispatch_rule=DispatchRule.ROUND_ROBIN)
    handler = factories.handler(username="zhangwei", display_name="张伟")
    factories.add_members(queue, handler)
    parent = factories.CatalogEntryFactory(name="IT 服务")
    entry = factories.CatalogEntryFactory(name="打印机", parent=parent, queue=queue)
    requester = factories.requester(username="wangfang", display_name="王芳")
    urgent = factories.make_ticket(
        actor=requester, entry=entry, title="服务器机房断电", priority="L1"
    )
    calm = factories.make_ticket(actor=requester, entry=entry, title="换一个鼠标", priority="L4")
    services.add_comment(ticket_id=calm.pk, actor=requester, body="旧鼠标的滚轮坏了")
    factories.fan_out_pending()  # the worker's after-commit step: the search index
    return {"handler": handler, "requester": requester, "urgent": urgent, "calm": calm}


@pytest.mark.parametrize("width", [1280, 375])
def test_save_a_view_and_make_it_the_default(new_page, desk, width):
    page = new_page(width)
    log_in(page, "zhangwei")
    page.goto("/tickets/?tab=all")
    page.select_option("select[name=priority]", "L1")
    expect(page.locator("#ticket-results [data-ticket]").first).to_have_attribute(
        "data-ticket", str(desk["urgent"].pk)
    )
    page.click("[data-testid=save-view]")
    form = page.locator("[data-testid=new-view-form]")
    form.locator("[data-testid=view-name]").fill("紧急工单")
    form.locator("input[name=columns][value=queue]").uncheck()
    form.locator("input[name=make_default]").check()
    form.locator("[data-testid=view-submit]").click()
    page.wait_for_url("**/tickets/?view=*")
    view = SavedView.objects.get(name="紧急工单")
    assert view.filters == {"priority": "L1"}
    tab = page.locator(f"[data-saved-view='{view.pk}'] a")
    expect(tab).to_contain_text("紧急工单")
    expect(page.locator(f"[data-saved-view='{view.pk}'] a.active")).to_have_count(1)
    expect(tab.locator("[data-testid=view-count]")).to_have_text("1")
    if width >= 768:
        expect(page.locator("th[data-column=queue]")).to_have_count(0)
        expect(page.locator("th[data-column=status]")).to_have_count(1)
    # The default view opens when the list is opened bare.
    page.goto("/tickets/")
    expect(page.locator(f"[data-saved-view='{view.pk}'] a.active")).to_have_count(1)
    expect(
        page.locator(".ticket-cards [data-ticket]" if width < 768 else "tbody [data-ticket]")
    ).to_have_count(1)
    # A half-typed name error shows inline, not as a page.
    page.click("[data-testid=save-view]")
    form = page.locator("[data-testid=new-view-form]")
    form.locator("[data-testid=view-name]").fill("紧急工单")
    form.locator("[data-testid=view-submit]").click()
    expect(form.locator("[data-testid=view-name-error]")).to_contain_text("同名视图")
    assert_fits(page, width)
    assert page.js_errors == [] and page.external_requests == []


@pytest.mark.parametrize("width", [1280, 375])
def test_search_box_finds_comment_words_and_marks_them(new_page, desk, width):
    page = new_page(width)
    log_in(page, "wangfang")
    page.goto("/tickets/?tab=all")
    page.fill("input[name=q]", "滚轮")
    results = page.locator("#ticket-results")
    expect(results.locator("[data-testid=search-snippet] mark").first).to_have_text("滚轮")
    scope = ".ticket-cards [data-ticket]" if width < 768 else "tbody [data-ticket]"
    expect(results.locator(scope)).to_have_count(1)
    expect(results.locator(scope).first).to_have_attribute("data-ticket", str(desk["calm"].pk))
    assert_fits(page, width)
    assert page.js_errors == []


@pytest.mark.parametrize("width", [1280, 375])
def test_live_page_shows_changes_and_keeps_the_comment_being_typed(new_page, desk, width, settings):
    settings.ANDON_LIVE_POLL_SECONDS = 1
    ticket = desk["urgent"]
    page = new_page(width)
    log_in(page, "wangfang")
    page.goto(f"/tickets/{ticket.pk}/")
    page.evaluate("window.__andonNoReload = true")
    page.fill("#comment-body", "我这边看到 UPS 告警灯在闪")
    page.focus("#comment-body")
    # Someone else works on the ticket meanwhile.
    services.add_comment(ticket_id=ticket.pk, actor=desk["handler"], body="已派人去机房查看")
    expect(page.locator("[data-testid=activity]")).to_contain_text("已派人去机房查看")
    expect(page.locator("[data-testid=live-notice]")).to_be_visible()
    expect(page.locator("[data-testid=live-typing]")).to_be_visible()
    expect(page.locator("#comment-body")).to_have_value("我这边看到 UPS 告警灯在闪")
    assert page.evaluate("window.__andonNoReload === true"), "the page was reloaded"
    # The comment still posts normally, and the page keeps polling after the swap.
    page.click("[data-testid=comment-submit]")
    expect(page.locator("[data-testid=activity]")).to_contain_text("UPS 告警灯")
    services.claim_ticket(ticket_id=ticket.pk, actor=desk["handler"])
    expect(page.locator("[data-testid=ticket-status]")).to_contain_text("处理中")
    assert_fits(page, width)
    assert page.js_errors == []
