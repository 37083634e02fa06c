"""The live ticket page's poll: 204 while nothing changed (or only this person changed it), the
fresh workspace when someone else did; a requester's version ignores internal comments; the poll
is permission-checked like the page and costs a constant handful of queries."""

import pytest
from django.urls import reverse

from andon.tickets import services
from andon.tickets.live import ticket_version
from tests import factories
from tests.web.helpers import login

pytestmark = pytest.mark.django_db


def live(client, ticket, version=None):
    params = {} if version is None else {"v": version}
    return client.get(reverse("tickets:live", args=[ticket.pk]), params)


def test_unchanged_ticket_answers_204_with_its_version(client, ticket, requester):
    login(client, requester)
    version = ticket_version(requester, ticket)
    response = live(client, ticket, version)
    assert response.status_code == 204
    assert response["X-Ticket-Version"] == str(version)
    assert response["Cache-Control"] == "no-store"


def test_a_change_by_someone_else_sends_the_workspace(client, ticket, requester):
    login(client, requester)
    version = ticket_version(requester, ticket)
    services.add_comment(ticket_id=ticket.pk, actor=ticket.assignee, body="正在远程排查")
    response = live(client, ticket, version)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="ticket-workspace"')
    assert "正在远程排查" in html
    assert int(response["X-Ticket-Version"]) > version


def test_my_own_change_only_moves_the_version(client, ticket, requester):
    login(client, requester)
    version = ticket_version(requester, ticket)
    services.add_comment(ticket_id=ticket.pk, actor=requester, body="补充：型号 HP M404")
    response = live(client, ticket, version)
    assert response.status_code == 204
    assert int(response["X-Ticket-Version"]) > version


def test_internal_comments_do_not_move_a_requesters_version(client, ticket, requester):
    handler = ticket.assignee
    before_requester = ticket_version(requester, ticket)
    before_handler = ticket_version(handler, ticket)
    services.add_comment(ticket_id=ticket.pk, actor=handler, body="内部备注", is_internal=True)
    assert ticket_version(requester, ticket) == before_requester
    assert ticket_version(handler, ticket) > before_handler
    login(client, requester)
    assert live(client, ticket, before_requester).status_code == 204
    login(client, factories.handler())  # a handler of no queue of this ticket cannot see it
    assert live(client, ticket, 0).status_code == 404


def test_system_changes_count_as_someone_else(client, ticket, requester):
    """An OLA step or worker change has no actor: it is still news to the reader."""
    from andon.tickets.events import record_event
    from andon.tickets.models import EventKind

    login(client, requester)
    version = ticket_version(requester, ticket)
    record_event(ticket=ticket, kind=EventKind.OLA_WARNING, actor=None, note="即将超时")
    assert live(client, ticket, version).status_code == 200


def test_no_or_bad_version_sends_the_workspace(client, ticket, requester):
    login(client, requester)
    for bad in (None, "", "abc", "-1", "9" * 30):
        response = live(client, ticket, bad)
        assert response.status_code == 200, bad


def test_poll_is_permission_checked(client, ticket):
    response = live(client, ticket, 1)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    login(client, factories.requester())
    assert live(client, ticket, 1).status_code == 404
    assert client.post(reverse("tickets:live", args=[ticket.pk])).status_code == 405


def test_poll_costs_a_constant_number_of_queries(
    client, ticket, requester, django_assert_max_num_queries
):
    login(client, requester)
    for i in range(20):
        services.add_comment(ticket_id=ticket.pk, actor=requester, body=f"第 {i} 条")
    version = ticket_version(requester, ticket)
    live(client, ticket, version)
    with django_assert_max_num_queries(8):
        assert live(client, ticket, version).status_code == 204


def test_detail_page_carries_the_poller(client, ticket, requester, settings):
    settings.ANDON_LIVE_POLL_SECONDS = 2
    login(client, requester)
    html = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert f'data-url="{reverse("tickets:live", args=[ticket.pk])}"' in html
    assert f'data-version="{ticket_version(requester, ticket)}"' in html
    assert 'data-interval="2000"' in html
    assert "andon/live.js" in html
