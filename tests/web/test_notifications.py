"""The bell: unread count, dropdown, open-and-mark-read, mark all read."""

import pytest
from django.urls import reverse

from andon.notifications.models import Notification
from andon.tickets import services
from tests import factories
from tests.web.helpers import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def notified(ticket, handlers, requester):
    """The assignee gets notified of the requester's comment and urge."""
    services.add_comment(ticket_id=ticket.pk, actor=requester, body="有进展吗")
    services.urge_ticket(ticket_id=ticket.pk, actor=requester)
    return handlers[0]


def unread(user):
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def test_badge_shows_unread_count(client, notified):
    count = unread(notified)
    assert count >= 2
    login(client, notified)
    html = client.get(reverse("tickets:list")).content.decode()
    assert f'data-count="{count}">{count}</span>' in html


def test_dropdown_lists_latest(client, notified, ticket):
    login(client, notified)
    response = client.get(reverse("notifications:dropdown"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert ticket.number in html and "全部标为已读" in html
    assert "<html" not in html


def test_open_marks_read_and_goes_to_the_ticket(client, notified, ticket):
    login(client, notified)
    notification = Notification.objects.filter(recipient=notified).first()
    before = unread(notified)
    response = client.get(reverse("notifications:open", args=[notification.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("tickets:detail", args=[ticket.pk])
    assert unread(notified) == before - 1


def test_cannot_open_someone_elses_notification(client, notified):
    notification = Notification.objects.filter(recipient=notified).first()
    login(client, factories.handler())
    assert client.get(reverse("notifications:open", args=[notification.pk])).status_code == 404
    assert notification.__class__.objects.get(pk=notification.pk).read_at is None


def test_mark_all_read_with_htmx_updates_the_badge(client, notified):
    login(client, notified)
    response = client.post(reverse("notifications:mark_all_read"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="notification-badge" hx-swap-oob="true"' in html
    assert unread(notified) == 0


def test_mark_all_read_without_htmx_and_list_page(client, notified):
    login(client, notified)
    page = client.get(reverse("notifications:list"))
    assert page.status_code == 200
    assert "条未读" in page.content.decode()
    response = client.post(
        reverse("notifications:mark_all_read"), {"next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("notifications:list")
    assert unread(notified) == 0
    assert (
        "暂时没有通知"
        in client.get(reverse("notifications:list"), {"unread": "1"}).content.decode()
    )
    assert client.get(reverse("notifications:mark_all_read")).status_code == 405


def test_notification_list_paginates(client, notified):
    for i in range(35):
        Notification.objects.create(
            recipient=notified, kind="x", title=f"N{i}", created_at="2025-01-01T00:00:00Z"
        )
    login(client, notified)
    first = client.get(reverse("notifications:list"))
    assert len(first.context["items"]) == 30 and first.context["older"]
    second = client.get(reverse("notifications:list"), {"after": first.context["older"]})
    assert len(second.context["items"]) >= 5
