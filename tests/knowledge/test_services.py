"""Article writes: permissions, validation, revisions, votes, ticket to article."""

import pytest

from andon.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from andon.knowledge import services
from andon.knowledge.demo_articles import ARTICLES, load_demo_articles
from andon.knowledge.models import Article, ArticleRevision, ArticleVote, Category
from andon.tickets import services as ticket_services
from tests import factories
from tests.knowledge.conftest import publish, resolved_ticket

pytestmark = pytest.mark.django_db


def test_only_knowledge_managers_write(reader, editor):
    with pytest.raises(PermissionDenied):
        services.create_article(actor=reader, title="x")
    article = publish(editor, "打印机卡纸")
    with pytest.raises(PermissionDenied):
        services.update_article(article_id=article.pk, actor=reader, title="y")
    with pytest.raises(PermissionDenied):
        services.delete_article(article_id=article.pk, actor=reader)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "  "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "ok", "status": "archived"}, "status"),
        ({"title": "ok", "visibility": "secret"}, "visibility"),
        ({"title": "ok", "category_id": 999999}, "category"),
        ({"title": "ok", "tags": ["t" * 31]}, "tags"),
        ({"title": "ok", "tags": [str(i) for i in range(11)]}, "tags"),
    ],
)
def test_validation_names_the_field_and_writes_nothing(editor, fields, field):
    with pytest.raises(ValidationFailed) as raised:
        services.create_article(actor=editor, **fields)
    assert field in raised.value.errors
    assert not Article.objects.exists()


def test_every_edit_adds_a_revision_and_no_op_edits_do_not(editor):
    category = Category.objects.create(name="网络")
    article = publish(editor, "VPN", "v1", tags=["VPN"])
    other = factories.admin()
    services.update_article(article_id=article.pk, actor=other, body="v2", note="补充")
    services.update_article(article_id=article.pk, actor=other, body="v2")  # nothing changed
    services.update_article(article_id=article.pk, actor=editor, category_id=category.pk)
    revisions = list(ArticleRevision.objects.filter(article=article).order_by("number"))
    assert [r.number for r in revisions] == [1, 2, 3]
    assert [r.body for r in revisions] == ["v1", "v2", "v2"]
    assert revisions[1].editor == other and revisions[1].note == "补充"
    assert revisions[2].category_name == "网络" and revisions[0].tags == ["VPN"]


def test_votes_once_per_person_and_can_change(editor, reader):
    article = publish(editor, "VPN", "x")
    services.vote_article(article_id=article.pk, actor=reader, helpful=True)
    services.vote_article(article_id=article.pk, actor=reader, helpful=True)
    article.refresh_from_db()
    assert (article.helpful_count, article.not_helpful_count) == (1, 0)
    services.vote_article(article_id=article.pk, actor=reader, helpful=False)
    services.vote_article(article_id=article.pk, actor=editor, helpful=False)
    article.refresh_from_db()
    assert (article.helpful_count, article.not_helpful_count) == (0, 2)
    assert ArticleVote.objects.count() == 2
    with pytest.raises(ValidationFailed):
        services.vote_article(article_id=article.pk, actor=reader, helpful="yes")


def test_drafts_and_internal_articles_cannot_be_voted_by_those_who_cannot_read(editor, reader):
    draft = publish(editor, "草稿", status="draft")
    with pytest.raises(NotFound):
        services.vote_article(article_id=draft.pk, actor=reader, helpful=True)
    internal = publish(editor, "内部")
    with pytest.raises(NotFound):
        services.vote_article(article_id=internal.pk, actor=factories.UserFactory(), helpful=True)


def test_handler_turns_a_resolved_ticket_into_a_draft(entry, handlers, requester):
    ticket = resolved_ticket(
        requester=requester,
        entry=entry,
        title="VPN 证书过期",
        description="登录提示证书无效",
        resolution="运行证书更新工具后恢复",
    )
    article = services.article_from_ticket(ticket_id=ticket.pk, actor=ticket.assignee)
    assert article.status == "draft" and article.visibility == "internal"
    assert article.title == "VPN 证书过期" and article.source_ticket == ticket
    assert "运行证书更新工具后恢复" in article.body and "登录提示证书无效" in article.body
    assert article.author == ticket.assignee
    assert [t.name for t in article.tags.all()] == [entry.name]
    assert article.revisions.count() == 1


def test_ticket_to_article_needs_a_resolution_and_a_staff_side_actor(entry, handlers, requester):
    ticket = factories.make_ticket(actor=requester, entry=entry, title="打印机")
    with pytest.raises(Conflict):
        services.article_from_ticket(ticket_id=ticket.pk, actor=ticket.assignee)
    with pytest.raises(PermissionDenied):
        services.article_from_ticket(ticket_id=ticket.pk, actor=requester)
    with pytest.raises(NotFound):
        services.article_from_ticket(ticket_id=ticket.pk, actor=factories.handler())
    ticket_services.resolve_ticket(ticket_id=ticket.pk, actor=ticket.assignee, resolution="好了")
    assert not Article.objects.exists()


def test_demo_articles_load_once(editor):
    assert len(ARTICLES) >= 40
    assert load_demo_articles(editor) == len(ARTICLES)
    assert load_demo_articles(editor) == 0
    assert Article.objects.count() == len(ARTICLES)
    assert Article.objects.filter(visibility="public").exists()
    assert Article.objects.filter(visibility="internal").exists()
    assert Category.objects.count() == len({a[0] for a in ARTICLES})
