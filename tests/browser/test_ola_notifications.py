"""In a real browser: the ticket page's OLA timer counts down, and the bell's count rises without
a reload after someone else comments (the badge polls)."""

import pytest
from playwright.sync_api import expect

from andon.ola.models import BusinessCalendar, OlaPolicy
from andon.tickets import services
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, username):
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pass-1234")
    page.click("form button[type=submit]")
    page.wait_for_url("**/tickets/**")


@pytest.mark.parametrize("width", [1280, 375])
def test_ola_countdown_and_live_bell(new_page, settings, width):
    settings.NOTIFICATION_POLL_SECONDS = 1
    calendar = BusinessCalendar.objects.create(
        name="全天候",
        weekly_windows={
            d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        },
        follows_china_holidays=False,
    )
    queue = factories.QueueFactory(name="桌面运维")
    handler = factories.handler(username="zhangwei", display_name="张伟")
    factories.add_members(queue, handler)
    OlaPolicy.objects.create(
        queue=queue, calendar=calendar, response_minutes={"L3": 30}, resolution_minutes={"L3": 240}
    )
    requester = factories.requester(username="wangfang")
    ticket = factories.make_ticket(
        actor=requester, entry=factories.catalog_leaf(queue), priority="L3"
    )

    page = new_page(width)
    log_in(page, "zhangwei")
    page.goto(f"/tickets/{ticket.pk}/")
    page.evaluate("window.__andonNoReload = true")
    remaining = page.locator("[data-metric=response] [data-testid=ola-remaining]")
    expect(remaining).to_be_visible()
    first = remaining.inner_text()
    assert first.startswith("00:29:") or first == "00:30:00"
    page.wait_for_timeout(2200)
    assert remaining.inner_text() < first  # "00:29:55" < "00:29:57": it counts down

    badge = page.locator("#notification-badge")
    before = int(badge.get_attribute("data-count"))
    services.add_comment(ticket_id=ticket.pk, actor=requester, body="还是打不出来")
    expect(badge).to_have_attribute("data-count", str(before + 1), timeout=8000)
    expect(badge).to_be_visible()
    assert page.evaluate("window.__andonNoReload === true"), "the page was reloaded"
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert not page.js_errors and not page.external_requests
