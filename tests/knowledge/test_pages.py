"""Knowledge pages, the smart-support zone of the ticket page and the catalog suggestion."""

import pytest

from andon.knowledge.models import Article
from tests import factories
from tests.knowledge.conftest import publish, resolved_ticket
from tests.web.helpers import login

pytestmark = pytest.mark.django_db


def test_index_lists_and_searches(client, editor, reader, django_assert_max_num_queries):
    for i in range(10):
        publish(editor, f"文章{i}", tags=["共用"])
    publish(editor, "VPN 连不上", "重新安装 <b>客户端</b>")
    login(client, reader)
    with django_assert_max_num_queries(12):
        response = client.get("/knowledge/")
    assert response.status_code == 200 and "VPN 连不上" in response.content.decode()
    html = client.get("/knowledge/", {"q": "vpn 客户端"}).content.decode()
    assert "<mark>VPN</mark>" in html and "&lt;b&gt;" not in html
    partial = client.get("/knowledge/", {"q": "客户端"}, HTTP_HX_REQUEST="true")
    assert (
        "<html" not in partial.content.decode()
        and "<mark>客户端</mark>" in partial.content.decode()
    )


def test_navbar_and_permissions(client, editor):
    login(client, factories.UserFactory())
    assert client.get("/knowledge/").status_code == 403
    login(client, editor)
    assert "知识库" in client.get("/knowledge/").content.decode()


def test_article_page_renders_sanitised_markdown_and_votes(client, editor, reader):
    article = publish(editor, "VPN", "**加粗** <script>alert(1)</script>")
    login(client, reader)
    html = client.get(f"/knowledge/{article.pk}/").content.decode()
    assert "<strong>加粗</strong>" in html and "<script>alert" not in html
    assert 'data-testid="edit-article"' not in html
    response = client.post(
        f"/knowledge/{article.pk}/vote/", {"helpful": "1"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and "btn-success" in response.content.decode()
    article.refresh_from_db()
    assert article.helpful_count == 1


def test_drafts_are_hidden_from_readers(client, editor, reader):
    draft = publish(editor, "草稿", status="draft")
    login(client, reader)
    assert client.get(f"/knowledge/{draft.pk}/").status_code == 404
    login(client, editor)
    assert client.get(f"/knowledge/{draft.pk}/").status_code == 200


def test_write_edit_and_revisions(client, editor, reader):
    login(client, editor)
    response = client.post(
        "/knowledge/new/",
        {
            "title": "打印机卡纸",
            "body": "取纸",
            "tags": "打印机，卡纸",
            "visibility": "public",
            "status": "published",
        },
    )
    article = Article.objects.get()
    assert response.status_code == 302 and sorted(t.name for t in article.tags.all()) == [
        "卡纸",
        "打印机",
    ]
    client.post(
        f"/knowledge/{article.pk}/edit/",
        {
            "title": "打印机卡纸处理",
            "body": "取纸",
            "tags": "",
            "visibility": "public",
            "status": "published",
            "note": "改标题",
        },
    )
    html = client.get(f"/knowledge/{article.pk}/revisions/").content.decode()
    assert html.count('data-testid="revision"') == 2 and "改标题" in html
    bad = client.post("/knowledge/new/", {"title": "", "visibility": "public", "status": "draft"})
    assert bad.status_code == 200 and "is-invalid" in bad.content.decode()
    login(client, reader)
    assert client.get("/knowledge/new/").status_code == 403


def test_ticket_page_smart_support_zone(client, editor, entry, handlers, requester):
    old = resolved_ticket(
        requester=requester, entry=entry, title="打印机卡纸", resolution="更换<b>搓纸轮</b>"
    )
    publish(editor, "打印机卡纸怎么处理", "打开前盖")
    ticket = factories.make_ticket(actor=requester, entry=entry, title="打印机又卡纸")
    login(client, ticket.assignee)
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert f'hx-get="/knowledge/tickets/{ticket.pk}/smart/"' in page
    html = client.get(f"/knowledge/tickets/{ticket.pk}/smart/").content.decode()
    assert old.number in html and "&lt;b" in html and "<b>" not in html
    assert "<mark>卡纸</mark>怎么处理" in html
    assert 'data-testid="to-article"' not in html  # this ticket has no resolution yet
    login(client, old.assignee)
    html = client.get(f"/knowledge/tickets/{old.pk}/smart/").content.decode()
    assert 'data-testid="to-article"' in html
    response = client.post(f"/knowledge/tickets/{old.pk}/to-article/")
    article = Article.objects.get(source_ticket=old)
    assert response.status_code == 302 and response["Location"] == f"/knowledge/{article.pk}/edit/"
    login(client, factories.requester())
    assert client.get(f"/knowledge/tickets/{old.pk}/smart/").status_code == 404


def test_new_ticket_form_suggests_a_catalog_entry(client, entry, handlers, requester):
    resolved_ticket(requester=requester, entry=entry, title="VPN 连不上", resolution="重装")
    login(client, requester)
    form = client.get("/tickets/new/").content.decode()
    assert 'id="catalog-suggestion"' in form
    html = client.get("/knowledge/suggest-catalog/", {"title": "VPN 又连不上", "description": ""})
    assert f'data-entry="{entry.pk}"' in html.content.decode()
    empty = client.get("/knowledge/suggest-catalog/", {"title": "x"}).content.decode()
    assert "catalog-suggestion" not in empty


def test_assistant_page(client, reader):
    login(client, reader)
    html = client.get("/knowledge/assistant/").content.decode()
    assert 'data-testid="assistant-question"' in html and 'data-public="0"' in html
