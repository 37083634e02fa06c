"""The chat sidebar at phone width (375 px): the customer card, that customer's history, the
knowledge zone, and filing a ticket prefilled with the chat context — with no horizontal
overflow."""

import pytest
from playwright.sync_api import expect

from andon.customers import services
from andon.customers.models import TicketOrigin
from andon.queues.models import DispatchRule
from andon.tickets.models import Channel
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def assert_fits(page, width):
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"horizontal overflow at {width}px: scrollWidth={scroll_width}"


def test_sidebar_at_phone_width(new_page, transactional_db):
    queue = factories.QueueFactory(name="二线运维", dispatch_rule=DispatchRule.MANUAL)
    parent = factories.CatalogEntryFactory(name="物流系统")
    entry = factories.CatalogEntryFactory(name="登录问题", parent=parent, queue=queue)
    agent = factories.requester(username="kefu", display_name="客服小李")
    customer = services.create_customer(actor=agent, name="华东物流有限公司")
    contact = services.create_contact(
        actor=agent, name="王经理", external_userid="wmPHONE", customer=customer.pk
    )
    old = services.file_ticket(
        actor=agent, title="上周的打印问题", catalog_entry_id=entry.pk, contact_id=contact.pk
    )

    page = new_page(375, 740)
    page.goto("/accounts/login/")
    page.fill("#id_username", "kefu")
    page.fill("#id_password", "pass-1234")
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    page.goto("/sidebar/?external_userid=wmPHONE&channel=single_chat")
    expect(page.get_by_test_id("contact-name")).to_have_text("王经理")
    expect(page.get_by_test_id("customer-name")).to_have_text("华东物流有限公司")
    history = page.locator("#sidebar-tickets")
    expect(history.locator(f"[data-ticket='{old.pk}']")).to_contain_text("上周的打印问题")
    assert_fits(page, 375)

    page.get_by_test_id("kb-search").fill("登录")
    page.get_by_test_id("kb-search").press("Enter")
    expect(page.locator("#sidebar-search-results")).not_to_be_empty()

    page.get_by_test_id("open-file-form").click()
    page.select_option("#sb_catalog_parent", str(parent.pk))
    page.select_option("#sb_catalog_entry", str(entry.pk))
    page.fill("#sb_title", "仓库系统无法登录")
    page.fill("#sb_description", "客户反馈今早开始无法登录")
    assert_fits(page, 375)
    page.get_by_test_id("submit-sidebar-ticket").click()
    expect(page.locator(".alert-success, .alert").first).to_contain_text("已提交")
    origin = TicketOrigin.objects.select_related("ticket").exclude(ticket=old).get()
    assert origin.contact == contact and origin.customer == customer
    assert origin.ticket.channel == Channel.SINGLE_CHAT and origin.ticket.requester == agent
    # the new ticket is in the history, above the older one (open first, newest first)
    rows = history.locator("[data-ticket]")
    expect(rows.first).to_contain_text("仓库系统无法登录")
    assert_fits(page, 375)
    assert page.js_errors == [] and page.external_requests == []
