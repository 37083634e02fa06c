"""The knowledge API: articles, search, votes, revisions, suggestions, ticket → article, the
suggested catalog entry and the assistant."""

import pytest

from andon.knowledge.models import Article
from tests import factories
from tests.api.conftest import assert_error, client_for
from tests.knowledge.conftest import publish, resolved_ticket

pytestmark = pytest.mark.django_db


def test_create_edit_publish_and_delete(editor):
    api = client_for(editor)
    response = api.post(
        "/api/v1/articles/",
        {"title": "VPN 连不上", "body": "**重装**<script>x</script>", "tags": ["VPN", "网络"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft" and body["visibility"] == "internal"
    assert body["tags"] == ["VPN", "网络"] and "<strong>重装</strong>" in body["body_html"]
    assert "<script>" not in body["body_html"]
    pk = body["id"]
    response = api.patch(f"/api/v1/articles/{pk}/", {"visibility": "public"}, format="json")
    assert response.json()["visibility"] == "public"
    assert api.post(f"/api/v1/articles/{pk}/publish/").json()["status"] == "published"
    revisions = api.get(f"/api/v1/articles/{pk}/revisions/").json()
    assert [r["number"] for r in revisions] == [3, 2, 1]
    assert revisions[0]["status"] == "published" and revisions[2]["editor"]["id"] == editor.pk
    assert api.delete(f"/api/v1/articles/{pk}/").status_code == 204
    assert not Article.objects.exists()


def test_bad_input_is_a_400_with_field_errors(editor):
    api = client_for(editor)
    assert_error(api.post("/api/v1/articles/", {"title": ""}, format="json"), 400, field="title")
    assert_error(
        api.post("/api/v1/articles/", {"title": "x", "status": "gone"}, format="json"),
        400,
        field="status",
    )
    assert_error(
        api.post("/api/v1/articles/", {"title": "x", "category": 99}, format="json"),
        400,
        field="category",
    )
    article = publish(editor, "VPN")
    assert_error(
        api.post(f"/api/v1/articles/{article.pk}/vote/", {"helpful": "maybe"}, format="json"),
        400,
        field="helpful",
    )
    assert_error(api.get("/api/v1/articles/search/?q="), 400, field="q")
    assert_error(api.get("/api/v1/articles/99999999/"), 404)
    assert not Article.objects.exclude(pk=article.pk).exists()


def test_readers_see_published_only_and_drafts_are_404(editor, reader):
    draft = publish(editor, "草稿", status="draft")
    published = publish(editor, "已发布")
    api = client_for(reader)
    ids = [a["id"] for a in api.get("/api/v1/articles/").json()["results"]]
    assert ids == [published.pk]
    assert_error(api.get(f"/api/v1/articles/{draft.pk}/"), 404)
    editor_ids = [a["id"] for a in client_for(editor).get("/api/v1/articles/").json()["results"]]
    assert set(editor_ids) == {draft.pk, published.pk}


def test_list_has_no_n_plus_one(editor, reader, django_assert_max_num_queries):
    for i in range(15):
        publish(editor, f"文章{i}", tags=[f"标签{i}", "共用"])
    api = client_for(reader)
    with django_assert_max_num_queries(8):
        response = api.get("/api/v1/articles/?page_size=50")
    assert len(response.json()["results"]) == 15


def test_search_and_vote(editor, reader):
    publish(editor, "打印机卡纸", "打开前盖取出纸张")
    article = publish(editor, "打印机无法打印", "清空打印队列")
    api = client_for(reader)
    hits = api.get("/api/v1/articles/search/", {"q": "打印队列"}).json()
    assert hits[0]["id"] == article.pk and hits[0]["type"] == "article"
    assert "<mark>" in hits[0]["snippet"] and "打印" in hits[0]["matched_terms"]
    body = api.post(f"/api/v1/articles/{article.pk}/vote/", {"helpful": True}, format="json")
    assert body.json()["helpful_count"] == 1


def test_ticket_suggestions_and_to_article(editor, entry, handlers, requester):
    old = resolved_ticket(
        requester=requester,
        entry=entry,
        title="VPN 连不上",
        description="提示证书过期",
        resolution="运行证书更新工具",
    )
    publish(editor, "VPN 证书过期", "运行证书更新工具")
    new = factories.make_ticket(
        actor=requester, entry=entry, title="VPN 证书过期连不上", description="今天早上开始"
    )
    api = client_for(new.assignee)
    found = api.get(f"/api/v1/tickets/{new.pk}/suggestions/").json()
    assert [t["id"] for t in found["tickets"]] == [old.pk]
    assert found["tickets"][0]["number"] == old.number
    assert "<mark>证书</mark>" in found["tickets"][0]["resolution"]
    assert [a["title"] for a in found["articles"]] == ["VPN 证书过期"]
    assert set(found["articles"][0]["matched_terms"]) >= {"vpn", "证书", "过期"}
    response = client_for(old.assignee).post(f"/api/v1/tickets/{old.pk}/to-article/")
    assert response.status_code == 201
    assert response.json()["source_ticket"] == old.pk and response.json()["status"] == "draft"
    assert_error(client_for(old.assignee).post(f"/api/v1/tickets/{new.pk}/to-article/"), 409)


def test_catalog_suggestion_weights_similar_tickets(entry, handlers, requester, queue):
    other = factories.catalog_leaf(queue, name="网络")
    factories.add_members(queue)  # same queue, members from `handlers`
    for title in ("打印机卡纸", "打印机卡纸了", "打印机不出纸"):
        resolved_ticket(requester=requester, entry=entry, title=title, resolution="取出纸张")
    resolved_ticket(requester=requester, entry=other, title="打印机网络连不上", resolution="换网口")
    found = client_for(requester).get("/api/v1/catalog/suggest/", {"text": "打印机卡纸"}).json()
    assert found[0]["id"] == entry.pk and found[0]["parent"]["id"] == entry.parent_id
    assert found[0]["similar_count"] == 3 and found[0]["confidence"] > 0.5
    assert client_for(requester).get("/api/v1/catalog/suggest/", {"text": "食堂"}).json() == []


def test_assistant_ask(settings, editor, reader):
    settings.ANDON_LLM_BASE_URL = ""
    article = publish(editor, "邮箱容量满了怎么清理", "删除大附件，清空已删除邮件。")
    api = client_for(reader)
    body = api.post("/api/v1/assistant/ask/", {"question": "邮箱容量满了"}, format="json").json()
    assert body["mode"] == "extractive"
    assert body["sources"] == [
        {
            "type": "article",
            "id": article.pk,
            "title": article.title,
            "url": f"/knowledge/{article.pk}/",
        }
    ]
    assert "[1]" in body["answer"]
    unknown = api.post("/api/v1/assistant/ask/", {"question": "年会抽奖"}, format="json").json()
    assert unknown["mode"] == "unknown" and unknown["sources"] == []
    assert_error(api.post("/api/v1/assistant/ask/", {}, format="json"), 400, field="question")
    # Without knowledge.view only public articles answer.
    nobody = client_for(factories.UserFactory())
    body = nobody.post("/api/v1/assistant/ask/", {"question": "邮箱容量满了"}, format="json")
    assert body.json()["mode"] == "unknown"
