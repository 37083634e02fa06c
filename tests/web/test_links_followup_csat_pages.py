"""The ticket page's links, merge, countdown and rating zones, and the portal's rating card."""

import pytest

from andon.csat.models import Rating
from andon.tickets import services
from andon.tickets.link_models import TicketLink
from andon.tickets.models import Status
from tests import factories
from tests.tickets.conftest import advance

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(handlers, entry, requester):
    first = factories.make_ticket(actor=requester, entry=entry, title="打印机卡纸")
    second = factories.make_ticket(actor=requester, entry=entry, title="<b>同一台</b>打印机")
    return first, second


def test_handler_links_from_the_page_and_both_ends_show_it(client, pair, handlers):
    first, second = pair
    client.force_login(handlers[0])
    response = client.post(
        f"/tickets/{first.pk}/links/", {"ticket": second.number, "relation": "child"}
    )
    assert response.status_code == 302
    page = client.get(f"/tickets/{first.pk}/").content.decode()
    assert 'data-relation="child"' in page
    assert "&lt;b&gt;同一台&lt;/b&gt;打印机" in page  # the other ticket's title, escaped
    assert 'data-testid="children-summary"' in page
    other = client.get(f"/tickets/{second.pk}/").content.decode()
    assert 'data-relation="parent"' in other


def test_bad_link_input_re_renders_the_page_with_400(client, pair, handlers):
    first, _second = pair
    client.force_login(handlers[0])
    response = client.post(
        f"/tickets/{first.pk}/links/", {"ticket": first.number, "relation": "related"}
    )
    assert response.status_code == 400
    assert "不能关联工单自身" in response.content.decode()
    assert not TicketLink.objects.exists()


def test_the_requester_gets_no_link_or_merge_forms_and_is_refused(client, pair, requester):
    first, second = pair
    client.force_login(requester)
    page = client.get(f"/tickets/{first.pk}/").content.decode()
    assert 'data-testid="link-form"' not in page and 'data-testid="merge-form"' not in page
    response = client.post(f"/tickets/{first.pk}/merge/", {"into": second.number})
    assert response.status_code == 403
    assert Status.CLOSED not in {first.status, second.status}


def test_merge_from_the_page_shows_the_moved_comments_on_the_original(
    client, pair, handlers, requester
):
    first, second = pair
    services.add_comment(ticket_id=second.pk, actor=requester, body="我这台也**卡纸**")
    client.force_login(handlers[0])
    response = client.post(f"/tickets/{second.pk}/merge/", {"into": first.number})
    assert response.status_code == 302
    duplicate = client.get(f"/tickets/{second.pk}/").content.decode()
    assert f"已合并到 {first.number}" in duplicate
    original = client.get(f"/tickets/{first.pk}/").content.decode()
    assert 'data-testid="merged-comment"' in original
    assert "<strong>卡纸</strong>" in original


def test_countdown_and_rating_on_the_page(client, handlers, entry, requester):
    ticket = factories.make_ticket(actor=requester, entry=entry)
    advance(ticket, Status.TO_CONFIRM, handler=handlers[0], requester=requester)
    client.force_login(handlers[0])
    staff_view = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'data-testid="follow-up"' in staff_view and 'data-stage="confirm"' in staff_view
    assert 'data-testid="csat-form"' not in staff_view  # only the requester rates
    client.force_login(requester)
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'data-testid="csat-form"' in page
    client.post(f"/csat/tickets/{ticket.pk}/", {"score": "5", "comment": "好"})
    client.force_login(handlers[0])
    after = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'data-testid="csat-rating" data-score="5"' in after
    assert 'data-stage="close"' in after


def test_portal_rating(client, handlers, entry, requester):
    ticket = factories.make_ticket(actor=requester, entry=entry)
    advance(ticket, Status.TO_CONFIRM, handler=handlers[0], requester=requester)
    client.force_login(requester)
    page = client.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert 'data-testid="csat-form"' in page
    bad = client.post(f"/portal/tickets/{ticket.pk}/rating/", {"score": "7"}, follow=True)
    assert "评分应为 1 到 5 的整数" in bad.content.decode()
    assert not Rating.objects.exists()
    client.post(f"/portal/tickets/{ticket.pk}/rating/", {"score": "4"})
    assert Rating.objects.get(ticket=ticket).channel == "portal"
    ticket.refresh_from_db()
    assert ticket.status == Status.DONE


def test_someone_elses_ticket_cannot_be_rated_from_the_portal(client, handlers, entry, requester):
    ticket = factories.make_ticket(actor=requester, entry=entry)
    advance(ticket, Status.DONE, handler=handlers[0], requester=requester)
    client.force_login(factories.requester())
    assert client.post(f"/portal/tickets/{ticket.pk}/rating/", {"score": "1"}).status_code == 404
    assert not Rating.objects.exists()


def test_queue_periods_page(client, queue, handlers, admin_user):
    client.force_login(handlers[0])
    assert client.get(f"/config/follow-up/queues/{queue.pk}/").status_code == 403
    client.force_login(admin_user)
    detail = client.get(f"/config/queues/{queue.pk}/").content.decode()
    assert f"/config/follow-up/queues/{queue.pk}/" in detail
    bad = client.post(
        f"/config/follow-up/queues/{queue.pk}/",
        {"confirm_after_working_days": "99", "close_after_days": "7"},
    )
    assert bad.status_code == 400
    assert "应为 0 到 30 之间的整数" in bad.content.decode()
    ok = client.post(
        f"/config/follow-up/queues/{queue.pk}/",
        {"confirm_after_working_days": "2", "close_after_days": "0"},
    )
    assert ok.status_code == 302
    from andon.followup.selectors import queue_periods

    assert queue_periods(queue) == {"confirm_after_working_days": 2, "close_after_days": 0}
