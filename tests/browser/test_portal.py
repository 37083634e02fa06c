"""The requester portal in a real browser: an external contact asks for a magic link, reads it
from a real SMTP server, signs in, files a ticket, follows it; the handler resolves it through the
services; the contact confirms."""

import re

import pytest
from playwright.sync_api import expect

from andon.customers import services as customer_services
from andon.queues.models import DispatchRule
from andon.tickets import services as ticket_services
from andon.tickets.models import Status, Ticket
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [375])
def test_portal_magic_link_file_follow_confirm(
    new_page, transactional_db, mail_server, live_server, settings, width
):
    settings.SITE_URL = live_server.url
    queue = factories.QueueFactory(name="财务支持", dispatch_rule=DispatchRule.ROUND_ROBIN)
    handler = factories.handler(username="caiwu")
    factories.add_members(queue, handler)
    parent = factories.CatalogEntryFactory(name="财务")
    entry = factories.CatalogEntryFactory(name="发票", parent=parent, queue=queue)
    agent = factories.requester()
    customer = customer_services.create_customer(actor=agent, name="华东物流")
    customer_services.create_contact(
        actor=agent, name="王经理", email="wang@example.com", customer=customer.pk
    )

    page = new_page(width, 760)
    page.goto("/portal/")
    page.get_by_test_id("magic-email").fill("wang@example.com")
    page.get_by_test_id("send-link").click()
    expect(page.get_by_test_id("link-sent")).to_be_visible()
    assert len(mail_server.messages) == 1
    body = mail_server.messages[0].get_body(("plain",)).get_content()
    link = re.search(r"https?://\S+/portal/magic/\S+/", body).group(0)
    assert link.startswith(live_server.url)

    page.goto(link)
    page.get_by_test_id("magic-continue").click()
    page.wait_for_url("**/portal/")
    page.get_by_test_id("portal-new").click()
    # The entry picker reloads the form from a script: choose only once the page has loaded.
    page.wait_for_url("**/portal/new/")
    page.select_option("#id_catalog_entry", str(entry.pk))
    page.wait_for_url(f"**/portal/new/?entry={entry.pk}")
    page.fill("#id_title", "发票抬头开错了")
    page.fill("#id_description", "请重开")
    page.get_by_test_id("portal-submit").click()
    page.wait_for_url("**/portal/tickets/*/")
    ticket = Ticket.objects.get()
    expect(page.get_by_test_id("portal-status")).to_contain_text("待处理")

    page.fill("#comment-note", "抬头应为华东物流有限公司")
    page.get_by_test_id("portal-comment").click()
    expect(page.locator(".list-group-item", has_text="华东物流有限公司").first).to_be_visible()

    ticket_services.claim_ticket(ticket_id=ticket.pk, actor=handler)
    ticket_services.resolve_ticket(ticket_id=ticket.pk, actor=handler, resolution="已重开发票")
    page.goto("/portal/")
    page.locator(f"[data-ticket='{ticket.pk}']").click()
    expect(page.get_by_test_id("portal-resolution")).to_contain_text("已重开发票")
    page.get_by_test_id("portal-confirm").click()
    expect(page.get_by_test_id("portal-status")).to_contain_text("已完成")
    ticket.refresh_from_db()
    assert ticket.status == Status.DONE
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.js_errors == [] and page.external_requests == []
