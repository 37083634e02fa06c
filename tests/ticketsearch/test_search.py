"""Ticket full-text search: what is indexed (title, description, comments by visibility,
resolution, text custom fields), that the index follows the ticket through the after-commit
subscriber, permission scope, internal comments never matching for a requester, escaped
highlights, the web list's search box and the search API."""

import pytest
from django.urls import reverse

from andon.tickets import services
from andon.tickets.selectors import visible_tickets
from andon.ticketsearch import index
from andon.ticketsearch.models import TicketDocument
from andon.ticketsearch.search import highlights, match_condition
from tests import factories
from tests.api.conftest import assert_error, client_for
from tests.web.helpers import login

pytestmark = pytest.mark.django_db
SEARCH = "/api/v1/tickets/search/"


def found(user, text) -> list[int]:
    condition = match_condition(user, text)
    assert condition is not None
    return sorted(visible_tickets(user).filter(condition).values_list("pk", flat=True))


@pytest.fixture
def filed(entry, handlers, requester):
    """A ticket with text everywhere: title, description, a text field, public and internal
    comments and, once resolved, a resolution."""
    factories.custom_field(entry, "asset_tag", name="资产编号")
    ticket = factories.make_ticket(
        actor=requester,
        entry=entry,
        title="会议室投屏失败",
        description="三楼大会议室的投影仪没有信号",
        custom_fields={"asset_tag": "显示器序列号XK99"},
    )
    handler = ticket.assignee
    services.claim_ticket(ticket_id=ticket.pk, actor=handler)
    services.add_comment(ticket_id=ticket.pk, actor=requester, body="换了一根转接头也不行")
    services.add_comment(
        ticket_id=ticket.pk, actor=handler, body="怀疑是供应商固件缺陷", is_internal=True
    )
    services.resolve_ticket(ticket_id=ticket.pk, actor=handler, resolution="更新无线投屏器驱动")
    factories.fan_out_pending()
    return ticket


def test_every_text_of_the_ticket_is_searchable_by_its_staff(filed, handlers):
    handler = filed.assignee
    for text in ("投屏", "投影仪 信号", "转接头", "固件缺陷", "驱动", "XK99"):
        assert found(handler, text) == [filed.pk], text


def test_requester_never_matches_on_internal_comments(filed, requester):
    assert found(requester, "转接头") == [filed.pk]  # public comment: yes
    assert found(requester, "固件缺陷") == []  # internal comment: never
    # Nor when the internal word is combined with a public one.
    assert found(requester, "投屏 固件") == []
    assert found(filed.assignee, "投屏 固件") == [filed.pk]


def test_results_are_permission_scoped(filed):
    stranger = factories.requester()
    assert found(stranger, "投屏") == []
    assert found(factories.admin(), "投屏") == [filed.pk]


def test_every_word_must_occur(filed):
    assert found(filed.assignee, "投屏 打印机") == []


def test_index_follows_the_ticket_after_commit(
    entry, requester, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = factories.make_ticket(actor=requester, entry=entry, title="扫描仪卡纸")
    # The commit left the events pending for the worker; do what its fan-out task does.
    factories.fan_out_pending()
    assert found(requester, "扫描仪") == [ticket.pk]
    with django_capture_on_commit_callbacks(execute=True):
        services.add_comment(ticket_id=ticket.pk, actor=requester, body="共享盘也打不开")
    factories.fan_out_pending()
    assert found(requester, "共享盘") == [ticket.pk]
    doc = TicketDocument.objects.get(ticket=ticket)
    assert "共享盘" in doc.public_terms.split()


def test_reindex_rebuilds_rows(filed):
    TicketDocument.objects.all().delete()
    assert found(filed.assignee, "投屏") == []
    assert index.reindex() == 1
    assert found(filed.assignee, "投屏") == [filed.pk]
    assert found(filed.requester, "固件缺陷") == []


def test_highlights_are_escaped_and_marked(entry, requester):
    ticket = factories.make_ticket(
        actor=requester, entry=entry, title="<script>alert(1)</script> 门禁卡失效"
    )
    factories.fan_out_pending()
    marks = highlights(requester, [ticket], "门禁")
    title = str(marks[ticket.pk].title)
    assert "<script>" not in title
    assert "&lt;script&gt;" in title
    assert "<mark>门禁</mark>" in title


def test_highlight_snippet_skips_internal_comments_for_the_requester(filed, requester):
    mine = highlights(requester, [filed], "固件")[filed.pk]
    assert mine.snippet is None
    staff = highlights(filed.assignee, [filed], "固件")[filed.pk]
    assert "<mark>固件</mark>" in str(staff.snippet)
    assert staff.where == "内部评论"


def test_list_search_box_marks_the_words(client, filed):
    login(client, filed.assignee)
    response = client.get(reverse("tickets:list"), {"tab": "all", "q": "转接头"})
    html = response.content.decode()
    assert f'data-ticket="{filed.pk}"' in html
    assert "<mark>转接头</mark>" in html
    assert 'data-testid="search-snippet"' in html


def test_search_api(filed, requester):
    body = client_for(filed.assignee).get(SEARCH, {"q": "固件"}).json()
    assert [hit["id"] for hit in body["results"]] == [filed.pk]
    assert "<mark>固件</mark>" in body["results"][0]["snippet_html"]
    assert client_for(requester).get(SEARCH, {"q": "固件"}).json()["results"] == []
    assert [
        h["id"] for h in client_for(requester).get(SEARCH, {"q": "投屏"}).json()["results"]
    ] == [filed.pk]


def test_search_api_bad_input(filed):
    client = client_for(filed.assignee)
    assert_error(client.get(SEARCH), 400, "invalid", field="q")
    assert_error(client.get(SEARCH, {"q": "x" * 201}), 400, "invalid", field="q")
    assert_error(client.get(SEARCH, {"q": "！？"}), 400, "invalid", field="q")
    assert_error(client.get(SEARCH, {"q": "投屏", "limit": "0"}), 400, "invalid", field="limit")
    assert_error(client.get(SEARCH, {"q": "投屏", "before": "x"}), 400, "invalid", field="before")
    assert client_for(None).get(SEARCH, {"q": "投屏"}).status_code == 401


def test_api_list_q_uses_the_index(filed, requester):
    ids = [
        t["id"]
        for t in client_for(requester).get("/api/v1/tickets/", {"q": "转接头"}).json()["results"]
    ]
    assert ids == [filed.pk]
    ids = [
        t["id"]
        for t in client_for(requester).get("/api/v1/tickets/", {"q": "固件"}).json()["results"]
    ]
    assert ids == []
