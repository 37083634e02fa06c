"""我的工单: tabs, filters, keyset pagination, permissions and a constant number of queries."""

import re

import pytest
from django.urls import reverse

from andon.queues.models import DispatchRule
from andon.tickets import services
from andon.tickets.models import Status
from tests import factories
from tests.web.helpers import login

pytestmark = pytest.mark.django_db

LIST = reverse("tickets:list")


def ids_on(response) -> list[int]:
    """Ticket ids in the table (the phone cards repeat them)."""
    html = response.content.decode()
    table = html.split('<div class="list-group list-group-flush d-md-none')[0]
    return [int(x) for x in re.findall(r'<tr data-ticket="(\d+)"', table)]


def test_handler_lands_on_assigned_tab(client, ticket, handlers):
    login(client, handlers[0])
    response = client.get(LIST)
    assert response.status_code == 200
    assert response.context["tab"] == "assigned"
    assert ids_on(response) == [ticket.pk]
    html = response.content.decode()
    for text in (ticket.number, ticket.title, "L3", "待处理", ticket.queue.name, handlers[0].name):
        assert text in html


def test_requester_lands_on_created_tab_and_has_no_pool(client, ticket, requester):
    login(client, requester)
    response = client.get(LIST)
    assert response.context["tab"] == "created"
    assert [t.key for t, _ in response.context["tabs"]] == ["created", "all"]
    assert ids_on(response) == [ticket.pk]
    # An unknown tab falls back instead of failing.
    assert client.get(LIST, {"tab": "pool"}).context["tab"] == "created"


def test_pool_tab_lists_unassigned_tickets_of_my_queues(client, requester):
    queue = factories.QueueFactory(dispatch_rule=DispatchRule.MANUAL)
    member, other_member = factories.handler(), factories.handler()
    factories.add_members(queue, member, other_member)
    entry = factories.catalog_leaf(queue)
    pooled = factories.make_ticket(actor=requester, entry=entry)
    taken = factories.make_ticket(actor=requester, entry=entry)
    services.claim_ticket(ticket_id=taken.pk, actor=other_member)
    login(client, member)
    response = client.get(LIST, {"tab": "pool"})
    assert ids_on(response) == [pooled.pk]
    assert {t.key: c for t, c in response.context["tabs"]}["pool"] == 1
    assert "待认领" in response.content.decode()


def test_all_tab_is_scoped_to_visible_tickets(client, ticket, entry, outsider, handlers):
    mine = factories.make_ticket(actor=outsider, entry=entry, title="外人的工单")
    login(client, outsider)
    assert ids_on(client.get(LIST, {"tab": "all"})) == [mine.pk]
    login(client, handlers[1])  # same queue: sees both
    assert ids_on(client.get(LIST, {"tab": "all"})) == [mine.pk, ticket.pk]


def test_filters(client, handlers, entry, requester):
    other_queue = factories.QueueFactory()
    factories.add_members(other_queue, handlers[0])
    other_entry = factories.catalog_leaf(other_queue)
    a = factories.make_ticket(actor=requester, entry=entry, title="VPN 断线", priority="L1")
    b = factories.make_ticket(actor=requester, entry=other_entry, title="打印机卡纸", priority="L4")
    c = factories.make_ticket(
        actor=requester, entry=entry, title="邮箱满了", description="附件太大"
    )
    services.claim_ticket(ticket_id=c.pk, actor=c.assignee)
    services.resolve_ticket(ticket_id=c.pk, actor=c.assignee, resolution="清理")
    services.confirm_ticket(ticket_id=c.pk, actor=requester)
    factories.fan_out_pending()  # the worker's after-commit step writes the search index
    login(client, factories.admin())
    base = {"tab": "all"}
    assert ids_on(client.get(LIST, {**base, "priority": "L1"})) == [a.pk]
    assert ids_on(client.get(LIST, {**base, "queue": other_queue.pk})) == [b.pk]
    assert ids_on(client.get(LIST, {**base, "catalog_entry": other_entry.pk})) == [b.pk]
    assert ids_on(client.get(LIST, {**base, "catalog_entry": entry.parent_id})) == [c.pk, a.pk]
    assert ids_on(client.get(LIST, {**base, "status": "done"})) == [c.pk]
    assert ids_on(client.get(LIST, {**base, "status": "open"})) == [b.pk, a.pk]
    assert ids_on(client.get(LIST, {**base, "q": "卡纸"})) == [b.pk]
    assert ids_on(client.get(LIST, {**base, "q": "附件太大"})) == [c.pk]
    assert ids_on(client.get(LIST, {**base, "q": a.number})) == [a.pk]
    # Nonsense values are ignored, never an error page.
    response = client.get(LIST, {**base, "queue": "abc", "status": "zzz", "after": "x"})
    assert response.status_code == 200
    assert ids_on(response) == [c.pk, b.pk, a.pk]
    empty = client.get(LIST, {**base, "q": "不存在的词"})
    assert "没有符合条件的工单" in empty.content.decode()


def test_htmx_filter_returns_only_the_results(client, ticket, handlers):
    factories.fan_out_pending()
    login(client, handlers[0])
    response = client.get(
        LIST, {"q": "打印"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="ticket-results"
    )
    html = response.content.decode()
    assert html.strip().startswith('<div id="ticket-results">')
    assert "<html" not in html
    # The word searched for is marked in the title.
    assert "<mark>打印</mark>机无法连接" in html


def test_keyset_pagination(client, handlers, entry, requester):
    tickets = [
        factories.make_ticket(actor=requester, entry=entry, title=f"T{i}") for i in range(30)
    ]
    newest_first = [t.pk for t in reversed(tickets)]
    login(client, factories.admin())
    first = client.get(LIST, {"tab": "all"})
    assert ids_on(first) == newest_first[:25]
    # Cursors are text (the sort's key; the id for the id sorts).
    assert first.context["older"] == str(newest_first[24])
    assert first.context["newer"] is None
    second = client.get(LIST, {"tab": "all", "after": first.context["older"]})
    assert ids_on(second) == newest_first[25:]
    assert second.context["older"] is None
    assert second.context["newer"] == str(newest_first[25])
    back = client.get(LIST, {"tab": "all", "before": second.context["newer"]})
    assert ids_on(back) == newest_first[:25]
    assert f"after={first.context['older']}" in first.content.decode()


def _make(n, requester, entry):
    for i in range(n):
        factories.make_ticket(actor=requester, entry=entry, title=f"工单 {i}")


@pytest.mark.parametrize("tab", ["assigned", "pool", "created", "all"])
def test_list_query_count_does_not_grow_with_rows(
    client, handlers, entry, requester, django_assert_max_num_queries, tab
):
    # Handler 0 is in the queue; make half the tickets pool tickets so every tab has rows.
    user = handlers[0]
    login(client, user)
    _make(5, requester, entry)
    # 14 + the rows' tags (one prefetch), the tag filter's choices and the bulk bar's transfer
    # targets (queues, members): constant, whatever the rows.
    with django_assert_max_num_queries(18) as few:
        assert client.get(LIST, {"tab": tab}).status_code == 200
    _make(25, requester, entry)
    with django_assert_max_num_queries(18) as many:
        assert client.get(LIST, {"tab": tab}).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


def test_xss_in_title_is_escaped(client, handlers, entry, requester):
    factories.make_ticket(actor=requester, entry=entry, title="<script>alert(1)</script>")
    login(client, handlers[0])
    html = client.get(LIST, {"tab": "all"}).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_status_badges(client, ticket, handlers):
    services.claim_ticket(ticket_id=ticket.pk, actor=handlers[0])
    login(client, handlers[0])
    html = client.get(LIST).content.decode()
    assert 'data-status="processing">处理中<' in html
    assert ticket.status != Status.PROCESSING  # the fixture object is stale; the page is not
