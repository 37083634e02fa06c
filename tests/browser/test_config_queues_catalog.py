"""From an empty database with one administrator, set the desk up in the browser — a queue with
a member, a level-1 and a level-2 catalog entry — then file a ticket and see it dispatched."""

import pytest
from playwright.sync_api import expect

from andon.queues.models import Queue
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def assert_fits(page, width):
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"horizontal overflow at {width}px: scrollWidth={scroll_width}"


@pytest.mark.parametrize("width", [1280, 375])
def test_set_up_queue_and_catalog_then_file_a_ticket(new_page, transactional_db, width):
    factories.admin(username="boss", display_name="李管理")
    page = new_page(width)
    page.goto("/accounts/login/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "pass-1234")
    page.click("form button[type=submit]")
    page.wait_for_url("**/tickets/**")

    # A queue with one member, picked through the htmx search.
    page.goto("/config/queues/")
    page.click("[data-testid=queue-new]")
    # The form's htmx search binds when its scripts have run: wait for the new page to load,
    # or a fast fill lands before htmx listens and the search never fires.
    page.wait_for_url("**/config/queues/new/")
    page.fill("#id_name", "桌面运维")
    page.fill("[data-testid=member-search]", "李管")
    page.click("[data-testid=people-result]:has-text('李管理')")
    expect(page.locator("[data-testid=member-chips] .member-chip")).to_have_count(1)
    assert_fits(page, width)
    page.click("[data-testid=queue-save]")
    page.wait_for_url("**/config/queues/*/")
    expect(page.locator("[data-testid=member-load]")).to_contain_text("李管理")
    queue = Queue.objects.get(name="桌面运维")
    assert list(queue.members.values_list("username", flat=True)) == ["boss"]

    # The catalog: "+" a level-1 entry, then a level-2 entry under it bound to the queue.
    page.goto("/config/catalog/")
    page.evaluate("window.__noReload = true")
    page.fill("[data-testid=level1-name]", "IT 服务")
    page.click("[data-testid=level1-add]")
    expect(page.locator("[data-testid=level1-item]")).to_have_count(1)
    page.fill("[data-testid=level2-name-input]", "打印机")
    page.select_option("[data-testid=level2-queue]", label="桌面运维")
    page.click("[data-testid=level2-add]")
    expect(page.locator("[data-testid=level2-name]")).to_have_text(["打印机"])
    # A duplicate is refused inline, without leaving the page.
    page.fill("[data-testid=level2-name-input]", " 打 印 机")
    page.select_option("[data-testid=level2-queue]", label="桌面运维")
    page.click("[data-testid=level2-add]")
    expect(page.locator("[data-testid=inline-error]")).to_contain_text("已有二级目录")
    assert page.evaluate("window.__noReload === true")
    assert_fits(page, width)

    # File a ticket under it: dispatched to the queue's member.
    page.goto("/tickets/new/")
    page.select_option("#id_catalog_parent", label="IT 服务")
    page.select_option("#id_catalog_entry", label="打印机")
    page.fill("#id_title", "打印机卡纸")
    page.click("[data-testid=submit-ticket]")
    page.wait_for_url("**/tickets/*/")
    expect(page.locator("[data-testid=assignee]")).to_contain_text("李管理")
    assert page.js_errors == []
    assert page.external_requests == []
